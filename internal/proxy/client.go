// Package proxy is the machinery of the upstream proxy backends
// (stu3proxy, dstu2proxy): the HTTP client of one upstream FHIR server with
// its authentication, pool, limits and error mapping; the encoding of typed
// queries back into search parameters; the sealing of upstream next links;
// the rewriting of upstream URLs. The generated backends call it; partners
// configure it through package upstream.
package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/upstream"
)

// Client talks to one upstream FHIR server. It is safe for concurrent use.
type Client struct {
	name     string
	version  *fhir.Version
	base     *url.URL   // BaseURL, path without a trailing slash
	baseStr  string     // base.String()
	aliases  []*url.URL // LinkBases
	http     *http.Client
	auth     *authorizer
	timeout  time.Duration
	maxBytes int64
	sort     fhir.SortStyle
	params   map[string]string
	post     bool
	header   http.Header
	accept   []string // the Accept header
	cursors  *cursors
	rewrite  *rewriter
	log      *slog.Logger
}

// New checks cfg and returns the client of the upstream it describes, for
// FHIR version v.
func New(cfg upstream.Config, v *fhir.Version) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	base, _ := url.Parse(cfg.BaseURL)
	base.Path = strings.TrimSuffix(base.Path, "/")
	base.RawPath = ""
	c := &Client{
		name: cfg.Name, version: v, base: base, baseStr: base.String(),
		timeout: cfg.Timeout, maxBytes: cfg.MaxResponseBytes, sort: v.SortStyle,
		params: maps.Clone(cfg.Params), post: cfg.SearchByPost, log: cfg.Logger,
	}
	if c.name == "" {
		c.name = base.Host
	}
	c.accept = []string{v.MIMEType + ", application/json;q=0.9"}
	c.header = make(http.Header, len(cfg.Header))
	for k, vs := range cfg.Header {
		c.header[http.CanonicalHeaderKey(k)] = slices.Clone(vs)
	}
	if c.timeout == 0 {
		c.timeout = upstream.DefaultTimeout
	}
	if c.maxBytes == 0 {
		c.maxBytes = upstream.DefaultMaxResponseBytes
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	switch cfg.SortSyntax {
	case upstream.SortPrefix:
		c.sort = fhir.SortPrefix
	case upstream.SortModifier:
		c.sort = fhir.SortModifier
	}
	bases := []string{c.baseStr}
	for _, l := range cfg.LinkBases {
		u, _ := url.Parse(l)
		u.Path = strings.TrimSuffix(u.Path, "/")
		u.RawPath = ""
		c.aliases = append(c.aliases, u)
		bases = append(bases, u.String())
	}
	c.rewrite = newRewriter(bases)
	var err error
	if c.cursors, err = newCursors(cfg.CursorKey, c.baseStr); err != nil {
		return nil, err
	}
	maxConns := cfg.MaxConns
	if maxConns == 0 {
		maxConns = upstream.DefaultMaxConns
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLS != nil {
		tlsConf = cfg.TLS.Clone()
		if tlsConf.MinVersion < tls.VersionTLS12 {
			tlsConf.MinVersion = tls.VersionTLS12
		}
	}
	dialer := &net.Dialer{Timeout: min(c.timeout, 5*time.Second), KeepAlive: 30 * time.Second}
	transport := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsConf,
		TLSHandshakeTimeout:    min(c.timeout, 10*time.Second),
		ForceAttemptHTTP2:      true,
		MaxConnsPerHost:        maxConns,
		MaxIdleConns:           maxConns,
		MaxIdleConnsPerHost:    maxConns,
		IdleConnTimeout:        90 * time.Second,
		ResponseHeaderTimeout:  c.timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	c.http = &http.Client{Transport: transport, CheckRedirect: c.checkRedirect}
	if c.auth, err = newAuthorizer(cfg, transport, c.timeout); err != nil {
		return nil, err
	}
	return c, nil
}

// Name is the upstream's name (for logs).
func (c *Client) Name() string { return c.name }

// Close closes the idle connections to the upstream.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// maxRedirects bounds the redirects followed (on the upstream's own origin
// only).
const maxRedirects = 3

// errRedirect is the cause of a refused redirect.
var errRedirect = errors.New("redirect refused")

// checkRedirect follows a redirect only to the upstream's own scheme and
// host: the request carries this server's credentials for that upstream.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects || req.URL.Scheme != c.base.Scheme || req.URL.Host != c.base.Host {
		return errRedirect
	}
	return nil
}

// Read fetches [base]/typ/id and returns the body, rewritten (upstream
// URLs made relative). An absent resource is fhir.ErrNotFound or
// fhir.ErrGone; every other failure is an error of package fhir whose
// message names neither the upstream nor its answer.
func (c *Client) Read(ctx context.Context, typ, id string) ([]byte, error) {
	return c.do(ctx, opRead, typ, http.MethodGet, c.baseStr+"/"+url.PathEscape(typ)+"/"+url.PathEscape(id), nil)
}

