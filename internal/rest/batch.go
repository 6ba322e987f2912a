package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// Batch serves POST [base] with a batch Bundle. Each entry (a GET read or
// search, or a POST [type]/_search) is turned into a sub-request that keeps
// the parent request's context (principal, tenant, deadline) and headers
// (Authorization among them) and runs through Handler, the same handler
// chain as a direct request. Entries run concurrently up to Concurrency; the
// batch-response keeps the order of the request entries and gives each its
// own response.status and result or OperationOutcome. A failing entry never
// fails the batch. A transaction Bundle is refused as not supported.
//
// The zero values of the limits give the defaults. Set the fields before
// serving; a Batch is then safe for concurrent use.
type Batch struct {
	// Version is the FHIR version served.
	Version *fhir.Version
	// Handler is the handler chain entries go through. It may be the chain
	// that contains this Batch: nested batches are refused.
	Handler http.Handler
	// MaxEntries is the largest number of entries accepted (default 100).
	MaxEntries int
	// MaxBodyBytes bounds the request body (default 1 MiB).
	MaxBodyBytes int64
	// MaxResponseBytes bounds the batch-response (default 8 MiB): a small
	// batch of large searches must not make the server build an unbounded
	// answer. Entries past the bound, in request order, are answered with
	// a too-costly OperationOutcome of their own.
	MaxResponseBytes int
	// Concurrency bounds the entries running at once (default 6).
	Concurrency int
	// BaseURL returns the absolute base URL clients use for this endpoint
	// (no trailing slash). Entries with an absolute URL under it are served;
	// absolute URLs of another server are refused per entry. The default is
	// derived from the request (scheme, Host and path).
	BaseURL func(r *http.Request) string
	// Logger receives handler panics (entry index only; no data). Default
	// slog.Default().
	Logger *slog.Logger
	// ObserveEntries, when set, is called with the number of entries of
	// each batch decoded (for metrics).
	ObserveEntries func(n int)
}

// BatchRequest is a decoded batch Bundle.
type BatchRequest struct {
	// Entries are the entries in order.
	Entries []BatchEntry
}

// BatchEntry is one entry's request.
type BatchEntry struct {
	// Method is entry.request.method.
	Method string
	// URL is entry.request.url.
	URL string
	// IfNoneMatch, IfModifiedSince, IfMatch are the conditional headers of
	// the entry (entry.request.ifNoneMatch ...).
	IfNoneMatch, IfModifiedSince, IfMatch string
	// HasRequest reports whether the entry had a request element.
	HasRequest bool
}

type wireBundle struct {
	ResourceType string      `json:"resourceType"`
	Type         string      `json:"type"`
	Entry        []wireEntry `json:"entry"`
}

type wireEntry struct {
	Request *struct {
		Method          string `json:"method"`
		URL             string `json:"url"`
		IfNoneMatch     string `json:"ifNoneMatch"`
		IfModifiedSince string `json:"ifModifiedSince"`
		IfMatch         string `json:"ifMatch"`
	} `json:"request"`
}

// DecodeBatch decodes a batch Bundle. It refuses bodies that are not JSON
// objects, resources other than Bundle, Bundle types other than batch
// (transaction gets [ErrNotSupported]) and more than maxEntries entries
// ([ErrTooLarge]). Problems of single entries are reported per entry when
// the batch runs, not here.
func DecodeBatch(body []byte, maxEntries int) (*BatchRequest, error) {
	if err := strictKeys(body); err != nil {
		return nil, err
	}
	var wb wireBundle
	if err := json.Unmarshal(body, &wb); err != nil {
		return nil, fhir.NewError(fhir.ErrInvalidRequest, "The body is not a valid JSON Bundle.")
	}
	if wb.ResourceType != "Bundle" {
		return nil, fhir.NewError(fhir.ErrInvalidRequest, "The body must be a Bundle resource of type batch.")
	}
	switch wb.Type {
	case "batch":
	case "transaction":
		return nil, fhir.NewError(fhir.ErrNotSupported, "Transactions are not supported by this read-oriented server; send a Bundle of type batch.")
	default:
		return nil, fhir.NewError(fhir.ErrInvalidRequest, "The Bundle type must be batch.")
	}
	if len(wb.Entry) > maxEntries {
		return nil, fhir.NewError(fhir.ErrTooLarge, fmt.Sprintf("A batch takes at most %d entries.", maxEntries))
	}
	br := &BatchRequest{Entries: make([]BatchEntry, len(wb.Entry))}
	for i, e := range wb.Entry {
		if e.Request == nil {
			continue
		}
		br.Entries[i] = BatchEntry{
			Method: e.Request.Method, URL: e.Request.URL, HasRequest: true,
			IfNoneMatch: e.Request.IfNoneMatch, IfModifiedSince: e.Request.IfModifiedSince, IfMatch: e.Request.IfMatch,
		}
	}
	return br, nil
}

