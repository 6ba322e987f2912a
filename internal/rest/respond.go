package rest

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// Format is the outcome of content negotiation for one request.
type Format struct {
	// ContentType is the Content-Type header value to send (with charset).
	ContentType string
	// Pretty reports whether the client asked for indented JSON (_pretty=true).
	Pretty bool
}

// Negotiate chooses the response format of a request. The _format parameter
// beats the Accept header. JSON is always available: the version's own MIME
// type, the other version's spelling, application/json and "json" are all
// accepted. A request that can only take XML (or anything else that is not
// JSON) gets an error of kind [ErrNotAcceptable] whose message names JSON.
//
// Responses use the version's MIME type, except when the client asked for
// application/json explicitly and not for a FHIR type, which gets
// application/json back.
func Negotiate(r *http.Request, v *fhir.Version) (Format, error) {
	f := Format{ContentType: v.ContentType()}
	var q url.Values
	if mayHaveFormatParams(r.URL.RawQuery) {
		q = r.URL.Query()
	}
	f.Pretty = q.Get("_pretty") == "true"
	if vals := q["_format"]; len(vals) > 0 && strings.TrimSpace(vals[0]) != "" {
		mt := mediaType(vals[0])
		if !v.IsJSON(mt) {
			return f, notAcceptable(v)
		}
		if mt == "application/json" {
			f.ContentType = "application/json; charset=utf-8"
		}
		return f, nil
	}
	accept := r.Header.Values("Accept")
	if len(accept) == 0 {
		return f, nil
	}
	plainJSON, fhirJSON, wildcard := false, false, false
	seen := false
	for _, h := range accept {
		for rest, more := h, true; more; {
			var part string
			part, rest, more = strings.Cut(rest, ",")
			if strings.TrimSpace(part) == "" {
				continue
			}
			seen = true
			if qZero(part) {
				continue
			}
			mt := mediaType(part)
			switch {
			case mt == "*/*" || mt == "application/*":
				wildcard = true
			case mt == "application/json":
				plainJSON = true
			case v.IsJSON(mt):
				fhirJSON = true
			}
		}
	}
	switch {
	case fhirJSON || (wildcard && !plainJSON) || !seen:
		return f, nil
	case plainJSON:
		f.ContentType = "application/json; charset=utf-8"
		return f, nil
	}
	return f, notAcceptable(v)
}

// mayHaveFormatParams reports whether a raw query can hold _format or
// _pretty, so that the common query without them is not parsed again.
func mayHaveFormatParams(rawQuery string) bool {
	return strings.Contains(rawQuery, "_format") || strings.Contains(rawQuery, "_pretty") ||
		strings.Contains(rawQuery, "%5F") || strings.Contains(rawQuery, "%5f")
}

func notAcceptable(v *fhir.Version) error {
	return fhir.NewError(fhir.ErrNotAcceptable, "This server returns JSON only; ask for "+v.MIMEType+" or application/json (for example _format=json).")
}

// qZero reports whether an Accept element carries q=0 (explicitly refused).
func qZero(part string) bool {
	_, rest, more := strings.Cut(part, ";")
	for more {
		var p string
		p, rest, more = strings.Cut(rest, ";")
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			return err == nil && f == 0
		}
	}
	return false
}

// WriteError writes err as an OperationOutcome with the status of the error
// table and the version's MIME type. It never writes the text of an error
// that is not marked safe (see [Safe]). It honours _pretty.
func WriteError(w http.ResponseWriter, r *http.Request, v *fhir.Version, err error) {
	oo, status := fhir.NewOutcome(err)
	body, _ := json.Marshal(oo) // cannot fail: plain strings
	h := w.Header()
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Del("Content-Length")
	writeBody(w, r, v.ContentType(), status, body, true)
}

// WriteJSON writes a JSON body (a resource already encoded) with the
// negotiated format. If negotiation fails it writes the 406 OperationOutcome
// instead.
func WriteJSON(w http.ResponseWriter, r *http.Request, v *fhir.Version, status int, body []byte) {
	f, err := Negotiate(r, v)
	if err != nil {
		WriteError(w, r, v, err)
		return
	}
	writeBody(w, r, f.ContentType, status, body, false)
}

// WriteResource encodes res and writes it like [WriteJSON]. An encoding
// failure is answered with a 500 OperationOutcome. A generated model (a
// fhirjson.Encodable) is encoded with its EncodeJSON method; any other
// resource with MarshalJSON. The encoding is checked to be valid JSON.
func WriteResource(w http.ResponseWriter, r *http.Request, v *fhir.Version, status int, res json.Marshaler) {
	body, err := appendResource(nil, res)
	if err != nil {
		WriteError(w, r, v, fhir.ErrInternal)
		return
	}
	f, err := Negotiate(r, v)
	if err != nil {
		WriteError(w, r, v, err)
		return
	}
	writeBody(w, r, f.ContentType, status, body, true)
}

// writeBody writes body with its headers. trusted says that body is valid
// JSON produced by this package, which lets a batch splice it unchecked.
func writeBody(w http.ResponseWriter, r *http.Request, contentType string, status int, body []byte, trusted bool) {
	if r != nil && r.URL != nil && mayHaveFormatParams(r.URL.RawQuery) && r.URL.Query().Get("_pretty") == "true" {
		var buf bytes.Buffer
		if json.Indent(&buf, body, "", "  ") == nil {
			body = buf.Bytes()
		}
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	privateHeaders(h)
	emit(w, status, body, trusted, nil)
}

// Shared header values: net/http never modifies them.
var (
	hdrNoStore = []string{"no-store"}
	hdrNoSniff = []string{"nosniff"}
)

// privateHeaders marks a response that may hold patient data: no cache may
// keep it (Cache-Control: no-store) and no browser may guess another media
// type for it (X-Content-Type-Options: nosniff).
func privateHeaders(h http.Header) {
	h["Cache-Control"] = hdrNoStore
	h["X-Content-Type-Options"] = hdrNoSniff
}

// emit sends the status and body. When w is a batch entry's recorder and
// body is trusted (valid JSON written whole by this package), the recorder
// keeps body itself and the batch splices it without re-checking; emit
// then reports true and the caller must not reuse body. pool, when not
// nil, is the bufPool entry body was built in: the batch returns it there
// once the batch-response is written.
func emit(w http.ResponseWriter, status int, body []byte, trusted bool, pool *[]byte) (kept bool) {
	if rec, ok := w.(*recorder); ok && trusted {
		rec.WriteHeader(status)
		rec.adopt(body, pool)
		return true
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return false
}

// mediaType returns the lower-cased media type of a header or _format value
// without its parameters. A value that does not parse is returned trimmed
// and lower-cased, so that it is refused rather than guessed.
func mediaType(s string) string {
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, ';') < 0 {
		// What both branches below give without parameters, unallocated
		// when s is already lower case.
		return strings.ToLower(s)
	}
	if mt, _, err := mime.ParseMediaType(s); err == nil {
		return mt
	}
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	return strings.ToLower(strings.TrimSpace(s))
}