// Search runs q: its first page from the encoded parameters, a next page
// from the upstream link sealed in q's cursor. It returns the body of the
// upstream's searchset Bundle, rewritten.
func (c *Client) Search(ctx context.Context, q *Query) ([]byte, error) {
	if q.cursor != "" {
		rel, err := c.cursors.open(q.cursor, q.typ)
		if err != nil {
			return nil, err
		}
		return c.do(ctx, opSearch, q.typ, http.MethodGet, c.resolve(rel), nil)
	}
	target := c.baseStr + "/" + url.PathEscape(q.typ)
	if c.post {
		return c.do(ctx, opSearch, q.typ, http.MethodPost, target+"/_search", []byte(q.encode()))
	}
	return c.do(ctx, opSearch, q.typ, http.MethodGet, target+"?"+q.encode(), nil)
}

// op is the kind of upstream request, for error mapping and logs.
type op string

const (
	opRead   op = "read"
	opSearch op = "search"
)

// do sends one request and returns the body of a 200 answer, read within
// the size cap and rewritten. With OAuth2 credentials, a 401 is retried
// once with a fresh token.
func (c *Client) do(ctx context.Context, o op, typ, method, target string, form []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		var body io.Reader
		if form != nil {
			body = bytes.NewReader(form)
		}
		req, err := http.NewRequestWithContext(ctx, method, target, body)
		if err != nil {
			return nil, c.fail(o, typ, 0, "bad request URL", errFailed)
		}
		// The header values are shared, read-only slices: the transport
		// does not modify them.
		for k, vs := range c.header {
			req.Header[k] = vs
		}
		if form != nil {
			req.Header["Content-Type"] = formType
		}
		req.Header["Accept"] = c.accept
		req.Header["User-Agent"] = userAgent
		if o == opSearch {
			// An upstream that does not support a parameter must refuse
			// the search, not ignore the parameter and answer more.
			req.Header["Prefer"] = preferStrict
		}
		tok, err := c.auth.authorize(req)
		if err != nil {
			return nil, c.fail(o, typ, 0, "token request failed", fhir.ErrBadGateway)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, c.transportError(ctx, o, typ, err)
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt == 0 && c.auth.renew(tok) {
			drain(resp)
			continue
		}
		return c.answer(ctx, o, typ, resp)
	}
}

// Shared header values.
var (
	formType     = []string{"application/x-www-form-urlencoded"}
	userAgent    = []string{"patientsfhir-proxy"}
	preferStrict = []string{"handling=strict"}
)

// drain discards a little of a body so that the connection can be reused,
// and closes it.
func drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}

// answer reads a response: the body of a 200 with a JSON media type,
// within the size cap; an error of package fhir otherwise.
func (c *Client) answer(ctx context.Context, o op, typ string, resp *http.Response) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		drain(resp)
		return nil, c.statusError(o, typ, resp.StatusCode)
	}
	defer resp.Body.Close()
	mt, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	if !c.version.IsJSON(strings.ToLower(strings.TrimSpace(mt))) {
		return nil, c.fail(o, typ, resp.StatusCode, "not FHIR JSON", errUnreadable)
	}
	if resp.ContentLength > c.maxBytes {
		return nil, c.fail(o, typ, resp.StatusCode, "body over MaxResponseBytes", errTooLarge)
	}
	buf := bytes.NewBuffer(make([]byte, 0, max(512, min(resp.ContentLength+1, c.maxBytes+1))))
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, c.maxBytes+1))
	body := buf.Bytes()
	if err != nil {
		return nil, c.transportError(ctx, o, typ, err)
	}
	if int64(len(body)) > c.maxBytes {
		return nil, c.fail(o, typ, resp.StatusCode, "body over MaxResponseBytes", errTooLarge)
	}
	return c.rewrite.apply(body), nil
}

// The errors clients see: their messages name neither the upstream nor
// anything it said.
var (
	errUnreadable = fhir.NewError(fhir.ErrBadGateway, "The provider's FHIR server sent an answer this server cannot read.")
	errTooLarge   = fhir.NewError(fhir.ErrBadGateway, "The provider's FHIR server sent an answer larger than this server accepts.")
	errFailed     = fhir.NewError(fhir.ErrBadGateway, "The provider's FHIR server failed to answer.")
	errLink       = fhir.NewError(fhir.ErrBadGateway, "The provider's FHIR server sent a paging link this server does not follow.")
	errTimeout    = fhir.NewError(fhir.ErrTimeout, "The provider's FHIR server did not answer in time.")
	errRefused    = fhir.NewError(fhir.ErrInvalidSearch, "The provider's FHIR server does not support this search.")
	errForbidden  = fhir.NewError(fhir.ErrForbidden, "The provider's FHIR server refused access to this data.")
	errBusy       = fhir.NewError(fhir.ErrThrottled, "The provider's FHIR server is busy; retry later.")
	errDown       = fhir.NewError(fhir.ErrUnavailable, "The provider's FHIR server is temporarily unavailable.")
	errNotFound   = fhir.NewError(fhir.ErrNotFound, "The resource was not found.")
	errGone       = fhir.NewError(fhir.ErrGone, "The resource has been deleted.")
)