// errKeys is the answer to a Bundle whose members are ambiguous.
var errKeys = fhir.NewError(fhir.ErrInvalidRequest, "The Bundle repeats a member name (JSON object keys must be unique and exactly cased).")

// strictKeys refuses JSON whose objects repeat a member, or spell a member
// the batch reads (resourceType, type, entry, request, method, url, ...)
// in another case: encoding/json would let the last duplicate or a
// differently cased name win, so {"type":"batch","type":"transaction"}
// would be read as a transaction and {"TYPE":...} as the type.
func strictKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		keys   map[string]bool // nil for arrays
		expect bool            // the next string token is a key
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return nil // not JSON: json.Unmarshal gives the error
		}
		top := len(stack) - 1
		if k, isStr := tok.(string); isStr && top >= 0 && stack[top].keys != nil && stack[top].expect {
			if stack[top].keys[k] {
				return errKeys
			}
			for _, known := range wireNames {
				if k != known && strings.EqualFold(k, known) {
					return errKeys
				}
			}
			stack[top].keys[k] = true
			stack[top].expect = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]bool{}, expect: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:top]
		}
		// A value ends: the enclosing object expects a key next.
		if n := len(stack) - 1; n >= 0 && stack[n].keys != nil {
			stack[n].expect = true
		}
	}
}

// wireNames are the members DecodeBatch reads.
var wireNames = []string{"resourceType", "type", "entry", "request", "method", "url", "ifNoneMatch", "ifModifiedSince", "ifMatch"}

type batchKey struct{}

// InBatch reports whether ctx belongs to a batch entry's sub-request.
func InBatch(ctx context.Context) bool { return ctx.Value(batchKey{}) != nil }

func (b *Batch) limits() (maxEntries int, maxBody int64, conc int) {
	maxEntries, maxBody, conc = b.MaxEntries, b.MaxBodyBytes, b.Concurrency
	if maxEntries <= 0 {
		maxEntries = 100
	}
	if maxBody <= 0 {
		maxBody = 1 << 20
	}
	if conc <= 0 {
		conc = 6
	}
	return
}

// ServeHTTP implements http.Handler.
func (b *Batch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	v := b.Version
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		WriteError(w, r, v, fhir.NewError(fhir.ErrMethodNotAllow, "Batch uses POST [base]."))
		return
	}
	if b.Handler == nil || v == nil {
		if v == nil {
			v = fhir.STU3
		}
		WriteError(w, r, v, errors.New("fhir: Batch without Version or Handler"))
		return
	}
	if InBatch(r.Context()) {
		WriteError(w, r, v, fhir.NewError(fhir.ErrInvalidRequest, "A batch cannot contain a batch."))
		return
	}
	f, err := Negotiate(r, v)
	if err != nil {
		WriteError(w, r, v, err)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, perr := mime.ParseMediaType(ct)
		if perr != nil || !v.IsJSON(mt) {
			WriteError(w, r, v, fhir.NewError(fhir.ErrUnsupportedType, "A batch Bundle must be sent as "+v.MIMEType+"."))
			return
		}
	}
	maxEntries, maxBody, conc := b.limits()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		WriteError(w, r, v, fhir.NewError(fhir.ErrInvalidRequest, "The request body could not be read."))
		return
	}
	if int64(len(body)) > maxBody {
		WriteError(w, r, v, fhir.NewError(fhir.ErrTooLarge, fmt.Sprintf("A batch body is at most %d bytes.", maxBody)))
		return
	}
	br, err := DecodeBatch(body, maxEntries)
	if err != nil {
		WriteError(w, r, v, err)
		return
	}
	if b.ObserveEntries != nil {
		b.ObserveEntries(len(br.Entries))
	}
	results := b.run(r, br, conc)
	b.bound(results)
	bp := getBuf()
	out := appendBatchResponse(*bp, v, results)
	for i := range results {
		// The entries' pooled buffers were copied into out.
		if res := &results[i]; res.pool != nil {
			putBuf(res.pool, res.buf)
			res.Body, res.buf, res.pool = nil, nil, nil
		}
	}
	body = out
	if f.Pretty {
		var ind bytes.Buffer
		if json.Indent(&ind, out, "", "  ") == nil {
			body = ind.Bytes()
		}
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body) // a Writer must not retain body: out goes back to the pool
	putBuf(bp, out)
}

