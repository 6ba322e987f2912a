package memehr

import (
	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// Item is one stored resource.
type Item struct {
	// Type is the resource type.
	Type string
	// ID is the logical id.
	ID string
	// JSON is the resource as stored. Callers must not modify it.
	JSON []byte
	// Value is the caller's typed form of the resource (a generated model),
	// stored as given and returned as is.
	Value any

	tree obj
}

// Store holds the resources of one FHIR version in memory. It is safe for
// concurrent use. The zero value is not usable: call [New].
type Store struct {
	loc   *time.Location
	in    interner
	mu    sync.RWMutex
	types map[string]*typeData
	paths sync.Map // expression -> path
}

// Option configures a [Store].
type Option func(*Store)

// WithLocation sets the time zone of stored dates and dateTimes written
// without one (default UTC). Use the same location as the search parser's.
func WithLocation(loc *time.Location) Option {
	return func(s *Store) {
		if loc != nil {
			s.loc = loc
		}
	}
}

// New returns an empty store.
func New(opts ...Option) *Store {
	s := &Store{loc: time.UTC, types: map[string]*typeData{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Errors of the store. Search and Read wrap the fhir sentinels, so the
// REST layer maps them to the right status.
var (
	// ErrNotFound: no resource of that type and id (wraps fhir.ErrNotFound).
	ErrNotFound = fmt.Errorf("memehr: %w", fhir.ErrNotFound)
	// ErrBadCursor: a page cursor the store did not issue (wraps fhir.ErrInvalidSearch).
	ErrBadCursor = fmt.Errorf("memehr: page cursor not valid: %w", fhir.ErrInvalidSearch)
	// ErrInvalidResource: Put got JSON that is not a resource object.
	ErrInvalidResource = errors.New("memehr: not a FHIR resource JSON object")
)

// Put stores (or replaces) a resource. data is its JSON; value is the
// caller's typed form, returned as is by Read and Search. The type and id
// are read from data.
func (s *Store) Put(data []byte, value any) (*Item, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree map[string]any
	if err := dec.Decode(&tree); err != nil || tree == nil {
		return nil, ErrInvalidResource
	}
	typ, _ := tree["resourceType"].(string)
	id, _ := tree["id"].(string)
	if !fhir.IsResourceType(typ) || id == "" {
		return nil, fmt.Errorf("%w: missing resourceType or id", ErrInvalidResource)
	}
	it := &Item{Type: typ, ID: id, JSON: slices.Clone(data), Value: value, tree: s.in.compact(tree)}
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.typeData(typ)
	td.put(it, td.byID[id])
	return it, nil
}

// typeData returns the data of typ, creating it. The caller holds s.mu.
func (s *Store) typeData(typ string) *typeData {
	td := s.types[typ]
	if td == nil {
		td = newTypeData()
		s.types[typ] = td
	}
	return td
}

// Delete removes a resource; it reports whether it was there.
func (s *Store) Delete(typ, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.types[typ]
	if td == nil || td.byID[id] == nil {
		return false
	}
	td.remove(td.byID[id])
	return true
}

// Read returns one resource, or an error wrapping [ErrNotFound].
func (s *Store) Read(ctx context.Context, typ, id string) (*Item, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var it *Item
	s.mu.RLock()
	if td := s.types[typ]; td != nil {
		it = td.byID[id]
	}
	s.mu.RUnlock()
	if it == nil {
		return nil, ErrNotFound
	}
	return it, nil
}

// Types returns the resource types held, sorted.
func (s *Store) Types() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]string, 0, len(s.types))
	for t, td := range s.types {
		if len(td.byID) > 0 {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// Len returns the number of resources of a type.
func (s *Store) Len(typ string) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if td := s.types[typ]; td != nil {
		return len(td.byID)
	}
	return 0
}

// Request is one search.
type Request struct {
	// Type is the resource type searched.
	Type string
	// Params are the declared search parameters; their Path says where
	// each looks. The parameters of Query must be among them.
	Params []fhir.SearchParam
	// Paths overrides the Path of parameters by name, e.g. the Patients
	// app's Coverage "patient" → "Coverage.beneficiary".
	Paths map[string]string
	// Query is the parsed search. Query.Count is the page size;
	// Query.CountOnly() asks for the total alone.
	Query *fhir.Query
	// Cursor is the token of a previous [Result.Next] ("" for page one).
	Cursor string
	// Strings overrides the values of string parameters by name (AND of
	// OR lists), e.g. with the modifiers a server profile applied.
	Strings map[string][][]fhir.StringValue
}

// Result is one page of a search.
type Result struct {
	// Items are the page's resources, at most Query.Count.
	Items []*Item
	// Total is the number of matches of the whole search.
	Total int
	// Next is the token of the next page, "" on the last page.
	Next string
}

// ErrUnsupported is returned when a query uses a parameter the request does
// not declare or whose path cannot be evaluated (wraps fhir.ErrNotSupported).
var ErrUnsupported = fmt.Errorf("memehr: %w", fhir.ErrNotSupported)

// Search runs one page of a search: every clause of req.Query is applied
// (AND of clauses, OR within one), matches are ordered by req.Query.Sort
// (then by id, so pages are stable) and cut at the cursor's offset.
//
// Candidates come from an index when the query allows (see the package
// documentation); the clauses are then applied to them exactly as to a full
// scan, so an index changes the cost of a search, never its result.
func (s *Store) Search(ctx context.Context, req Request) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	c, err := s.prepare(req)
	if err != nil {
		return Result{}, err
	}
	acc, err := s.access(req)
	if err != nil {
		return Result{}, err
	}
	s.ensure(req.Type, &acc)
	items, ordered, answered := s.candidates(req.Type, &acc, c.keys, c.names)
	// The clause the index answered exactly need not run again.
	return s.page(ctx, req.Query, items, ordered, c.without(answered), c.keys, c.offset)
}

// compiled is a search made ready to run.
type compiled struct {
	offset  int
	filters []filter
	names   []string // the parameter of each filter
	keys    []sortKey
}

// without returns the filters of every parameter but name.
func (c *compiled) without(name string) []filter {
	if name == "" {
		return c.filters
	}
	var out []filter
	for i, f := range c.filters {
		if c.names[i] != name {
			out = append(out, f)
		}
	}
	return out
}

// prepare opens the cursor and compiles the clauses and sort keys of req.
func (s *Store) prepare(req Request) (compiled, error) {
	if req.Query == nil {
		return compiled{}, errors.New("memehr: Search without a query")
	}
	offset, err := openCursor(req.Cursor)
	if err != nil {
		return compiled{}, err
	}
	filters, names, err := s.compile(req)
	if err != nil {
		return compiled{}, err
	}
	keys, err := s.sortKeys(req)
	if err != nil {
		return compiled{}, err
	}
	return compiled{offset: offset, filters: filters, names: names, keys: keys}, nil
}

// page applies the filters to the candidates and cuts the page at offset.
// Ordered candidates are already in the search's order; others are sorted
// once they are filtered.
func (s *Store) page(ctx context.Context, q *fhir.Query, items []*Item, ordered bool, filters []filter, keys []sortKey, offset int) (Result, error) {
	var res Result
	if ordered && len(filters) == 0 {
		res.Total = len(items)
		if !q.CountOnly() && offset < len(items) {
			end := min(offset+q.Count, len(items))
			res.Items = slices.Clone(items[offset:end])
			if end < len(items) {
				res.Next = sealCursor(end)
			}
		}
		return res, nil
	}
	var matches []*Item
	n := 0
	for i, it := range items {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return Result{}, err
			}
		}
		if !matchAll(it, filters) {
			continue
		}
		if !ordered || (n >= offset && n < offset+q.Count) {
			matches = append(matches, it)
		}
		n++
	}
	res.Total = n
	if !ordered {
		sortItems(matches, keys, s.loc)
		if offset >= len(matches) {
			matches = nil
		} else {
			matches = matches[offset:min(offset+q.Count, len(matches))]
		}
	}
	if q.CountOnly() || len(matches) == 0 {
		return res, nil
	}
	res.Items = matches
	if end := offset + len(matches); end < n {
		res.Next = sealCursor(end)
	}
	return res, nil
}

