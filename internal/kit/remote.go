package kit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
)

// Remote is an http.Handler that sends every request it gets to a server
// over the network, at Origin with the request's path and query, and
// writes that server's answer back: the kit, which drives an in-process
// handler, drives any FHIR server through it (patientsfhir check does).
// Run the kit with Options.Base set to the path of the server's FHIR base
// (its next links are followed by path).
type Remote struct {
	// Origin is scheme://host[:port] of the server. Required.
	Origin string
	// Client sends the requests; default http.DefaultClient. Give it a
	// timeout.
	Client *http.Client
	// MaxBody bounds a response body; default 64 MiB.
	MaxBody int64
	// OnRequest, when set, is called before each request is sent (a
	// progress display), with the method and the path only.
	OnRequest func(method, path string)

	requests atomic.Int64
}

// Requests returns how many requests were sent.
func (rm *Remote) Requests() int64 { return rm.requests.Load() }

// hopHeaders are not forwarded.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade", "Host"}

// ServeHTTP forwards r. When the server cannot be reached or its answer
// cannot be read, the answer is 502 with an OperationOutcome whose
// diagnostics say why, so that the kit's finding names the cause.
func (rm *Remote) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rm.requests.Add(1)
	if rm.OnRequest != nil {
		rm.OnRequest(r.Method, r.URL.Path)
	}
	c := rm.Client
	if c == nil {
		c = http.DefaultClient
	}
	limit := rm.MaxBody
	if limit == 0 {
		limit = 64 << 20
	}
	target := strings.TrimSuffix(rm.Origin, "/") + r.URL.RequestURI()
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target, r.Body)
	if err != nil {
		unreachable(w, err)
		return
	}
	out.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	out.ContentLength = r.ContentLength
	res, err := c.Do(out)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // the method and URL are said below, without the query
		}
		unreachable(w, fmt.Errorf("%s %s: %w", r.Method, r.URL.Path, err))
		return
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err == nil && int64(len(body)) > limit {
		err = fmt.Errorf("the body is larger than %d bytes", limit)
	}
	if err != nil {
		unreachable(w, fmt.Errorf("%s %s: reading the answer: %w", r.Method, r.URL.Path, err))
		return
	}
	for k, vs := range res.Header {
		if k == "Content-Length" || k == "Transfer-Encoding" || k == "Connection" {
			continue
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(res.StatusCode)
	_, _ = w.Write(body)
}

// unreachable answers 502 with an OperationOutcome saying why.
func unreachable(w http.ResponseWriter, err error) {
	oo := map[string]any{"resourceType": "OperationOutcome", "issue": []any{map[string]any{
		"severity": "error", "code": "transient", "diagnostics": "the server could not be reached: " + err.Error()}}}
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(oo)
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(http.StatusBadGateway)
	_, _ = w.Write(b.Bytes())
}