// entryResult is the outcome of one batch entry.
// bound replaces the entries that would take the batch-response past
// MaxResponseBytes with a too-costly outcome each.
func (b *Batch) bound(results []entryResult) {
	limit := b.MaxResponseBytes
	if limit <= 0 {
		limit = 8 << 20
	}
	size := 0
	for i := range results {
		res := &results[i]
		size += len(res.Body) + 256 // the entry's own members
		if size <= limit {
			continue
		}
		if res.pool != nil {
			putBuf(res.pool, res.buf)
		}
		*res = failed(fhir.NewError(fhir.ErrTooCostly, fmt.Sprintf("The batch-response would exceed %d bytes: ask for fewer or smaller pages.", limit)))
		size += len(res.Body) + 256
	}
}

type entryResult struct {
	// Status is the HTTP status of the entry.
	Status int
	// Body is the JSON resource the entry answered (a resource, a Bundle or
	// an OperationOutcome); nil when there is none (304).
	Body []byte
	// ETag, LastModified and Location are copied from the entry's response.
	ETag, LastModified, Location string
	// pool and buf are the bufPool entry the recorder's body lives in, to
	// give back once the batch-response is built; pool is nil otherwise.
	pool *[]byte
	buf  []byte
}

// run executes the entries of br as sub-requests of parent through
// b.Handler, at most conc at once, and returns one result per entry in order.
func (b *Batch) run(parent *http.Request, br *BatchRequest, conc int) []entryResult {
	results := make([]entryResult, len(br.Entries))
	s := &subRequests{
		parent: parent,
		base:   b.baseURL(parent),
		ctx:    context.WithValue(parent.Context(), batchKey{}, true),
		path:   strings.TrimSuffix(parent.URL.Path, "/") + "/",
	}
	// Entries without conditional headers share one read-only header map
	// (handlers must not modify a request, net/http says).
	s.header = b.entryHeader(parent.Header, http.MethodGet, nil)
	var g errgroup.Group
	g.SetLimit(max(conc, 1))
	for i := range br.Entries {
		g.Go(func() error {
			results[i] = b.runEntry(s, i, &br.Entries[i])
			return nil
		})
	}
	_ = g.Wait()
	return results
}

