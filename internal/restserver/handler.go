package restserver

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/fhirjson"
	"github.com/patientsfhir/patientsfhir/internal/rest"
	"github.com/patientsfhir/patientsfhir/observe"
	"github.com/patientsfhir/patientsfhir/routing"
)

// Handler is a version's FHIR endpoint: GET /metadata, GET /{type}/{id},
// GET /{type}, POST /{type}/_search and POST / (batch), under BasePath.
// It is safe for concurrent use.
type Handler[B any] struct {
	spec      *Spec[B]
	cfg       Config[B]
	version   *fhir.Version
	types     map[string]bool
	routes    map[string]*route[B]
	order     []string
	statement *capability.Handler
	batch     *rest.Batch
	cursors   *rest.Cursors
	logger    *slog.Logger
	timeout   time.Duration
	refused   sync.Map // "dynamic type|resource type" of tenant backends that lack an interaction: logged once
	obs       observed // metrics, spans, the failure hook and abandoned calls
}

type route[B any] struct {
	typ     string
	binding *Binding[B] // nil for a generic type
	read    bool
	search  bool
	parser  *fhir.Parser
	// readAt, searchAt and postAt describe the read, GET search and POST
	// _search for logs, metrics and spans.
	readAt, searchAt, postAt *site
}

// Errors of New.
var (
	// ErrNoBackend: neither a backend nor a router is configured.
	ErrNoBackend = errors.New("a Backend or a Router is required")
	// ErrProfile: a backend does not implement what it must serve.
	ErrProfile = errors.New("the backend does not implement what the server must serve")
)

// FieldError is a start-up error about one field of the version's Config:
// the field path is data, so the root package can name it from its own
// Config ("Config.STU3.Serve") without rewriting text.
type FieldError struct {
	// Field is the path below the version's Config, e.g. "Serve".
	Field string
	// Err says what is wrong.
	Err error
}

// Error implements error.
func (e *FieldError) Error() string { return "Config." + e.Field + ": " + e.Err.Error() }

// Unwrap returns Err.
func (e *FieldError) Unwrap() error { return e.Err }

// errNotConforming is answered when a tenant's backend lacks an interaction
// the server advertises: fail closed.
var errNotConforming = fhir.NewError(fhir.ErrInternal, "This tenant's backend does not implement the interactions this server advertises.")

// New builds the handler for spec from cfg. Configuration mistakes are
// start-up errors naming the field (as the version package's Config spells
// it).
func New[B any](spec *Spec[B], cfg Config[B]) (*Handler[B], error) {
	if cfg.Router == nil {
		return nil, &FieldError{Field: "Backend", Err: ErrNoBackend}
	}
	if cfg.BasePath != "" && (!strings.HasPrefix(cfg.BasePath, "/") || strings.HasSuffix(cfg.BasePath, "/")) {
		return nil, &FieldError{Field: "BasePath", Err: fmt.Errorf("%q must start with / and not end with one", cfg.BasePath)}
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	h := &Handler[B]{spec: spec, cfg: cfg, version: spec.Version, types: make(map[string]bool, len(spec.Types)),
		routes: make(map[string]*route[B]), logger: cfg.Logger, timeout: cfg.Timeout}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	if h.timeout == 0 {
		h.timeout = 30 * time.Second
	}
	for _, t := range spec.Types {
		h.types[t] = true
	}
	h.obs.init(spec.Package, cfg.Options)
	if err := h.buildRoutes(); err != nil {
		return nil, err
	}
	key := cfg.CursorKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	maxAge := cfg.CursorMaxAge
	if maxAge == 0 {
		maxAge = time.Hour
	}
	var err error
	if h.cursors, err = rest.NewCursors(key, maxAge); err != nil {
		return nil, &FieldError{Field: "CursorKey", Err: err}
	}
	if h.statement, err = capability.Build(h.capabilityConfig()); err != nil {
		return nil, err
	}
	h.batch = &rest.Batch{Version: h.version, Handler: h, MaxEntries: cfg.MaxBatchEntries,
		Concurrency: cfg.BatchConcurrency, Logger: h.logger}
	if cfg.BaseURL != "" {
		h.batch.BaseURL = func(*http.Request) string { return cfg.BaseURL }
	}
	if m := h.obs.metrics; m != nil {
		sizes := m.BatchEntries.WithLabelValues(spec.Package)
		h.batch.ObserveEntries = func(n int) { sizes.Observe(float64(n)) }
	}
	h.logger.Info(spec.Package+": serving", "base", cfg.BasePath, "resources", h.servedSummary())
	return h, nil
}

// servedSummary is the start-up log line's list: "Patient(read,search) ...".
func (h *Handler[B]) servedSummary() string {
	var b strings.Builder
	for i, t := range h.order {
		r := h.routes[t]
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t)
		switch {
		case r.read && r.search:
			b.WriteString("(read,search)")
		case r.read:
			b.WriteString("(read)")
		default:
			b.WriteString("(search)")
		}
	}
	return b.String()
}

