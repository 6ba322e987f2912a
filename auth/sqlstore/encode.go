package sqlstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/patientsfhir/patientsfhir/auth"
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

// storable reports whether s can be kept exactly in a TEXT column of both databases (PostgreSQL
// refuses NUL and invalid UTF-8; JSON encoding would replace invalid UTF-8).
func storable(s string) bool {
	return utf8.ValidString(s) && !strings.Contains(s, "\x00")
}

// checkText refuses a record whose text fields cannot be stored exactly, naming the field but
// not its value.
func checkText(field string, vals ...string) error {
	for _, v := range vals {
		if !storable(v) {
			return fmt.Errorf("sqlstore: %s is not storable text (NUL or invalid UTF-8): %w", field, auth.ErrInvalidInput)
		}
	}
	return nil
}

func checkClient(c *auth.Client) error {
	for _, err := range []error{
		checkText("client ID", c.ID),
		checkText("client Name", c.Name),
		checkText("client GrantTypes", c.GrantTypes...),
		checkText("client Tenants", c.Tenants...),
		checkText("client Scopes", c.Scopes...),
	} {
		if err != nil {
			return err
		}
	}
	for _, sr := range c.Secrets {
		if err := checkText("secret ID, Alg or Hint", sr.ID, sr.Alg, sr.Hint); err != nil {
			return err
		}
	}
	return nil
}

func checkKey(k *auth.KeyRecord) error {
	return checkText("key KID, Alg or State", k.KID, k.Alg, string(k.State))
}