func (b *Batch) baseURL(r *http.Request) string {
	if b.BaseURL != nil {
		return strings.TrimSuffix(b.BaseURL(r), "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + strings.TrimSuffix(r.URL.Path, "/")
}

func failed(err error) entryResult {
	oo, status := fhir.NewOutcome(err)
	body, _ := json.Marshal(oo)
	return entryResult{Status: status, Body: body}
}

// entryTarget validates an entry's method and URL and returns the method,
// the path relative to the base and the raw query.
func entryTarget(e *BatchEntry, base string) (method, rel, rawQuery string, err error) {
	if !e.HasRequest || e.Method == "" || e.URL == "" {
		return "", "", "", fhir.NewError(fhir.ErrInvalidRequest, "Each batch entry needs request.method and request.url.")
	}
	raw := e.URL
	u, perr := url.Parse(raw)
	if perr != nil {
		return "", "", "", fhir.NewError(fhir.ErrInvalidRequest, "The entry's request.url is not a valid URL.")
	}
	if u.Scheme != "" || u.Host != "" {
		b, berr := url.Parse(base)
		if berr != nil || !strings.EqualFold(u.Scheme, b.Scheme) || !strings.EqualFold(u.Host, b.Host) ||
			!strings.HasPrefix(u.Path, strings.TrimSuffix(b.Path, "/")+"/") {
			return "", "", "", fhir.NewError(fhir.ErrInvalidRequest, "The entry's request.url points to another server; use a URL relative to this server's base.")
		}
		u.Path = u.Path[len(strings.TrimSuffix(b.Path, "/")):]
	}
	rel = strings.TrimPrefix(u.Path, "/")
	if rel == "" || path.Clean("/"+rel) != "/"+rel || strings.Contains(rel, "//") {
		return "", "", "", fhir.NewError(fhir.ErrInvalidRequest, "The entry's request.url must name a resource type or a resource.")
	}
	switch e.Method { // FHIR's http-verb codes are upper case: "get" is not one
	case http.MethodGet:
		return http.MethodGet, rel, u.RawQuery, nil
	case http.MethodPost:
		if strings.HasSuffix(rel, "/_search") {
			return http.MethodPost, rel, u.RawQuery, nil
		}
	}
	return "", "", "", fhir.NewError(fhir.ErrNotSupported, "Batch entries may be GET reads and searches or POST [type]/_search; this server is read-only.")
}

// subRequests is what the entries of one batch share.
type subRequests struct {
	parent *http.Request
	base   string
	ctx    context.Context // the parent's, marked as inside a batch
	path   string          // the parent's path with one trailing slash
	header http.Header     // for GET entries without conditional headers
}

// entryHeader returns the headers of an entry's sub-request: the parent's
// without those of its body, encoding and conditions, then the entry's own.
func (b *Batch) entryHeader(parent http.Header, method string, e *BatchEntry) http.Header {
	h := parent.Clone()
	if h == nil {
		h = make(http.Header)
	}
	for _, k := range []string{"Content-Length", "Content-Type", "Content-Encoding", "Accept-Encoding", "If-None-Match", "If-Modified-Since", "If-Match", "Expect"} {
		delete(h, k)
	}
	h["Accept"] = []string{b.Version.MIMEType}
	if method == http.MethodPost {
		h["Content-Type"] = []string{"application/x-www-form-urlencoded"}
	}
	if e != nil {
		if e.IfNoneMatch != "" {
			h.Set("If-None-Match", e.IfNoneMatch)
		}
		if e.IfModifiedSince != "" {
			h.Set("If-Modified-Since", e.IfModifiedSince)
		}
		if e.IfMatch != "" {
			h.Set("If-Match", e.IfMatch)
		}
	}
	return h
}

func (b *Batch) runEntry(s *subRequests, i int, e *BatchEntry) (res entryResult) {
	if err := s.ctx.Err(); err != nil {
		return failed(err)
	}
	method, rel, rawQuery, err := entryTarget(e, s.base)
	if err != nil {
		return failed(err)
	}
	sub := s.parent.WithContext(s.ctx) // a shallow copy
	sub.Method = method
	sub.URL = &url.URL{Path: s.path + rel, RawQuery: rawQuery}
	sub.RequestURI = sub.URL.RequestURI()
	sub.Body = http.NoBody
	sub.ContentLength = 0
	sub.TransferEncoding = nil
	sub.Trailer = nil
	sub.GetBody = nil
	sub.Form, sub.PostForm, sub.MultipartForm = nil, nil, nil
	sub.Pattern = ""
	if method == http.MethodGet && e.IfNoneMatch == "" && e.IfModifiedSince == "" && e.IfMatch == "" {
		sub.Header = s.header
	} else {
		sub.Header = b.entryHeader(s.parent.Header, method, e)
	}
	rec := &recorder{header: make(http.Header)}
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			b.logger().Error("fhir: batch entry handler panicked", "entry", i)
			res = failed(fhir.ErrInternal)
		}
	}()
	b.Handler.ServeHTTP(rec, sub)
	return rec.result()
}