// need is what must be served of one type.
type need struct{ read, search bool }

// buildRoutes decides what is served: the types of Config.Serve, or of the
// profile, or (with neither) what the reference backend implements; each
// with the profile's interactions. Every backend known at start-up (the
// reference, a static router's values) must implement all of it.
func (h *Handler[B]) buildRoutes() error {
	prof := h.cfg.Profile
	def, max := h.cfg.DefaultCount, h.cfg.MaxCount
	pr := map[string]*ProfileResource{}
	if prof != nil {
		if prof.DefaultCount != 0 {
			def = prof.DefaultCount
		}
		if prof.MaxCount != 0 {
			max = prof.MaxCount
		}
		for i := range prof.Resources {
			pr[prof.Resources[i].Type] = &prof.Resources[i]
		}
	}
	bindings := map[string]*Binding[B]{}
	for i := range h.spec.Bindings {
		bindings[h.spec.Bindings[i].Type] = &h.spec.Bindings[i]
	}
	var generic map[string]GenericType
	if h.cfg.HasReference && h.spec.Generic != nil {
		if gts, ok := h.spec.Generic.Types(h.cfg.Reference); ok {
			generic = make(map[string]GenericType, len(gts))
			for _, gt := range gts {
				if !h.types[gt.Type] {
					return &FieldError{Field: "Backend", Err: fmt.Errorf("GenericTypes: %q is not a %s resource type", gt.Type, h.version.Name)}
				}
				if bindings[gt.Type] == nil {
					generic[gt.Type] = gt
				}
			}
		}
	}
	explicit := h.cfg.Serve != nil || prof != nil
	// needs says which interactions of each served type must be served.
	needs := map[string]need{}
	var serve []string
	add := func(t string, n need) {
		if p := pr[t]; prof != nil {
			if p == nil {
				return
			}
			n = need{n.read && p.Read, n.search && p.Search}
		}
		if !n.read && !n.search {
			return
		}
		if _, dup := needs[t]; !dup {
			serve = append(serve, t)
		}
		needs[t] = n
	}
	switch {
	case h.cfg.Serve != nil:
		for _, t := range h.cfg.Serve {
			if bindings[t] == nil && generic[t].Type == "" {
				if !h.types[t] {
					return &FieldError{Field: "Serve", Err: fmt.Errorf("%q is not a %s resource type", t, h.version.Name)}
				}
				return &FieldError{Field: "Serve", Err: fmt.Errorf("%s has no typed interface in package %s; serve it with a GenericBackend set as Config.Backend", t, h.spec.Package)}
			}
			if prof != nil && pr[t] == nil {
				return &FieldError{Field: "Serve", Err: fmt.Errorf("%s is not in the profile %q", t, prof.Name)}
			}
			add(t, need{true, true})
		}
	case prof != nil:
		for _, p := range prof.Resources {
			if bindings[p.Type] != nil {
				add(p.Type, need{true, true})
			}
		}
	case h.cfg.HasReference:
		for i := range h.spec.Bindings {
			bd := &h.spec.Bindings[i]
			add(bd.Type, need{bd.CanRead(h.cfg.Reference), bd.CanSearch(h.cfg.Reference)})
		}
	default:
		return &FieldError{Field: "Serve", Err: errors.New("required with a Router and no Profile: list the resource types every tenant's backend serves")}
	}
	if _, ok := needs["Patient"]; !ok {
		add("Patient", need{true, true}) // the one resource every backend has (Backend embeds it)
	}
	for _, t := range sortedKeys(generic) {
		if h.cfg.Serve == nil || slices.Contains(h.cfg.Serve, t) {
			add(t, need{generic[t].Read, generic[t].Search})
		}
	}
	slices.SortStableFunc(serve, func(a, b string) int { return h.rank(a, pr) - h.rank(b, pr) })

	// Every backend known now must implement all of it: the reference and
	// a static router's values. Other routers' backends are checked as
	// they are routed (and fail closed).
	if explicit {
		var problems []string
		field := "Backend"
		check := func(label string, b B) {
			for _, t := range serve {
				bd, n := bindings[t], needs[t]
				if bd == nil {
					continue
				}
				if n.read && !bd.CanRead(b) {
					problems = append(problems, missing(label, b, bd.Reader))
				}
				if n.search && !bd.CanSearch(b) {
					problems = append(problems, missing(label, b, bd.Searcher))
				}
			}
		}
		if h.cfg.HasReference {
			check("Config.Backend", h.cfg.Reference)
		}
		if st, ok := h.cfg.Router.(routing.Static[B]); ok {
			field = "Router"
			for _, tenant := range sortedKeys(st) {
				check("Config.Router["+tenant+"]", st[tenant])
			}
		}
		if len(problems) > 0 {
			return &FieldError{Field: field, Err: fmt.Errorf("%w (list what you serve in Config.Serve):\n\t%s", ErrProfile, strings.Join(problems, "\n\t"))}
		}
	}

	for _, t := range serve {
		n := needs[t]
		var params []fhir.SearchParam
		bd := bindings[t]
		if bd != nil {
			params = bd.Params
		} else {
			params = generic[t].Params
			if !slices.ContainsFunc(params, func(p fhir.SearchParam) bool { return p.Name == "_id" }) {
				params = append([]fhir.SearchParam{fhir.ParamID}, params...)
			}
		}
		r := &route[B]{typ: t, binding: bd, read: n.read, search: n.search,
			readAt:   h.newSite(observe.InteractionRead, t, "/"+t+"/{id}"),
			searchAt: h.newSite(observe.InteractionSearch, t, "/"+t),
			postAt:   h.newSite(observe.InteractionSearch, t, "/"+t+"/_search")}
		count := def
		var contains []string
		if p := pr[t]; p != nil {
			if p.Params != nil {
				var kept []fhir.SearchParam
				for _, sp := range params {
					if slices.Contains(p.Params, sp.Name) {
						kept = append(kept, sp)
					}
				}
				params = kept
			}
			contains = p.Contains
			if p.DefaultCount != 0 {
				count = p.DefaultCount
			}
		}
		if r.search {
			var err error
			r.parser, err = fhir.NewParser(h.version, params, &fhir.ParserOptions{DefaultCount: count, MaxCount: max,
				Strict: h.cfg.Strict, Contains: contains})
			if err != nil {
				return &FieldError{Field: "Profile", Err: fmt.Errorf("%s search parameters: %w", t, err)}
			}
		}
		h.routes[t] = r
		h.order = append(h.order, t)
	}
	return nil
}

