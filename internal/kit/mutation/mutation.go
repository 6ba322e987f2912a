package mutation

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/patientsfhir/patientsfhir/internal/kit"
)

// Mutation is one deliberate break of one rule of the contract, made by an
// HTTP middleware around a correct server. The kit run on the wrapped
// server must fail with a finding of Rule.
type Mutation struct {
	// Rule is the id of the kit rule the mutation breaks.
	Rule string
	// Name says what the broken server does, e.g. "ignores _count".
	Name string
	// NeedsSchema says the rule is only checked with kit.Options.Schema.
	NeedsSchema bool
	f           fault
}

// Env is what a mutation knows of the run: where the server is mounted,
// the contract and the test data.
type Env struct {
	// Base is the path the FHIR endpoint is served at, e.g. "/stu3".
	Base string
	// Version is the contract.
	Version *kit.Version
	// Data names the test patient.
	Data kit.TestData
}

// obj is a decoded JSON object.
type obj = map[string]any

// fault is what a mutation changes; nil parts change nothing.
type fault struct {
	// query rewrites the query of a read or search: a GET query, a POST
	// _search form, a batch entry's URL.
	query func(c *call, q url.Values)
	// resource alters every resource answered: a read, the statement,
	// every entry of a searchset, every batch entry's resource.
	resource func(c *call, res obj)
	// bundle alters every searchset (before its entries).
	bundle func(c *call, b obj)
	// batch alters a batch-response.
	batch func(b obj)
	// reply alters a response as sent (status, headers, body).
	reply func(c *call, rp *reply)
	// only, when set, is a piece of JSON a response must hold for the
	// resource, bundle and batch parts to look at it (a cheap filter: most
	// responses need not be decoded and encoded again).
	only []byte
}

// call is one read or search as the broken server sees it.
type call struct {
	env *Env
	// typ is the resource type ("metadata" for the statement, "" for a
	// batch), id the id of a read.
	typ, id string
	// query is the query after the fault rewrote it.
	query url.Values
	// auth is the request's Authorization header.
	auth string
	// inner is the correct server.
	inner http.Handler
}

// reply is a response as it will be sent.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// Wrap returns h broken by m.
func (m Mutation) Wrap(h http.Handler, env Env) http.Handler {
	return &broken{f: m.f, inner: h, env: env}
}

type broken struct {
	f     fault
	inner http.Handler
	env   Env
}

func (b *broken) call(r *http.Request, rel string) *call {
	c := &call{env: &b.env, auth: r.Header.Get("Authorization"), inner: b.inner}
	c.typ, c.id, _ = strings.Cut(rel, "/")
	return c
}

func (b *broken) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rel := strings.Trim(strings.TrimPrefix(r.URL.Path, b.env.Base), "/")
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
	}
	r = r.Clone(r.Context())
	c := b.call(r, rel)
	var entries []*call // the calls of a batch's entries
	switch {
	case r.Method == http.MethodPost && rel == "":
		c.typ = ""
		body, entries = b.batchRequest(r, body)
	case r.Method == http.MethodPost && strings.HasSuffix(rel, "/_search"):
		c.typ, c.id = strings.TrimSuffix(rel, "/_search"), ""
		q, _ := url.ParseQuery(string(body))
		if b.f.query != nil {
			b.f.query(c, q)
			body = []byte(q.Encode())
		}
		c.query = q
	default:
		q := r.URL.Query()
		if b.f.query != nil {
			b.f.query(c, q)
			r.URL.RawQuery = q.Encode()
		}
		c.query = q
	}
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	rec := httptest.NewRecorder()
	b.inner.ServeHTTP(rec, r)
	rp := &reply{status: rec.Code, header: rec.Header().Clone(), body: rec.Body.Bytes()}
	if (b.f.resource != nil || b.f.bundle != nil || b.f.batch != nil) && (b.f.only == nil || bytes.Contains(rp.body, b.f.only)) {
		if doc, ok := kit.DecodeObject(rp.body); ok {
			if sval(doc, "type") == "batch-response" {
				for i, e := range list(doc["entry"]) {
					if res, _ := asObj(e)["resource"].(obj); res != nil && i < len(entries) {
						b.apply(entries[i], res)
					}
				}
				if b.f.batch != nil {
					b.f.batch(doc)
				}
			} else {
				b.apply(c, doc)
			}
			rp.body, _ = json.Marshal(doc)
		}
	}
	if b.f.reply != nil {
		b.f.reply(c, rp)
	}
	for k, v := range rp.header {
		w.Header()[k] = v
	}
	w.Header().Del("Content-Length")
	w.WriteHeader(rp.status)
	_, _ = w.Write(rp.body)
}

// batchRequest rewrites the URL of every entry of a batch Bundle and
// returns the new body and the call of each entry.
func (b *broken) batchRequest(r *http.Request, body []byte) ([]byte, []*call) {
	doc, ok := kit.DecodeObject(body)
	if !ok {
		return body, nil
	}
	var calls []*call
	for _, e := range list(doc["entry"]) {
		req := asObj(asObj(e)["request"])
		path, raw, _ := strings.Cut(sval(req, "url"), "?")
		c := b.call(r, strings.Trim(path, "/"))
		c.query, _ = url.ParseQuery(raw)
		if b.f.query != nil && req != nil {
			b.f.query(c, c.query)
			req["url"] = path + "?" + c.query.Encode()
		}
		calls = append(calls, c)
	}
	if b.f.query != nil {
		body, _ = json.Marshal(doc)
	}
	return body, calls
}

// apply runs the bundle and resource faults on one answer.
func (b *broken) apply(c *call, res obj) {
	if sval(res, "resourceType") == "Bundle" && sval(res, "type") == "searchset" {
		if b.f.bundle != nil {
			b.f.bundle(c, res)
		}
		if b.f.resource != nil {
			for _, e := range list(res["entry"]) {
				if er, _ := asObj(e)["resource"].(obj); er != nil {
					b.f.resource(c, er)
				}
			}
		}
		return
	}
	if b.f.resource != nil {
		b.f.resource(c, res)
	}
}

// get fetches rel (a URL of the server, absolute or not) from the correct
// server, with the credentials of c.
func (c *call) get(link string) obj {
	u, err := url.Parse(link)
	if err != nil {
		return nil
	}
	r := httptest.NewRequest(http.MethodGet, u.RequestURI(), nil)
	r.Header.Set("Accept", c.env.Version.FHIR.MIMEType)
	if c.auth != "" {
		r.Header.Set("Authorization", c.auth)
	}
	rec := httptest.NewRecorder()
	c.inner.ServeHTTP(rec, r)
	doc, _ := kit.DecodeObject(rec.Body.Bytes())
	return doc
}

func sval(m obj, k string) string {
	s, _ := m[k].(string)
	return s
}

func asObj(v any) obj {
	m, _ := v.(obj)
	return m
}

func list(v any) []any {
	a, _ := v.([]any)
	return a
}
