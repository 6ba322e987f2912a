package proxy

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// An upstream's next link never reaches the client. NextToken keeps the
// part of it below the upstream base (path and query, e.g.
// "Observation?patient=p1&_count=2&page=2" or "?_getpages=..."), encrypts
// it with AES-256-GCM under Config.CursorKey, bound to the upstream base
// and the resource type, and returns it as the backend's Page.Next; the
// server seals that token again in its own cursor, bound to the tenant and
// the query. A link too long for the 1024 bytes a Page.Next may hold is
// kept in memory instead, under a random id (for MaxAge, at most
// maxStored links): such a cursor works on the node that issued it only.

// maxToken is the size limit of Page.Next (internal/rest.MaxCursorBytes).
const maxToken = 1024

// Kinds of token: the link itself (encrypted), or the id of a stored one.
const (
	kindInline = 1
	kindStored = 2
)

// maxStored bounds the links kept in memory; the oldest go first.
const maxStored = 10000

// storedTTL bounds the life of a stored link (the server's default
// CursorMaxAge).
const storedTTL = time.Hour

// errCursor is answered for a token that does not open: tampered with,
// issued by another process without a shared key, expired, or of another
// search.
var errCursor = fhir.NewError(fhir.ErrInvalidSearch, "The page cursor is no longer valid; start the search again.")

type cursors struct {
	aead cipher.AEAD
	base string
	now  func() time.Time

	mu     sync.Mutex
	stored map[[16]byte]stored
	order  [][16]byte
}

type stored struct {
	rel, typ string
	expires  time.Time
}

func newCursors(key []byte, base string) (*cursors, error) {
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &cursors{aead: aead, base: base, now: time.Now, stored: map[[16]byte]stored{}}, nil
}

// aad binds a token to the upstream and the resource type.
func (c *cursors) aad(typ string) []byte {
	return []byte("patientsfhir upstream next\x00" + c.base + "\x00" + typ)
}

// seal returns the token of rel for a search of typ.
func (c *cursors) seal(rel, typ string) (string, error) {
	ns := c.aead.NonceSize()
	raw := make([]byte, 1+ns, 1+ns+len(rel)+c.aead.Overhead())
	raw[0] = kindInline
	if _, err := rand.Read(raw[1:]); err != nil {
		return "", err
	}
	raw = c.aead.Seal(raw, raw[1:1+ns], []byte(rel), c.aad(typ))
	if base64.RawURLEncoding.EncodedLen(len(raw)) <= maxToken {
		return base64.RawURLEncoding.EncodeToString(raw), nil
	}
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", err
	}
	now := c.now()
	c.mu.Lock()
	for len(c.order) > 0 && (len(c.order) >= maxStored || now.After(c.stored[c.order[0]].expires)) {
		delete(c.stored, c.order[0])
		c.order = c.order[1:]
	}
	c.stored[id] = stored{rel: rel, typ: typ, expires: now.Add(storedTTL)}
	c.order = append(c.order, id)
	c.mu.Unlock()
	return base64.RawURLEncoding.EncodeToString(append([]byte{kindStored}, id[:]...)), nil
}

// open returns the link below the base that token holds for a search of
// typ.
func (c *cursors) open(token, typ string) (string, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) < 1 {
		return "", errCursor
	}
	switch raw[0] {
	case kindInline:
		ns := c.aead.NonceSize()
		if len(raw) < 1+ns+c.aead.Overhead() {
			return "", errCursor
		}
		rel, err := c.aead.Open(nil, raw[1:1+ns], raw[1+ns:], c.aad(typ))
		if err != nil {
			return "", errCursor
		}
		return string(rel), nil
	case kindStored:
		if len(raw) != 17 {
			return "", errCursor
		}
		id := [16]byte(raw[1:])
		c.mu.Lock()
		s, ok := c.stored[id]
		c.mu.Unlock()
		if !ok || s.typ != typ || c.now().After(s.expires) {
			return "", errCursor
		}
		return s.rel, nil
	}
	return "", errCursor
}

// NextToken turns the upstream's next link of a search into the backend's
// Page.Next. The link must lie under the upstream's base (or one of its
// LinkBases, read as the base): any other link is refused with a 502, and
// never fetched.
func (c *Client) NextToken(q *Query, link string) (string, error) {
	rel, reason := c.relative(link)
	if reason != "" {
		return "", c.fail(opSearch, q.typ, 200, "next link "+reason, errLink)
	}
	tok, err := c.cursors.seal(rel, q.typ)
	if err != nil {
		return "", c.fail(opSearch, q.typ, 200, "cannot seal next link", errFailed)
	}
	return tok, nil
}

// relative returns link below the base, escaped: "Type?query" or
// "?query"; reason is why it is refused ("" when it is not).
func (c *Client) relative(link string) (rel, reason string) {
	u, err := url.Parse(link)
	if err != nil {
		return "", "does not parse"
	}
	if u.Opaque != "" || u.User != nil {
		return "", "is not a plain URL"
	}
	ep := u.EscapedPath()
	switch {
	case u.Scheme != "" || u.Host != "":
		var base *url.URL
		for _, b := range append([]*url.URL{c.base}, c.aliases...) {
			if strings.EqualFold(u.Scheme, b.Scheme) && strings.EqualFold(u.Host, b.Host) && under(ep, b.EscapedPath()) {
				base = b
				break
			}
		}
		if base == nil {
			return "", "points outside the upstream base"
		}
		ep = strings.TrimPrefix(ep, base.EscapedPath())
	case strings.HasPrefix(ep, "/"):
		if !under(ep, c.base.EscapedPath()) {
			return "", "points outside the upstream base"
		}
		ep = strings.TrimPrefix(ep, c.base.EscapedPath())
	}
	ep = strings.TrimPrefix(ep, "/")
	if dec, err := url.PathUnescape(ep); err != nil || ep != "" && (path.Clean("/"+dec) != "/"+dec || strings.Contains(dec, "//")) {
		return "", "has dot segments"
	}
	if ep == "" && u.RawQuery == "" {
		return "", "is the base itself"
	}
	if u.RawQuery != "" {
		ep += "?" + u.RawQuery
	}
	return ep, ""
}

// under reports whether p is base or below it.
func under(p, base string) bool {
	return p == base || strings.HasPrefix(p, base+"/")
}