// rank orders types as the profile lists them, then as the spec does.
func (h *Handler[B]) rank(typ string, pr map[string]*ProfileResource) int {
	if h.cfg.Profile != nil {
		for i, p := range h.cfg.Profile.Resources {
			if p.Type == typ {
				return i
			}
		}
	}
	for i, b := range h.spec.Bindings {
		if b.Type == typ {
			return len(pr) + i
		}
	}
	return len(pr) + len(h.spec.Bindings)
}

func sortedKeys[B any](m map[string]B) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// missing says which method b lacks, with its exact Go signature and a
// hint when the method exists on the pointer type or under a similar name.
// It runs at start-up only: reflection is fine here.
func missing(label string, b any, m Method) string {
	t := reflect.TypeOf(b)
	msg := fmt.Sprintf("%s (%v) does not implement %s: missing method %s", label, t, m.Interface, m.Signature)
	if t == nil {
		return msg
	}
	if t.Kind() != reflect.Pointer {
		if _, ok := reflect.PointerTo(t).MethodByName(m.Name); ok {
			return msg + fmt.Sprintf(" (the method is declared on *%v: pass a pointer)", t)
		}
	}
	if meth, ok := t.MethodByName(m.Name); ok {
		return msg + fmt.Sprintf(" (%v has %s with another signature: %v)", t, m.Name, meth.Type)
	}
	for i := range t.NumMethod() {
		if name := t.Method(i).Name; similar(name, m.Name) {
			return msg + fmt.Sprintf(" (%v has a method named %s: a typo?)", t, name)
		}
	}
	return msg
}