func (s *Store) pathOf(req Request, name string) (path, error) {
	p, _, err := s.pathExpr(req, name)
	return p, err
}

// pathExpr returns the compiled path of a parameter and its expression.
func (s *Store) pathExpr(req Request, name string) (path, string, error) {
	var sp *fhir.SearchParam
	for i := range req.Params {
		if req.Params[i].Name == name {
			sp = &req.Params[i]
			break
		}
	}
	if sp == nil {
		return nil, "", fmt.Errorf("%w: parameter %q is not declared for %s", ErrUnsupported, name, req.Type)
	}
	expr := sp.Path
	if o, ok := req.Paths[name]; ok {
		expr = o
	}
	if expr == "" {
		return nil, "", fmt.Errorf("%w: parameter %q of %s has no path", ErrUnsupported, name, req.Type)
	}
	if p, ok := s.paths.Load(expr); ok {
		return p.(path), expr, nil
	}
	p, err := compilePath(expr)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	s.paths.Store(expr, p)
	return p, expr, nil
}

// sortKey is a compiled _sort key.
type sortKey struct {
	p    path
	expr string
	typ  fhir.ParamType
	desc bool
}

// sortSpec names an order for the view caches.
func sortSpec(keys []sortKey) string {
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k.expr)
		b.WriteByte(0)
		b.WriteString(string(k.typ))
		if k.desc {
			b.WriteString("\x00-\x01")
		} else {
			b.WriteString("\x00+\x01")
		}
	}
	return b.String()
}

