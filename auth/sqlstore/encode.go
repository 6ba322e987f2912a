package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"
)

// zeroMicros is time.Time{} in microseconds since the epoch: zero times are stored as this value
// (it fits an int64), so that columns stay NOT NULL and order like Go's zero time, first.
var zeroMicros = time.Time{}.UnixMicro()

func encTime(t time.Time) int64 {
	if t.IsZero() {
		return zeroMicros
	}
	return t.UnixMicro()
}

func decTime(us int64) time.Time {
	if us == zeroMicros {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// encList stores a string list as a JSON array (never null).
func encList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, err := json.Marshal(v)
	if err != nil { // cannot happen for []string
		panic(err)
	}
	return string(b)
}

// decList reads a JSON array back; an empty list is returned as nil.
func decList(s string) ([]string, error) {
	var v []string
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, fmt.Errorf("corrupt string list column: %w", err)
	}
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

// encBytes stores an optional blob: empty is NULL (read back as nil).
func encBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}