// similar reports whether two method names differ by at most two edits.
func similar(a, b string) bool {
	if a == b || abs(len(a)-len(b)) > 2 {
		return false
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)] <= 2
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func (h *Handler[B]) capabilityConfig() capability.Config {
	c := capability.Config{Version: h.version, BaseURL: h.cfg.BaseURL, Software: h.cfg.Software,
		Publisher: h.cfg.Publisher, Batch: true, Security: h.cfg.Security}
	if h.cfg.Profile != nil && h.cfg.Profile.Name != "" {
		c.ImplementationDescription = "FHIR server (" + h.cfg.Profile.Name + " profile)"
	}
	for _, typ := range h.order {
		r := h.routes[typ]
		res := capability.Resource{Type: typ}
		if r.read {
			res.Interactions = append(res.Interactions, capability.Read)
		}
		if r.search {
			res.Interactions = append(res.Interactions, capability.SearchType)
			res.SearchParams = r.parser.Params()
		}
		c.Resources = append(c.Resources, res)
	}
	return c
}

// CapabilityJSON returns the rendered capability statement.
func (h *Handler[B]) CapabilityJSON() []byte { return h.statement.JSON() }

// RouteInfo describes one served type.
type RouteInfo struct {
	Type         string
	Read, Search bool
	Params       []fhir.SearchParam
}

// Routes lists the served types and whether each is read and searched, in
// statement order.
func (h *Handler[B]) Routes() []RouteInfo {
	out := make([]RouteInfo, 0, len(h.order))
	for _, t := range h.order {
		r := h.routes[t]
		ri := RouteInfo{Type: t, Read: r.read, Search: r.search}
		if r.search {
			ri.Params = r.parser.Params()
		}
		out = append(out, ri)
	}
	return out
}

