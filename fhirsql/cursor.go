package fhirsql

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// MaxCursorBytes bounds the size of a cursor (the server's limit for a
// backend's page token).
const MaxCursorBytes = 1024

// cursorForm is a cursor before base64: the order's fingerprint and the
// last row's key values, each tagged with its type.
type cursorForm struct {
	O string   `json:"o"`
	K []string `json:"k"`
}

var errBadCursor = fhir.NewError(fhir.ErrInvalidSearch, "The page cursor is not valid for this search.")

func orderHash(fingerprint string) string {
	h := fnv.New64a()
	h.Write([]byte(fingerprint))
	return strconv.FormatUint(h.Sum64(), 36)
}

// encodeCursor returns the opaque position after a row with the key
// values keys.
func encodeCursor(fingerprint string, keys []any) (string, error) {
	f := cursorForm{O: orderHash(fingerprint), K: make([]string, len(keys))}
	for i, k := range keys {
		switch v := k.(type) {
		case int64:
			f.K[i] = "i" + strconv.FormatInt(v, 10)
		case int:
			f.K[i] = "i" + strconv.Itoa(v)
		case int32:
			f.K[i] = "i" + strconv.FormatInt(int64(v), 10)
		case float64:
			f.K[i] = "f" + strconv.FormatFloat(v, 'g', -1, 64)
		case string:
			f.K[i] = "s" + v
		case []byte:
			f.K[i] = "b" + base64.RawStdEncoding.EncodeToString(v)
		case bool:
			f.K[i] = "t" + strconv.FormatBool(v)
		case time.Time:
			f.K[i] = "d" + v.Format(time.RFC3339Nano)
		case nil:
			return "", fmt.Errorf("fhirsql: sort key %d of the page's last row is NULL; sort columns must be NOT NULL", i)
		default:
			return "", fmt.Errorf("fhirsql: sort key %d has the unsupported type %T", i, k)
		}
	}
	b, err := json.Marshal(f)
	if err != nil {
		return "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	if len(tok) > MaxCursorBytes {
		return "", fmt.Errorf("fhirsql: cursor of %d bytes is longer than %d; sort on shorter columns", len(tok), MaxCursorBytes)
	}
	return tok, nil
}

// decodeCursor reads a cursor of the search whose order is fingerprint,
// with n keys.
func decodeCursor(tok, fingerprint string, n int) ([]any, error) {
	if len(tok) > MaxCursorBytes {
		return nil, errBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, errBadCursor
	}
	var f cursorForm
	if err := json.Unmarshal(b, &f); err != nil || f.O != orderHash(fingerprint) || len(f.K) != n {
		return nil, errBadCursor
	}
	out := make([]any, n)
	for i, k := range f.K {
		if k == "" {
			return nil, errBadCursor
		}
		v, rest := k[0], k[1:]
		switch v {
		case 'i':
			x, err := strconv.ParseInt(rest, 10, 64)
			if err != nil {
				return nil, errBadCursor
			}
			out[i] = x
		case 'f':
			x, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				return nil, errBadCursor
			}
			out[i] = x
		case 's':
			out[i] = rest
		case 'b':
			x, err := base64.RawStdEncoding.DecodeString(rest)
			if err != nil {
				return nil, errBadCursor
			}
			out[i] = x
		case 't':
			x, err := strconv.ParseBool(rest)
			if err != nil {
				return nil, errBadCursor
			}
			out[i] = x
		case 'd':
			x, err := time.Parse(time.RFC3339Nano, rest)
			if err != nil {
				return nil, errBadCursor
			}
			out[i] = x
		default:
			return nil, errBadCursor
		}
	}
	return out, nil
}

// Next returns the cursor of the page after the row whose key columns (the
// last KeyCount columns of PageSQL) hold keys: Page.Next.
func (s *Select) Next(keys []any) (string, error) {
	if len(keys) != len(s.order) {
		return "", fmt.Errorf("fhirsql: %d key values for %d key columns", len(keys), len(s.order))
	}
	return encodeCursor(s.fingerprint(), keys)
}
