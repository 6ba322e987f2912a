package rest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// Cursors seals and opens page cursors. A cursor carries the backend's
// opaque next-page token and the number of entries already delivered; it is
// tamper-evident (HMAC-SHA256) and bound to the tenant and the canonical
// query it was issued for, so it cannot be replayed against another tenant
// or another search. It is not encrypted: a backend token must not hold
// secrets. Cursors is safe for concurrent use.
type Cursors struct {
	key    []byte
	maxAge time.Duration
	now    func() time.Time
}

// CursorState is what a cursor carries.
type CursorState struct {
	// Backend is the backend's opaque token for the page to fetch.
	Backend string
	// Offset is the number of entries delivered on the previous pages.
	Offset int
}

// MaxCursorBytes bounds the size of a backend token, so that next links stay
// well under the URL lengths proxies accept.
const MaxCursorBytes = 1024

var errCursor = fhir.NewError(fhir.ErrInvalidSearch, "The page cursor is not valid for this search; start the search again.")

const cursorVersion = 1

// NewCursors returns a cursor codec with a secret key of at least 32 bytes.
// maxAge bounds how long a cursor stays valid (0 means no limit).
func NewCursors(key []byte, maxAge time.Duration) (*Cursors, error) {
	if len(key) < 32 {
		return nil, errors.New("fhir: cursor key must be at least 32 bytes")
	}
	return &Cursors{key: append([]byte(nil), key...), maxAge: maxAge, now: time.Now}, nil
}

func (c *Cursors) mac(tenant, query string, payload []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	var n [binary.MaxVarintLen64]byte
	m.Write([]byte("patientsfhir cursor\x00"))
	m.Write(n[:binary.PutUvarint(n[:], uint64(len(tenant)))])
	m.Write([]byte(tenant))
	m.Write(n[:binary.PutUvarint(n[:], uint64(len(query)))])
	m.Write([]byte(query))
	m.Write(payload)
	return m.Sum(nil)[:16]
}

// Seal returns the cursor for st, bound to tenant and the canonical query
// (see [Query.Encode]).
func (c *Cursors) Seal(tenant, query string, st CursorState) (string, error) {
	if len(st.Backend) > MaxCursorBytes {
		return "", errors.New("fhir: backend cursor longer than MaxCursorBytes")
	}
	if st.Offset < 0 {
		return "", errors.New("fhir: negative cursor offset")
	}
	payload := make([]byte, 0, 1+2*binary.MaxVarintLen64+len(st.Backend))
	payload = append(payload, cursorVersion)
	payload = binary.AppendVarint(payload, c.now().Unix())
	payload = binary.AppendUvarint(payload, uint64(st.Offset))
	payload = append(payload, st.Backend...)
	sealed := append(payload, c.mac(tenant, query, payload)...)
	return base64.RawURLEncoding.EncodeToString(sealed), nil
}

// Open checks a cursor against tenant and the canonical query and returns
// what it carries. Any mismatch, tampering or expiry gives an error of kind
// [ErrInvalidSearch] that says nothing about why.
func (c *Cursors) Open(token, tenant, query string) (CursorState, error) {
	if len(token) > 2*MaxCursorBytes {
		return CursorState{}, errCursor
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < 1+16 {
		return CursorState{}, errCursor
	}
	payload, sum := raw[:len(raw)-16], raw[len(raw)-16:]
	if !hmac.Equal(sum, c.mac(tenant, query, payload)) || payload[0] != cursorVersion {
		return CursorState{}, errCursor
	}
	rest := payload[1:]
	issued, n := binary.Varint(rest)
	if n <= 0 {
		return CursorState{}, errCursor
	}
	rest = rest[n:]
	off, n := binary.Uvarint(rest)
	if n <= 0 || off > 1<<40 {
		return CursorState{}, errCursor
	}
	if c.maxAge > 0 && c.now().Sub(time.Unix(issued, 0)) > c.maxAge {
		return CursorState{}, errCursor
	}
	return CursorState{Backend: string(rest[n:]), Offset: int(off)}, nil
}

// Resume opens the cursor of q, if any. A query without a cursor resumes at
// the first page (zero state).
func (c *Cursors) Resume(q *fhir.Query, tenant string) (CursorState, error) {
	if q.Cursor == "" {
		return CursorState{}, nil
	}
	return c.Open(q.Cursor, tenant, q.Encode())
}
