package peers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// HaveWrk reports whether wrk (the HTTP benchmarking tool, Debian package
// wrk) is installed.
func HaveWrk() bool {
	_, err := exec.LookPath("wrk")
	return err == nil
}

// wrkRequest is one request of a wrk script.
type wrkRequest struct {
	method, path, ctype, body, bearer string
}

// wrkRequests lists the requests of q for the subjects on s, in the order
// the connections cycle through them. A search with Token alternates a
// token request and the search (with one bearer token: with the issuer's
// token-per-request path the app gets that same token back anyway), so
// that an operation is two requests.
func wrkRequests(s *Server, q Search, subjects []Subject) []wrkRequest {
	var out []wrkRequest
	form := tokenForm(s)
	for _, sub := range subjects {
		u := s.url(q, sub)
		path := strings.TrimPrefix(u, s.Root)
		r := wrkRequest{method: q.Method, path: path, ctype: q.ContentType, bearer: s.Token}
		switch {
		case q.Body != nil:
			r.body = q.Body(sub)
		case q.Path(sub) == "/token":
			r.body, r.bearer = form, ""
		}
		if q.Token {
			if s.Node {
				continue // node has no token endpoint: not measured
			}
			out = append(out, wrkRequest{method: "POST", path: "/token", ctype: "application/x-www-form-urlencoded", body: form})
		}
		out = append(out, r)
	}
	return out
}

// luaString quotes s as a Lua string literal.
func luaString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03d", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// wrkScript is the Lua script that makes wrk send reqs (each thread from
// its own offset) and print its summary as one JSON line.
func wrkScript(reqs []wrkRequest) string {
	var b strings.Builder
	b.WriteString("local reqs = {\n")
	for _, r := range reqs {
		h := `["Accept"]="application/fhir+json"`
		if r.ctype != "" {
			h += `, ["Content-Type"]=` + luaString(r.ctype)
		}
		if r.bearer != "" {
			h += `, ["Authorization"]=` + luaString("Bearer "+r.bearer)
		}
		body := "nil"
		if r.body != "" {
			body = luaString(r.body)
		}
		fmt.Fprintf(&b, "  {%s, %s, {%s}, %s},\n", luaString(r.method), luaString(r.path), h, body)
	}
	b.WriteString(`}
local n = 0
local count = 0
function setup(thread)
  thread:set("offset", n * 7919)
  n = n + 1
end
function init(args)
  count = offset or 0
end
function request()
  count = count + 1
  local r = reqs[(count % #reqs) + 1]
  return wrk.format(r[1], r[2], r[3], r[4])
end
function done(summary, latency, requests)
  io.write(string.format('{"requests":%d,"duration_us":%d,"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(99)))
end
`)
	return b.String()
}

// wrkSummary is what the script's done prints.
type wrkSummary struct {
	Requests   int   `json:"requests"`
	DurationUS int64 `json:"duration_us"`
	Status     int   `json:"status"`
	Connect    int   `json:"connect"`
	Read       int   `json:"read"`
	Write      int   `json:"write"`
	Timeout    int   `json:"timeout"`
	P50US      int64 `json:"p50_us"`
	P99US      int64 `json:"p99_us"`
}

// MeasureWrk is Measure with wrk as the load generator: warmup (a run not
// measured), then d, with conns connections over min(conns, cores)
// threads. Latencies are per request (an operation of a Token search is
// two requests); throughput is in operations per second answered with a
// 2xx (Errors counts the others).
//
// Run.CPU is the CPU time of the server's processes (TreeCPU) over the
// measured run, per operation.
func MeasureWrk(ctx context.Context, s *Server, q Search, subjects []Subject, conns int, warmup, d time.Duration, dir string) (Run, error) {
	reqs := wrkRequests(s, q, subjects)
	script := filepath.Join(dir, "wrk.lua")
	if err := os.WriteFile(script, []byte(wrkScript(reqs)), 0o600); err != nil {
		return Run{}, err
	}
	threads := strconv.Itoa(min(conns, cores))
	run := func(d time.Duration) (wrkSummary, error) {
		secs := strconv.Itoa(max(1, int(d.Round(time.Second)/time.Second)))
		cmd := exec.CommandContext(ctx, "wrk", "-t", threads, "-c", strconv.Itoa(conns), "-d", secs+"s", "--timeout", "30s",
			"-s", script, s.Root)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return wrkSummary{}, fmt.Errorf("wrk: %w: %s", err, errb.String())
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		var sum wrkSummary
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
			return wrkSummary{}, fmt.Errorf("wrk output %q: %w", out.String(), err)
		}
		return sum, nil
	}
	if warmup > 0 {
		if _, err := run(warmup); err != nil {
			return Run{}, err
		}
	}
	cpu0 := TreeCPU(s.Pid)
	sum, err := run(d)
	if err != nil {
		return Run{}, err
	}
	cpu := TreeCPU(s.Pid) - cpu0
	perOp := 1.0
	if q.Token && !s.Node {
		perOp = 2
	}
	secs := float64(sum.DurationUS) / 1e6
	errs := sum.Status + sum.Connect + sum.Read + sum.Write + sum.Timeout
	ops := float64(sum.Requests-errs) / perOp // answered, and answered 2xx
	return Run{Server: s.Name, Search: q.Name, Conns: conns, Throughput: ops / secs,
		P50: time.Duration(sum.P50US) * time.Microsecond, P99: time.Duration(sum.P99US) * time.Microsecond,
		Errors: errs, CPU: time.Duration(float64(cpu) / max(ops, 1))}, nil
}