// ServeHTTP implements http.Handler.
func (h *Handler[B]) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := h.annotate(r)
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			at := &site{route: h.cfg.BasePath}
			if info != nil && info.Route != "" {
				at.route, at.typ, at.interaction = info.Route, info.Type, info.Interaction
			}
			h.fail(r.Context(), at, observe.Failure{Kind: observe.FailurePanic, Status: http.StatusInternalServerError,
				Reason: "the server panicked while serving", Panic: p, Stack: debug.Stack()})
			rest.WriteError(w, r, h.version, fhir.ErrInternal)
		}
	}()
	tail, ok := strings.CutPrefix(r.URL.Path, h.cfg.BasePath)
	if !ok || tail != "" && tail[0] != '/' {
		rest.WriteError(w, r, h.version, fhir.NewError(fhir.ErrNotFound, "Not a path of this FHIR endpoint."))
		return
	}
	tail = strings.TrimPrefix(tail, "/")
	if tail == "" {
		if info != nil {
			info.Interaction, info.Route = observe.InteractionBatch, h.cfg.BasePath
		}
		h.serveBatch(w, r)
		return
	}
	if tail == "metadata" {
		if info != nil {
			info.Interaction, info.Route = observe.InteractionCapabilities, h.cfg.BasePath+"/metadata"
		}
		h.statement.ServeHTTP(w, r)
		return
	}
	typ, sub, _ := strings.Cut(tail, "/")
	if !h.types[typ] {
		rest.WriteError(w, r, h.version, fhir.NewError(fhir.ErrNotFound, "Unknown resource type for "+h.version.String()+"."))
		return
	}
	rt := h.routes[typ]
	if info != nil {
		h.annotateRoute(info, typ, sub, rt)
	}
	switch {
	case sub == "" || sub == "_search":
		if sub == "" && r.Method != http.MethodGet || sub == "_search" && r.Method != http.MethodPost {
			h.methodNotAllowed(w, r, sub)
			return
		}
		if rt == nil || !rt.search {
			rest.WriteError(w, r, h.version, fhir.NewError(fhir.ErrNotSupported, "Search of "+typ+" is not supported by this server."))
			return
		}
		h.serveSearch(w, r, rt)
	case !strings.Contains(sub, "/") && sub[0] != '$' && sub[0] != '_':
		if r.Method != http.MethodGet {
			h.methodNotAllowed(w, r, sub)
			return
		}
		if !validID(sub) {
			rest.WriteError(w, r, h.version, fhir.NewError(fhir.ErrInvalidRequest, "Malformed resource id: ids are 1 to 64 letters, digits, '-' and '.'."))
			return
		}
		if rt == nil || !rt.read {
			rest.WriteError(w, r, h.version, fhir.NewError(fhir.ErrNotSupported, "Read of "+typ+" is not supported by this server."))
			return
		}
		h.serveRead(w, r, rt, sub)
	default:
		rest.WriteError(w, r, h.version, fhir.NewError(fhir.ErrNotSupported, "Only read, search and batch are supported (no history, vread or operations)."))
	}
}

// annotateRoute names the interaction, type and route pattern of a request
// for a known resource type in its observe.Info.
func (h *Handler[B]) annotateRoute(info *observe.Info, typ, sub string, rt *route[B]) {
	info.Type = typ
	var at *site
	switch {
	case rt == nil: // a type of the version that this server does not serve
	case sub == "":
		at = rt.searchAt
	case sub == "_search":
		at = rt.postAt
	case !strings.Contains(sub, "/") && sub[0] != '$' && sub[0] != '_':
		at = rt.readAt
	}
	if at != nil {
		info.Interaction, info.Route = at.interaction, at.route
		return
	}
	info.Interaction, info.Route = observe.InteractionOther, h.cfg.BasePath+"/"+typ
	if sub != "" {
		info.Route += "/{...}"
	}
}

func (h *Handler[B]) methodNotAllowed(w http.ResponseWriter, r *http.Request, sub string) {
	allow := http.MethodGet
	if sub == "_search" {
		allow = http.MethodPost
	}
	w.Header().Set("Allow", allow)
	rest.WriteError(w, r, h.version, fhir.NewError(fhir.ErrMethodNotAllow, "This server is read-only: use "+allow+"."))
}

// validID reports whether s is a FHIR logical id: [A-Za-z0-9\-\.]{1,64}.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// tenantOf is the verified token's tenant ("" without authentication).
// Nothing else selects a tenant: not the URL, a header, the body or a page
// cursor.
func tenantOf(ctx context.Context) string {
	if p, ok := auth.PrincipalFrom(ctx); ok {
		return p.TenantID
	}
	return ""
}

// routedKey carries the backend a batch routed for its entries.
type routedKey struct{}

// routed wraps a routed backend so that a nil interface value is found too.
type routed[B any] struct{ b B }

// serveBatch routes the tenant once for all the entries of a batch (a
// router may cost a database lookup), then runs the batch.
func (h *Handler[B]) serveBatch(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		b, err := h.backend(r.Context())
		if err != nil {
			rest.WriteError(w, r, h.version, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), routedKey{}, routed[B]{b}))
	}
	h.batch.ServeHTTP(w, r)
}

// backend routes the request's tenant to its backend.
func (h *Handler[B]) backend(ctx context.Context) (B, error) {
	if rb, ok := ctx.Value(routedKey{}).(routed[B]); ok {
		return rb.b, nil
	}
	return h.cfg.Router.Route(ctx, tenantOf(ctx))
}

