package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/fhirjson"
)

// SearchMode is Bundle.entry.search.mode.
type SearchMode string

// Search modes.
const (
	ModeMatch   SearchMode = "match"
	ModeInclude SearchMode = "include"
	ModeOutcome SearchMode = "outcome"
)

// Entry is one resource of a page. Resource is anything that encodes itself
// to JSON: a generated model, or json.RawMessage for bytes already encoded.
// A generated model (a fhirjson.Encodable) is encoded in place with
// EncodeJSON, not MarshalJSON; every resource is checked to be valid JSON.
type Entry struct {
	// Type is the resource type, used for fullUrl.
	Type string
	// ID is the logical id, used for fullUrl.
	ID string
	// Resource is the resource.
	Resource json.Marshaler
	// Mode is the search mode; empty means ModeMatch.
	Mode SearchMode
}

// Page is what a backend returns for one page of a search.
type Page struct {
	// Entries are the resources of this page, at most Query.Count matches.
	Entries []Entry
	// Total is the number of matches of the whole search, valid when
	// TotalKnown is true.
	Total int
	// TotalKnown reports whether the backend knows Total.
	TotalKnown bool
	// Next is the backend's opaque token for the next page; "" when this is
	// the last page.
	Next string
}

// Searchset is a search result ready to be written as a Bundle.
type Searchset struct {
	// Total is Bundle.total.
	Total int
	// Self and Next are the absolute link URLs; Next may be empty.
	Self, Next string
	// Base is the absolute base URL used to form entry.fullUrl
	// (base/Type/id); no trailing slash.
	Base string
	// Entries are the page's resources.
	Entries []Entry
}

// SearchOptions says where a search result is served and how its total and
// links are derived; see [BuildSearchset].
type SearchOptions struct {
	// Base is the absolute base URL of the FHIR endpoint as the client sees
	// it, e.g. "https://fhir.example.com/stu3"; no trailing slash.
	Base string
	// Type is the resource type searched, e.g. "Patient".
	Type string
	// Tenant is the tenant the search runs for; next-page cursors are bound
	// to it.
	Tenant string
	// Cursors seals next-page cursors. Required when a page has a Next token.
	Cursors *Cursors
	// Offset is the number of entries delivered before this page, from
	// [Cursors.Resume].
	Offset int
	// Count is the bounded means a backend opts into for computing the
	// total when its page has a next link but no total: it is asked once
	// per such page (a COUNT query, say) and must answer the number of
	// matches of the whole search. Optional; without it such a page is
	// refused (see [ErrTotalUnknown]).
	Count func(ctx context.Context) (int, error)
	// Logger, when set, receives the line that says why a page was refused
	// (the rule, the type, the offset; never the data). Nil logs nothing:
	// the server's engine logs the refusal itself, once, with the request's
	// fields.
	Logger *slog.Logger
}

// RuleTotal is the id of the conformance-kit rule a page without its total
// breaks (docs/kits.md): Bundle.total is the number of matches of the whole
// search (Patients-app interface §3.6 and §9, FHIR Bundle.total).
const RuleTotal = "total.exact"

// ErrTotalUnknown is the error of a page that has a next link but no total:
// the server never writes a total it does not know. It is an
// [fhir.ErrInternal] (500) whose message names the rule, so a partner finds
// it in the conformance kit's report.
var ErrTotalUnknown = fhir.NewError(fhir.ErrInternal,
	"The backend returned a page with a next link but without its total; a backend that pages must report "+
		"Page.Total (rule "+RuleTotal+", Patients-app interface §3.6).")

// ErrTotalTooLow is the error of a page whose total is less than its own
// entries: a total the server knows to be wrong is not sent either. (The
// entries of earlier pages are not counted: the data may change between
// pages.) An [fhir.ErrInternal].
var ErrTotalTooLow = fhir.NewError(fhir.ErrInternal,
	"The backend returned a total less than the entries of its page; Page.Total is the number of matches "+
		"of the whole search (rule "+RuleTotal+", Patients-app interface §3.6).")

// refuse logs why page is not sent: the rule, the type and the counts,
// never the data.
func (o *SearchOptions) refuse(page Page, reason string) {
	if o.Logger == nil {
		return
	}
	o.Logger.Warn("rest: backend output refused", "rule", RuleTotal, "type", o.Type, "offset", o.Offset,
		"entries", len(page.Entries), "next", page.Next != "", "reason", reason)
}

// BuildSearchset turns a backend page into a Searchset.
//
// Bundle.total is always present and never invented. When the page does
// not know it, the module derives it only where it is exact: on the last
// page (no Next) it is Offset plus the entries of the page; on a page with a
// Next, o.Count is asked when the backend opted into it. Otherwise the page
// is refused with [ErrTotalUnknown], and a total below the page's own
// entries with [ErrTotalTooLow]; both are logged with the rule, the type
// and the counts, and the caller answers them as a 500 OperationOutcome.
func BuildSearchset(ctx context.Context, q *fhir.Query, page Page, o SearchOptions) (*Searchset, error) {
	s := &Searchset{Base: o.Base, Entries: page.Entries}
	canon := q.Encode()
	s.Self = o.Base + "/" + o.Type + "?" + canon
	if q.Cursor != "" {
		s.Self += "&" + fhir.CursorParam + "=" + url.QueryEscape(q.Cursor)
	}
	seen := o.Offset + len(page.Entries)
	switch {
	case page.TotalKnown:
		s.Total = page.Total
	case page.Next == "":
		s.Total = seen
	case o.Count != nil:
		n, err := o.Count(ctx)
		if err != nil {
			return nil, err
		}
		s.Total = n
	default:
		o.refuse(page, "a page with a next link but no total")
		return nil, ErrTotalUnknown
	}
	if s.Total < len(page.Entries) {
		o.refuse(page, "the total is less than the entries of the page")
		return nil, ErrTotalTooLow
	}
	if q.CountOnly() {
		s.Entries = nil // _count=0 / _summary=count: the total alone
	}
	if page.Next != "" && !q.CountOnly() {
		if o.Cursors == nil {
			return nil, errors.New("fhir: page has a next token but no Cursors are configured")
		}
		tok, err := o.Cursors.Seal(o.Tenant, canon, CursorState{Backend: page.Next, Offset: seen})
		if err != nil {
			return nil, err
		}
		s.Next = o.Base + "/" + o.Type + "?" + canon + "&" + fhir.CursorParam + "=" + tok
	}
	return s, nil
}