func (b *Batch) logger() *slog.Logger {
	if b.Logger != nil {
		return b.Logger
	}
	return slog.Default()
}

// recorder is the in-memory ResponseWriter of a batch entry.
type recorder struct {
	header http.Header
	status int
	body   []byte
	// writes counts the writes; trusted is set when the body was handed
	// over whole, as valid JSON, by this package's writers (see emit).
	writes  int
	trusted bool
	// pool is the bufPool entry body lives in (see emit), or nil.
	pool *[]byte
}

// Header implements http.ResponseWriter.
func (r *recorder) Header() http.Header { return r.header }

// WriteHeader records the first final status.
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
}

// Write buffers the body (implying 200 when no status was written).
func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body = append(r.body, p...)
	r.writes++
	r.trusted = false
	return len(p), nil
}

// adopt takes body, valid JSON written whole by this package, without
// copying it. It is trusted only when it is the entry's only write.
func (r *recorder) adopt(body []byte, pool *[]byte) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.writes++
	if r.writes == 1 {
		r.body, r.trusted, r.pool = body, true, pool
		return
	}
	r.body = append(r.body, body...)
	r.trusted = false
	if pool != nil {
		putBuf(pool, body) // copied
	}
}

func (r *recorder) result() entryResult {
	res := entryResult{
		pool:         r.pool,
		buf:          r.body,
		Status:       r.status,
		ETag:         r.header.Get("ETag"),
		LastModified: r.header.Get("Last-Modified"),
		Location:     r.header.Get("Location"),
	}
	if res.Status == 0 {
		res.Status = http.StatusOK
	}
	body := r.body
	if !r.trusted {
		body = bytes.TrimSpace(body)
	}
	switch {
	case len(body) > 0 && body[0] == '{' && (r.trusted || validJSON(body)):
		res.Body = body
	case res.Status >= 400:
		// A handler outside the FHIR layer (e.g. a mux 404) answered text:
		// give the entry an OperationOutcome for its status.
		fr := failed(fhir.ErrorForStatus(res.Status))
		res.Body = fr.Body
	case res.Status != http.StatusNotModified && res.Status != http.StatusNoContent:
		fr := failed(fhir.ErrInternal)
		return fr
	}
	return res
}

func statusLine(code int) string {
	if code == http.StatusOK {
		return "200 OK" // nearly every entry: no allocation
	}
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return strconv.Itoa(code)
}

// appendBatchResponse appends the batch-response Bundle of results to dst.
// Entry bodies are spliced as they are: each is valid JSON, either written
// by this package or checked by the recorder.
func appendBatchResponse(dst []byte, v *fhir.Version, results []entryResult) []byte {
	n := 64
	for i := range results {
		n += len(results[i].Body) + 160
	}
	j := &jw{b: slices.Grow(dst, n)}
	j.raw(`{"resourceType":"Bundle","type":"batch-response","entry":[`)
	for i := range results {
		res := &results[i]
		if i > 0 {
			j.raw(`,`)
		}
		j.raw(`{`)
		outcomeInResponse := res.Status >= 400 && v.ResponseOutcome && res.Body != nil
		if res.Body != nil && !outcomeInResponse {
			j.raw(`"resource":`)
			j.bytes(res.Body)
			j.raw(`,`)
		}
		j.raw(`"response":{"status":`)
		j.str(statusLine(res.Status))
		if res.Location != "" {
			j.raw(`,"location":`)
			j.str(res.Location)
		}
		if res.ETag != "" {
			j.raw(`,"etag":`)
			j.str(res.ETag)
		}
		if lm := lastModified(res.LastModified); lm != "" {
			j.raw(`,"lastModified":`)
			j.str(lm)
		}
		if outcomeInResponse {
			j.raw(`,"outcome":`)
			j.bytes(res.Body)
		}
		j.raw(`}}`)
	}
	j.raw(`]}`)
	return j.b
}

// lastModified converts an HTTP date to a FHIR instant; unparseable values
// are dropped rather than written invalid.
func lastModified(h string) string {
	if h == "" {
		return ""
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05Z")
}