// statusError maps an upstream status other than 200.
func (c *Client) statusError(o op, typ string, status int) error {
	var err error
	switch {
	case status == http.StatusNotFound && o == opRead:
		return errNotFound
	case status == http.StatusGone && o == opRead:
		return errGone
	case (status == http.StatusBadRequest || status == http.StatusUnprocessableEntity) && o == opSearch:
		err = errRefused
	case status == http.StatusForbidden:
		err = errForbidden
	case status == http.StatusTooManyRequests:
		err = errBusy
	case status == http.StatusServiceUnavailable:
		err = errDown
	case status == http.StatusGatewayTimeout:
		err = errTimeout
	default: // 3xx (a redirect refused), 401, other 4xx, 5xx
		err = errFailed
	}
	return c.fail(o, typ, status, "status", err)
}

// transportError maps a failure to connect, send or read.
func (c *Client) transportError(ctx context.Context, o op, typ string, err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, errRedirect):
		return c.fail(o, typ, 0, "redirect to another host refused", errFailed)
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return c.fail(o, typ, 0, "timeout", errTimeout)
	case errors.Is(err, context.Canceled):
		return context.Canceled // the client went away: nothing to log
	default:
		return c.fail(o, typ, 0, "connection failed", errFailed)
	}
}

// fail logs an upstream failure (name, operation, status and reason only:
// never the URL, which carries the query, nor the body) and returns err.
func (c *Client) fail(o op, typ string, status int, reason string, err error) error {
	attrs := []any{"upstream", c.name, "op", typ + " " + string(o), "reason", reason}
	if status != 0 {
		attrs = append(attrs, "status", status)
	}
	c.log.Warn("proxy: upstream request failed", attrs...)
	return err
}

// Unreadable is the error for an upstream answer to a read or a search of
// typ that does not decode strictly into the version's models (the decode
// error, which may quote the data, is not logged).
func (c *Client) Unreadable(typ string) error {
	return c.fail("decode", typ, http.StatusOK, "does not decode strictly into the models", errUnreadable)
}

// Malformed is the error for an upstream answer that decodes but breaks
// the search contract (reason says how, for the log).
func (c *Client) Malformed(typ, reason string) error {
	return c.fail(opSearch, typ, http.StatusOK, reason, errUnreadable)
}

// resolve turns a link relative to the base into an absolute URL at the
// base (a relative part starting with '?' applies to the base itself).
func (c *Client) resolve(rel string) string {
	if strings.HasPrefix(rel, "?") {
		return c.baseStr + rel
	}
	return c.baseStr + "/" + rel
}

// authorizer adds this server's credentials for the upstream to requests.
type authorizer struct {
	bearer string
	// src is the token source (OAuth2); nil without one.
	src atomic.Pointer[oauth2.TokenSource]
	// fresh returns a new, empty-cached token source; nil when tokens
	// cannot be renewed (a static bearer, a partner's TokenSource).
	fresh func() oauth2.TokenSource
}

func newAuthorizer(cfg upstream.Config, t *http.Transport, timeout time.Duration) (*authorizer, error) {
	a := &authorizer{}
	switch auth := cfg.Auth.(type) {
	case nil:
	case upstream.Bearer:
		a.bearer = auth.Token
	case *upstream.Bearer:
		a.bearer = auth.Token
	case upstream.ClientCredentials:
		a.oauth(auth, t, timeout)
	case *upstream.ClientCredentials:
		a.oauth(*auth, t, timeout)
	case upstream.TokenSource:
		a.src.Store(&auth.Source)
	case *upstream.TokenSource:
		a.src.Store(&auth.Source)
	default:
		return nil, errors.New("upstream: Config.Auth: unknown kind")
	}
	return a, nil
}

// oauth sets up the client-credentials token source: its token requests
// go through their own client (no redirects, the upstream's timeout and
// TLS settings).
func (a *authorizer) oauth(cc upstream.ClientCredentials, t *http.Transport, timeout time.Duration) {
	conf := &clientcredentials.Config{ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, TokenURL: cc.TokenURL,
		Scopes: cc.Scopes, EndpointParams: cc.EndpointParams, AuthStyle: cc.AuthStyle}
	hc := &http.Client{Transport: t.Clone(), Timeout: timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	a.fresh = func() oauth2.TokenSource { return conf.TokenSource(ctx) }
	ts := a.fresh()
	a.src.Store(&ts)
}

// authorize sets the Authorization header; it returns the token source
// used (for renew).
func (a *authorizer) authorize(req *http.Request) (*oauth2.TokenSource, error) {
	if a.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+a.bearer)
		return nil, nil
	}
	src := a.src.Load()
	if src == nil {
		return nil, nil
	}
	tok, err := (*src).Token()
	if err != nil {
		return nil, err
	}
	tok.SetAuthHeader(req)
	return src, nil
}

// renew replaces the token source used (its cached token was refused)
// unless another request did already; it reports whether a retry may
// succeed.
func (a *authorizer) renew(used *oauth2.TokenSource) bool {
	if a.fresh == nil || used == nil {
		return false
	}
	ts := a.fresh()
	a.src.CompareAndSwap(used, &ts)
	return true
}