// WriteSearchset negotiates the format and writes s as a searchset Bundle.
// The whole Bundle is encoded before the status is sent, so an encoding
// failure still gets a 500 OperationOutcome.
func WriteSearchset(w http.ResponseWriter, r *http.Request, v *fhir.Version, s *Searchset) {
	f, err := Negotiate(r, v)
	if err != nil {
		WriteError(w, r, v, err)
		return
	}
	buf := getBuf()
	body, err := appendSearchset(*buf, s)
	if err != nil {
		putBuf(buf, body)
		WriteError(w, r, v, err)
		return
	}
	if f.Pretty {
		var out bytes.Buffer
		_ = json.Indent(&out, body, "", "  ")
		putBuf(buf, body)
		body = out.Bytes()
		buf = nil
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	privateHeaders(w.Header())
	if emit(w, http.StatusOK, body, true, buf) {
		return // the batch recorder kept body (and gives buf back later)
	}
	if buf != nil {
		putBuf(buf, body)
	}
}

// EncodeSearchset writes s as a searchset Bundle to w (compact JSON).
func EncodeSearchset(w io.Writer, s *Searchset) error {
	buf := getBuf()
	body, err := appendSearchset(*buf, s)
	if err == nil {
		_, err = w.Write(body)
	}
	putBuf(buf, body)
	return err
}

// bufPool holds the buffers Bundles are built in.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

// putBuf returns b (the grown *p) to the pool unless it is very large.
func putBuf(p *[]byte, b []byte) {
	if cap(b) > 1<<20 {
		return
	}
	*p = b[:0]
	bufPool.Put(p)
}

var errNoResource = errors.New("fhir: entry without resource")

// appendResource appends the JSON encoding of res to dst and checks that
// what was appended is valid JSON. A generated model (a
// [fhirjson.Encodable]) is appended in place; any other json.Marshaler is
// marshalled and copied; a CheckedJSON was checked already and is copied.
// The check is kept for the first two: a model may carry
// members kept by lenient decoding (fhirjson.Unknown), which a backend can
// set to anything.
func appendResource(dst []byte, res json.Marshaler) ([]byte, error) {
	if res == nil {
		return dst, errNoResource
	}
	if c, ok := res.(CheckedJSON); ok {
		return append(dst, c...), nil
	}
	start := len(dst)
	if enc, ok := res.(fhirjson.Encodable); ok {
		dst = fhirjson.AppendJSON(dst, enc)
	} else {
		b, err := res.MarshalJSON()
		if err != nil {
			return dst, err
		}
		dst = append(dst, b...)
	}
	if !validJSON(dst[start:]) {
		return dst[:start], errors.New("fhir: resource encoded to invalid JSON")
	}
	return dst, nil
}

// jw appends JSON to a byte slice.
type jw struct {
	b []byte
}

func (j *jw) raw(s string) { j.b = append(j.b, s...) }

func (j *jw) bytes(b []byte) { j.b = append(j.b, b...) }

// str writes the concatenation of parts as one JSON string.
func (j *jw) str(parts ...string) {
	j.b = append(j.b, '"')
	for _, p := range parts {
		j.b = appendEscaped(j.b, p)
	}
	j.b = append(j.b, '"')
}

const hexDigits = "0123456789abcdef"

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// appendSearchset appends s as a compact searchset Bundle to dst, encoding
// each resource in place.
func appendSearchset(dst []byte, s *Searchset) ([]byte, error) {
	j := &jw{b: dst}
	j.raw(`{"resourceType":"Bundle","type":"searchset","total":`)
	j.b = strconv.AppendInt(j.b, int64(s.Total), 10)
	j.raw(`,"link":[{"relation":"self","url":`)
	j.str(s.Self)
	j.raw(`}`)
	if s.Next != "" {
		j.raw(`,{"relation":"next","url":`)
		j.str(s.Next)
		j.raw(`}`)
	}
	j.raw(`]`)
	if len(s.Entries) > 0 {
		j.raw(`,"entry":[`)
		for i, e := range s.Entries {
			if i > 0 {
				j.raw(`,`)
			}
			j.raw(`{`)
			if e.Type != "" && e.ID != "" {
				j.raw(`"fullUrl":`)
				j.str(s.Base, "/", e.Type, "/", e.ID)
				j.raw(`,`)
			}
			j.raw(`"resource":`)
			var err error
			if j.b, err = appendResource(j.b, e.Resource); err != nil {
				return j.b, err
			}
			mode := e.Mode
			if mode == "" {
				mode = ModeMatch
			}
			j.raw(`,"search":{"mode":`)
			j.str(string(mode))
			j.raw(`}}`)
		}
		j.raw(`]`)
	}
	j.raw(`}`)
	return j.b, nil
}
