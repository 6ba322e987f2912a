package peers

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// Linux).
const clockTick = 10 * time.Millisecond

// TreeCPU is the CPU time (user and system) used so far by process pid and
// its descendants that are still running (the node cluster's workers),
// read from /proc; 0 where /proc is not available.
func TreeCPU(pid int) time.Duration {
	stats := map[int][2]int64{} // pid -> ppid, ticks
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name may hold spaces: the fields follow its ')'.
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		stats[p] = [2]int64{int64(ppid), ut + st}
	}
	var total int64
	var walk func(int)
	walk = func(p int) {
		total += stats[p][1]
		for c, v := range stats {
			if int(v[0]) == p {
				walk(c)
			}
		}
	}
	if _, ok := stats[pid]; ok {
		walk(pid)
	}
	return time.Duration(total) * clockTick
}