// notConforming logs, once per backend type and resource type, a tenant's
// backend that lacks an interaction this server advertises, and fails the
// request closed.
func (h *Handler[B]) notConforming(b B, typ string, m Method) error {
	key := fmt.Sprintf("%T|%s", b, m.Interface)
	if _, seen := h.refused.LoadOrStore(key, true); !seen {
		h.logger.Error(h.spec.Package+": a tenant's backend lacks an advertised interaction", "backend", fmt.Sprintf("%T", b),
			"type", typ, "missing", m.Signature)
	}
	return errNotConforming
}

// errPanic is answered when a backend panics.
var errPanic = fhir.NewError(fhir.ErrInternal, "The backend failed while serving this request.")

func (h *Handler[B]) baseURL(r *http.Request) string {
	if h.cfg.BaseURL != "" {
		return h.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + h.cfg.BasePath
}

// serveRead is GET [base]/{type}/{id}: negotiate, route the tenant, read,
// check, write.
func (h *Handler[B]) serveRead(w http.ResponseWriter, r *http.Request, rt *route[B], id string) {
	if _, err := rest.Negotiate(r, h.version); err != nil {
		rest.WriteError(w, r, h.version, err)
		return
	}
	b, err := h.backend(r.Context())
	if err != nil {
		rest.WriteError(w, r, h.version, err)
		return
	}
	var res Resource
	ctx := r.Context()
	err = h.guard(ctx, rt.readAt, id, b, func(ctx context.Context) error {
		var err error
		var ok bool
		if rt.binding != nil {
			if res, ok, err = rt.binding.Read(ctx, b, id); !ok {
				return h.notConforming(b, rt.typ, rt.binding.Reader)
			}
		} else if res, ok, err = h.spec.Generic.Read(ctx, b, rt.typ, id); !ok {
			return h.notConforming(b, rt.typ, Method{Interface: h.spec.Package + ".GenericBackend", Signature: "ReadGeneric"})
		}
		if err != nil {
			return err
		}
		if res == nil {
			return fhir.NewError(fhir.ErrNotFound, rt.typ+" not found.")
		}
		if reason, paths := checkResource(res, rt.typ); reason != "" {
			return h.checkFailed(ctx, rt.readAt, res, reason, paths, false)
		}
		if res.GetID() != id {
			return h.checkFailed(ctx, rt.readAt, res, "id differs from the one requested", nil, false)
		}
		return nil
	})
	if err != nil {
		rest.WriteError(w, r, h.version, err)
		return
	}
	span := h.startSpan(ctx, rt.readAt.encodeSpan)
	rest.WriteResource(w, r, h.version, http.StatusOK, res)
	if span != nil {
		span.End()
	}
}

// serveSearch is GET [base]/{type} and POST [base]/{type}/_search, top to
// bottom: negotiate, parse, resume the page cursor (bound to the token's
// tenant and the query), route the tenant, call the backend, check what it
// returned, write the searchset Bundle.
func (h *Handler[B]) serveSearch(w http.ResponseWriter, r *http.Request, rt *route[B]) {
	v := h.version
	if h.cfg.Profile != nil {
		r = underscoreSort(r)
	}
	if _, err := rest.Negotiate(r, v); err != nil {
		rest.WriteError(w, r, v, err)
		return
	}
	q, err := rt.parser.ParseRequest(r)
	if err != nil {
		rest.WriteError(w, r, v, err)
		return
	}
	if len(q.Ignored) > 0 && len(q.Clauses) == 0 && rt.typ == "Patient" {
		// Every filter was ignored: answering would list the tenant's whole
		// population for a search that meant something else.
		rest.WriteError(w, r, v, fhir.NewError(fhir.ErrInvalidSearch,
			"None of the search parameters is supported ("+strings.Join(q.Ignored, ", ")+"); see the capability statement."))
		return
	}
	ctx := r.Context()
	tenant := tenantOf(ctx)
	var cur rest.CursorState
	if q.Cursor != "" {
		if cur, err = h.cursors.Resume(q, tenant); err != nil {
			rest.WriteError(w, r, v, err)
			return
		}
	}
	a := &Args{Search: fhir.Search{IDs: q.IDs(), Count: q.Count, CountOnly: q.CountOnly(), Sort: q.Sort, Cursor: cur.Backend, Query: q}}
	if rt.binding != nil && len(rt.binding.PatientParams) > 0 {
		if a.Patient, err = patientOf(q, rt.binding.PatientParams); err != nil {
			rest.WriteError(w, r, v, err)
			return
		}
	}
	b, err := h.backend(ctx)
	if err != nil {
		rest.WriteError(w, r, v, err)
		return
	}
	at := rt.searchAt
	if r.Method == http.MethodPost {
		at = rt.postAt
	}
	var page rest.Page
	err = h.guard(ctx, at, "", b, func(ctx context.Context) error {
		var tp fhir.Page[Resource]
		var ok bool
		var err error
		if rt.binding != nil {
			if tp, ok, err = rt.binding.Search(ctx, b, a); !ok {
				return h.notConforming(b, rt.typ, rt.binding.Searcher)
			}
		} else if tp, ok, err = h.spec.Generic.Search(ctx, b, rt.typ, a.Search); !ok {
			return h.notConforming(b, rt.typ, Method{Interface: h.spec.Package + ".GenericBackend", Signature: "SearchGeneric"})
		}
		if err != nil {
			return err
		}
		page, err = h.checkPage(ctx, rt, at, a.Patient, tp)
		return err
	})
	if err != nil {
		rest.WriteError(w, r, v, err)
		return
	}
	if len(page.Entries) > q.Count && !q.CountOnly() {
		// A backend that returns more than asked would break paging.
		h.fail(ctx, at, observe.Failure{Kind: observe.FailureRefused, Status: http.StatusInternalServerError,
			Reason: fmt.Sprintf("%d entries for a page of %d (rule search.count)", len(page.Entries), q.Count)})
		rest.WriteError(w, r, v, fhir.NewError(fhir.ErrInternal, "The backend returned more entries than the page size (rule search.count)."))
		return
	}
	s, err := rest.BuildSearchset(ctx, q, page, rest.SearchOptions{Base: h.baseURL(r), Type: rt.typ, Tenant: tenant,
		Cursors: h.cursors, Offset: cur.Offset}) // a refusal is logged once, below, with the request's fields
	if err != nil {
		if fhir.StatusOf(err) >= 500 {
			h.fail(ctx, at, observe.Failure{Kind: observe.FailureRefused, Status: fhir.StatusOf(err), Reason: err.Error()})
		}
		rest.WriteError(w, r, v, err)
		return
	}
	span := h.startSpan(ctx, at.encodeSpan)
	rest.WriteSearchset(w, r, v, s)
	if span != nil {
		span.End()
	}
}

// checkPage applies the output checks to a backend's page and turns it into
// the Bundle writer's entries.
func (h *Handler[B]) checkPage(ctx context.Context, rt *route[B], at *site, patient string, tp fhir.Page[Resource]) (rest.Page, error) {
	page := rest.Page{Total: tp.Total, TotalKnown: tp.TotalKnown, Next: tp.Next, Entries: make([]rest.Entry, 0, len(tp.Resources))}
	for _, res := range tp.Resources {
		reason, paths := checkResource(res, rt.typ)
		if reason == "" && patient != "" && !refersTo(owner(rt.binding, res), patient) {
			reason = "belongs to another patient than the one requested (rule scope.patient)"
		}
		if reason != "" {
			drop := h.cfg.OnInvalid == CheckDrop
			err := h.checkFailed(ctx, at, res, reason, paths, drop)
			if !drop {
				return rest.Page{}, err
			}
			if page.TotalKnown && page.Total > 0 {
				page.Total--
			}
			continue
		}
		var body json.Marshaler = res
		if j, ok := res.(*jsonResource); ok {
			body = rest.CheckedJSON(j.data) // scanned already: copied as it is
		}
		page.Entries = append(page.Entries, rest.Entry{Type: rt.typ, ID: res.GetID(), Resource: body})
	}
	return page, nil
}

// owner returns the reference of the patient res belongs to: the one
// scanned from a JSON resource, the binding's for a typed one.
func owner[B any](b *Binding[B], res Resource) string {
	if j, ok := res.(*jsonResource); ok {
		return j.facts.Owner
	}
	return b.Owner(res)
}

// checkResource returns why res may not be sent as a typ ("" if fine) and,
// when Validate failed, the paths it named (never their values).
func checkResource(res Resource, typ string) (reason string, paths []string) {
	if res == nil {
		return "nil resource", nil
	}
	if j, ok := res.(*jsonResource); ok && !j.ok {
		return "not valid (" + errNotJSONObject.Error() + ")", nil
	}
	if res.ResourceType() != typ {
		return "resource type differs from the one requested", nil
	}
	if res.GetID() == "" {
		return "no id", nil
	}
	if !validID(res.GetID()) {
		return "malformed id", nil
	}
	if err := res.Validate(); err != nil {
		var verrs fhirjson.ValidationErrors
		if errors.As(err, &verrs) {
			for _, is := range verrs {
				paths = append(paths, is.Path)
			}
		}
		return "not valid (Validate failed)", paths
	}
	return "", nil
}

// checkFailed reports a resource the output checks refused (dropped from
// the searchset with CheckDrop) and returns the request's error.
func (h *Handler[B]) checkFailed(ctx context.Context, at *site, res Resource, reason string, paths []string, dropped bool) error {
	id := ""
	if res != nil {
		id = res.GetID()
	}
	f := observe.Failure{Kind: observe.FailureRefused, ID: id, Status: http.StatusInternalServerError, Reason: reason, Paths: paths}
	if dropped {
		f.Status, f.Reason = http.StatusOK, reason+" (dropped from the searchset)"
	}
	h.fail(ctx, at, f)
	return reported{fhir.NewError(fhir.ErrInternal, "The backend returned a "+at.typ+" that cannot be sent: "+reason+".")}
}

// patientOf returns the one patient id a patient-scoped search names.
func patientOf(q *fhir.Query, names []string) (string, error) {
	id := ""
	for _, n := range names {
		for _, or := range q.References(n) {
			if len(or) != 1 {
				return "", fhir.NewError(fhir.ErrInvalidSearch, "Search one patient at a time (no comma-separated list in "+n+").")
			}
			v := or[0]
			if v.Type != "" && v.Type != "Patient" || !validID(v.ID) {
				return "", fhir.NewError(fhir.ErrInvalidSearch, "The "+n+" parameter must name a Patient by its logical id.")
			}
			if id != "" && id != v.ID {
				return "", fhir.NewError(fhir.ErrInvalidSearch, "The search names two different patients.")
			}
			id = v.ID
		}
	}
	if id == "" {
		return "", fhir.NewError(fhir.ErrInvalidSearch, "This search needs a patient: add "+names[0]+"=<Patient id>.")
	}
	return id, nil
}

// refersTo reports whether the reference ref points to Patient/id, in any
// of its spellings: "Patient/id", an absolute URL ending in it, with or
// without a _history suffix.
func refersTo(ref, id string) bool {
	if i := strings.Index(ref, "/_history/"); i >= 0 {
		ref = ref[:i]
	}
	before, ok := strings.CutSuffix(ref, "Patient/"+id)
	return ok && (before == "" || strings.HasSuffix(before, "/"))
}

// underscoreSort reads "sort:desc=date" and "sort=-date" in the URL as
// "_sort...": the DSTU2 Patients app documentation lists the parameter
// without its underscore. Only applied under a profile.
func underscoreSort(r *http.Request) *http.Request {
	q := r.URL.RawQuery
	if !strings.HasPrefix(q, "sort") && !strings.Contains(q, "&sort") {
		return r
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		if strings.HasPrefix(p, "sort=") || strings.HasPrefix(p, "sort:") || strings.HasPrefix(p, "sort%3A") || strings.HasPrefix(p, "sort%3a") {
			parts[i] = "_" + p
		}
	}
	r2 := new(http.Request)
	*r2 = *r
	u := *r.URL
	u.RawQuery = strings.Join(parts, "&")
	r2.URL = &u
	return r2
}