func (s *Store) sortKeys(req Request) ([]sortKey, error) {
	var out []sortKey
	for _, k := range req.Query.Sort {
		p, expr, err := s.pathExpr(req, k.Name)
		if err != nil {
			return nil, err
		}
		typ := fhir.TypeToken
		for _, sp := range req.Params {
			if sp.Name == k.Name {
				typ = sp.Type
			}
		}
		out = append(out, sortKey{p: p, expr: expr, typ: typ, desc: k.Descending})
	}
	return out, nil
}

// sortItems orders by the keys, then by id. Resources without a value for
// a key sort after those that have one, in both directions. For dates the
// lowest value is used ascending and the highest descending, as FHIR says;
// a Period without an end (an encounter in progress) counts by its start.
func sortItems(items []*Item, keys []sortKey, loc *time.Location) {
	if len(keys) == 0 {
		slices.SortFunc(items, func(a, b *Item) int { return cmp.Compare(a.ID, b.ID) })
		return
	}
	type cached struct {
		t   []time.Time
		s   []string
		has []bool
	}
	cache := make(map[*Item]*cached, len(items))
	for _, it := range items {
		c := &cached{t: make([]time.Time, len(keys)), s: make([]string, len(keys)), has: make([]bool, len(keys))}
		for i, k := range keys {
			for _, n := range k.p.eval(it.tree) {
				switch k.typ {
				case fhir.TypeDate:
					iv, ok := dateOf(n, loc)
					if !ok {
						continue
					}
					v := iv.lo
					if k.desc && !iv.openHi {
						v = iv.hi
					}
					if !c.has[i] || (k.desc && v.After(c.t[i])) || (!k.desc && v.Before(c.t[i])) {
						c.t[i], c.has[i] = v, true
					}
				default:
					var vs []string
					if k.typ == fhir.TypeString {
						vs = stringsOf(n)
					} else {
						eachCoding(n, func(cd coding) bool {
							vs = append(vs, cd.code)
							return false
						})
					}
					for _, v := range vs {
						v = fold(v)
						if !c.has[i] || (k.desc && v > c.s[i]) || (!k.desc && v < c.s[i]) {
							c.s[i], c.has[i] = v, true
						}
					}
				}
			}
		}
		cache[it] = c
	}
	slices.SortStableFunc(items, func(a, b *Item) int {
		ca, cb := cache[a], cache[b]
		for i, k := range keys {
			switch {
			case ca.has[i] && !cb.has[i]:
				return -1
			case !ca.has[i] && cb.has[i]:
				return 1
			case !ca.has[i]:
				continue
			}
			var c int
			if k.typ == fhir.TypeDate {
				c = ca.t[i].Compare(cb.t[i])
			} else {
				c = strings.Compare(ca.s[i], cb.s[i])
			}
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

const cursorPrefix = "memehr1:"

func sealCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.Itoa(offset)))
}

func openCursor(tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, ErrBadCursor
	}
	rest, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if !ok {
		return 0, ErrBadCursor
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || n > 1<<30 {
		return 0, ErrBadCursor
	}
	return n, nil
}
