package restserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/rest"
)

// Handler is a version's FHIR endpoint: GET /metadata, GET /{type}/{id},
// GET /{type}, POST /{type}/_search and POST / (batch), under BasePath.
// It is safe for concurrent use.
type Handler struct {
	spec       *Spec
	cfg        Config
	version    *fhir.Version
	types      map[string]bool
	routes     map[string]*route
	order      []string
	statement  *capability.Handler
	batch      *rest.Batch
	cursors    *rest.Cursors
	logger     *slog.Logger
	timeout    time.Duration
	conforming sync.Map // reflect.Type -> error
}

type route struct {
	typ      string
	binding  *Binding // nil for a generic type
	read     bool
	search   bool
	parser   *fhir.Parser
	contains []string
}

// Errors of New.
var (
	// ErrNoBackend: Config.Backend is nil.
	ErrNoBackend = errors.New("restserver: Config.Backend is required")
	// ErrProfile: the backend does not implement what the profile requires.
	ErrProfile = errors.New("restserver: backend does not implement what the profile requires")
)

// errNotConforming is answered when a tenant's backend lacks an interface
// the reference backend has: fail closed.
var errNotConforming = fhir.NewError(fhir.ErrInternal, "This tenant's backend does not implement the interactions this server advertises.")

// New builds the handler for spec from cfg. Configuration mistakes are
// start-up errors naming the field.
func New(spec *Spec, cfg Config) (*Handler, error) {
	if cfg.Backend == nil {
		return nil, ErrNoBackend
	}
	if cfg.BasePath != "" && (!strings.HasPrefix(cfg.BasePath, "/") || strings.HasSuffix(cfg.BasePath, "/")) {
		return nil, fmt.Errorf("restserver: Config.BasePath %q must start with / and not end with one", cfg.BasePath)
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	h := &Handler{spec: spec, cfg: cfg, version: spec.Version, types: make(map[string]bool, len(spec.Types)),
		routes: make(map[string]*route), logger: cfg.Logger, timeout: cfg.Timeout}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	if h.timeout == 0 {
		h.timeout = 30 * time.Second
	}
	for _, t := range spec.Types {
		h.types[t] = true
	}
	if err := h.buildRoutes(); err != nil {
		return nil, err
	}
	if cfg.Resolve != nil && cfg.Tenant == nil {
		h.logger.Warn("restserver: Config.Resolve without Config.Tenant: page cursors are not bound to tenants")
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
		return nil, fmt.Errorf("restserver: Config.CursorKey: %w", err)
	}
	if h.statement, err = capability.Build(h.capabilityConfig()); err != nil {
		return nil, err
	}
	h.batch = &rest.Batch{Version: h.version, Handler: h, MaxEntries: cfg.MaxBatchEntries,
		Concurrency: cfg.BatchConcurrency, Logger: h.logger}
	if cfg.BaseURL != "" {
		h.batch.BaseURL = func(*http.Request) string { return cfg.BaseURL }
	}
	return h, nil
}

// buildRoutes derives the routes from the reference backend's interfaces,
// restricted by the profile.
func (h *Handler) buildRoutes() error {
	b := h.cfg.Backend
	prof := h.cfg.Profile
	def, max := h.cfg.DefaultCount, h.cfg.MaxCount
	if prof != nil {
		if prof.DefaultCount != 0 {
			def = prof.DefaultCount
		}
		if prof.MaxCount != 0 {
			max = prof.MaxCount
		}
	}
	var pr map[string]*ProfileResource
	if prof != nil {
		pr = make(map[string]*ProfileResource, len(prof.Resources))
		for i := range prof.Resources {
			pr[prof.Resources[i].Type] = &prof.Resources[i]
		}
	}
	add := func(typ string, bd *Binding, canRead, canSearch bool, params []fhir.SearchParam) error {
		r := &route{typ: typ, binding: bd, read: canRead, search: canSearch}
		count := def
		if pr != nil {
			p, ok := pr[typ]
			if !ok {
				return nil
			}
			if p.Required && (p.Read && !canRead || p.Search && !canSearch) {
				return fmt.Errorf("%w: %s (read %v, search %v)", ErrProfile, typ, p.Read, p.Search)
			}
			r.read = canRead && p.Read
			r.search = canSearch && p.Search
			if p.Params != nil {
				var kept []fhir.SearchParam
				for _, sp := range params {
					if slices.Contains(p.Params, sp.Name) {
						kept = append(kept, sp)
					}
				}
				params = kept
			}
			r.contains = p.Contains
			if p.DefaultCount != 0 {
				count = p.DefaultCount
			}
		}
		if !r.read && !r.search {
			return nil
		}
		if r.search {
			var err error
			r.parser, err = fhir.NewParser(h.version, params, &fhir.ParserOptions{DefaultCount: count, MaxCount: max, Strict: h.cfg.Strict,
				Contains: r.contains})
			if err != nil {
				return fmt.Errorf("restserver: %s search parameters: %w", typ, err)
			}
		}
		h.routes[typ] = r
		h.order = append(h.order, typ)
		return nil
	}
	for i := range h.spec.Bindings {
		bd := &h.spec.Bindings[i]
		if err := add(bd.Type, bd, bd.CanRead(b), bd.CanSearch(b), bd.Params); err != nil {
			return err
		}
	}
	if g := h.spec.Generic; g != nil {
		if gts, ok := g.Types(b); ok {
			for _, gt := range gts {
				if !h.types[gt.Type] {
					return fmt.Errorf("restserver: GenericTypes: %q is not a %s resource type", gt.Type, h.version.Name)
				}
				if _, dup := h.routes[gt.Type]; dup {
					continue // a typed interface wins
				}
				params := gt.Params
				if !slices.ContainsFunc(params, func(p fhir.SearchParam) bool { return p.Name == "_id" }) {
					params = append([]fhir.SearchParam{fhir.ParamID}, params...)
				}
				if err := add(gt.Type, nil, gt.Read, gt.Search, params); err != nil {
					return err
				}
			}
		}
	}
	if pr != nil {
		for _, p := range prof.Resources {
			if p.Required {
				if _, ok := h.routes[p.Type]; !ok {
					return fmt.Errorf("%w: %s", ErrProfile, p.Type)
				}
			}
		}
	}
	return nil
}

func (h *Handler) capabilityConfig() capability.Config {
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
func (h *Handler) CapabilityJSON() []byte { return h.statement.JSON() }

// Routes lists the served types and whether each is read and searched, in
// statement order.
func (h *Handler) Routes() []RouteInfo {
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

// RouteInfo describes one served type.
type RouteInfo struct {
	// Type is the resource type.
	Type string
	// Read and Search are the interactions served.
	Read, Search bool
	// Params are the search parameters parsed and advertised.
	Params []fhir.SearchParam
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.logger.Error("restserver: handler panicked")
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
		h.serveBatch(w, r)
		return
	}
	if tail == "metadata" {
		h.statement.ServeHTTP(w, r)
		return
	}
	typ, sub, _ := strings.Cut(tail, "/")
	if !h.types[typ] {
		rest.WriteError(w, r, h.version, fhir.NewError(fhir.ErrNotFound, "Unknown resource type for "+h.version.String()+"."))
		return
	}
	rt := h.routes[typ]
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

func (h *Handler) methodNotAllowed(w http.ResponseWriter, r *http.Request, sub string) {
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

// resolvedKey carries the backend a batch resolved for its entries.
type resolvedKey struct{}

// serveBatch resolves the tenant's backend once for all the entries of a
// batch (a resolver may cost a database lookup), then runs the batch.
func (h *Handler) serveBatch(w http.ResponseWriter, r *http.Request) {
	if h.cfg.Resolve != nil && r.Method == http.MethodPost {
		b, err := h.backend(r.Context())
		if err != nil {
			rest.WriteError(w, r, h.version, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), resolvedKey{}, resolved{b}))
	}
	h.batch.ServeHTTP(w, r)
}

// resolved wraps a resolved backend so that a nil one is still found.
type resolved struct{ b any }

// backend resolves the request's backend and holds it to the reference's
// interfaces.
func (h *Handler) backend(ctx context.Context) (any, error) {
	if h.cfg.Resolve == nil {
		return h.cfg.Backend, nil
	}
	if rb, ok := ctx.Value(resolvedKey{}).(resolved); ok {
		return rb.b, nil
	}
	var b any
	err := h.guard(ctx, "resolve", func(ctx context.Context) error {
		var err error
		b, err = h.cfg.Resolve(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, fhir.NewError(fhir.ErrNotFound, "No FHIR backend is configured for this tenant.")
	}
	t := reflect.TypeOf(b)
	if v, ok := h.conforming.Load(t); ok {
		if v != nil {
			return nil, v.(error)
		}
		return b, nil
	}
	var bad error
	for _, typ := range h.order {
		rt := h.routes[typ]
		if !h.implements(b, rt) {
			h.logger.Error("restserver: tenant backend lacks an advertised interaction", "backend", t.String(), "type", typ)
			bad = errNotConforming
			break
		}
	}
	if bad != nil {
		h.conforming.Store(t, bad)
		return nil, bad
	}
	h.conforming.Store(t, nil)
	return b, nil
}

func (h *Handler) implements(b any, rt *route) bool {
	if rt.binding != nil {
		return (!rt.read || rt.binding.CanRead(b)) && (!rt.search || rt.binding.CanSearch(b))
	}
	gts, ok := h.spec.Generic.Types(b)
	return ok && slices.ContainsFunc(gts, func(g GenericType) bool {
		return g.Type == rt.typ && (g.Read || !rt.read) && (g.Search || !rt.search)
	})
}

// errPanic is answered when a backend panics.
var errPanic = fhir.NewError(fhir.ErrInternal, "The backend failed while serving this request.")

// guard runs fn under the backend timeout in its own goroutine, recovering
// a panic; it returns as soon as ctx is done even if fn does not.
func (h *Handler) guard(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				h.logger.Error("restserver: backend panicked", "op", op)
				done <- errPanic
			}
		}()
		done <- fn(ctx)
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		h.logger.Warn("restserver: backend did not return before the deadline", "op", op)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fhir.NewError(fhir.ErrTimeout, "The backend did not answer in time.")
		}
		return ctx.Err()
	}
}

func (h *Handler) baseURL(r *http.Request) string {
	if h.cfg.BaseURL != "" {
		return h.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + h.cfg.BasePath
}

func (h *Handler) serveRead(w http.ResponseWriter, r *http.Request, rt *route, id string) {
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
	err = h.guard(r.Context(), rt.typ+" read", func(ctx context.Context) error {
		var err error
		if rt.binding != nil {
			res, err = rt.binding.Read(ctx, b, id)
		} else {
			res, err = h.spec.Generic.Read(ctx, b, rt.typ, id)
		}
		if err != nil {
			return err
		}
		if res == nil {
			return fhir.NewError(fhir.ErrNotFound, rt.typ+" not found.")
		}
		if reason := checkResource(res, rt.typ); reason != "" {
			return h.checkFailed(rt.typ, res, reason)
		}
		if res.GetID() != id {
			return h.checkFailed(rt.typ, res, "id differs from the one requested")
		}
		return nil
	})
	if err != nil {
		rest.WriteError(w, r, h.version, err)
		return
	}
	rest.WriteResource(w, r, h.version, http.StatusOK, res)
}

// checkResource returns why res may not be sent as a rt.typ ("" if fine).
func checkResource(res Resource, typ string) string {
	if res == nil {
		return "nil resource"
	}
	if res.ResourceType() != typ {
		return "resource type differs from the one requested"
	}
	if res.GetID() == "" {
		return "no id"
	}
	if !validID(res.GetID()) {
		return "malformed id"
	}
	if res.Validate() != nil {
		return "not valid (Validate failed)"
	}
	return ""
}

func (h *Handler) checkFailed(typ string, res Resource, reason string) error {
	id := ""
	if res != nil {
		if id = res.GetID(); !validID(id) {
			id = ""
		}
	}
	h.logger.Warn("restserver: backend output refused", "type", typ, "id", id, "reason", reason)
	return fhir.NewError(fhir.ErrInternal, "The backend returned a "+typ+" that cannot be sent: "+reason+".")
}

func (h *Handler) serveSearch(w http.ResponseWriter, r *http.Request, rt *route) {
	if h.cfg.Profile != nil {
		r = underscoreSort(r)
	}
	b, err := h.backend(r.Context())
	if err != nil {
		rest.WriteError(w, r, h.version, err)
		return
	}
	o := rest.SearchOptions{Base: h.baseURL(r), Type: rt.typ, Cursors: h.cursors}
	if h.cfg.Tenant != nil {
		o.Tenant = h.cfg.Tenant(r.Context())
	}
	rest.ServeSearch(w, r, rt.parser, o, func(ctx context.Context, q *fhir.Query, cursor string) (rest.Page, error) {
		return h.search(ctx, b, rt, q, cursor)
	})
}

func (h *Handler) search(ctx context.Context, b any, rt *route, q *fhir.Query, cursor string) (rest.Page, error) {
	a := &Args{Search: Search{IDs: q.IDs(), Count: q.Count, CountOnly: q.CountOnly(), Sort: q.Sort, Cursor: cursor, Query: q}}
	if rt.binding != nil && len(rt.binding.PatientParams) > 0 {
		p, err := patientOf(q, rt.binding.PatientParams)
		if err != nil {
			return rest.Page{}, err
		}
		a.Patient = p
	}
	var page rest.Page
	err := h.guard(ctx, rt.typ+" search", func(ctx context.Context) error {
		var tp Page[Resource]
		var err error
		if rt.binding != nil {
			tp, err = rt.binding.Search(ctx, b, a)
		} else {
			tp, err = h.spec.Generic.Search(ctx, b, rt.typ, a.Search)
		}
		if err != nil {
			return err
		}
		page = rest.Page{Total: tp.Total, TotalKnown: tp.TotalKnown, Next: tp.Next, Entries: make([]rest.Entry, 0, len(tp.Resources))}
		for _, res := range tp.Resources {
			reason := checkResource(res, rt.typ)
			if reason == "" && a.Patient != "" && !refersTo(rt.binding.Owner(res), a.Patient) {
				reason = "belongs to another patient than the one requested"
			}
			if reason != "" {
				err := h.checkFailed(rt.typ, res, reason)
				if h.cfg.OnInvalid != CheckDrop {
					return err
				}
				if page.TotalKnown && page.Total > 0 {
					page.Total--
				}
				continue
			}
			page.Entries = append(page.Entries, rest.Entry{Type: rt.typ, ID: res.GetID(), Resource: res})
		}
		return nil
	})
	if err != nil {
		// page may still be written by a backend that returns late.
		return rest.Page{}, err
	}
	return page, nil
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
// "_sort...": the DSTU2 Patients app page lists the parameter without its
// underscore (A6 of the interface notes). Only applied under a profile.
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
