package memehr

import (
	"strings"
	"sync"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// typeData is what the store holds of one resource type: the resources by
// id and the indexes searches created over them. Everything here is guarded
// by Store.mu, except the view caches, which have their own lock so that
// readers can fill them.
type typeData struct {
	byID    map[string]*Item
	views   viewCache                // every resource, in the orders searches asked for
	indexes map[string]*valueIndex   // by indexSpec.key()
	columns map[string]*stringColumn // by path expression
}

func newTypeData() *typeData {
	return &typeData{byID: map[string]*Item{}, indexes: map[string]*valueIndex{}, columns: map[string]*stringColumn{}}
}

// put adds it, replacing old (nil when new), in every index.
func (td *typeData) put(it, old *Item) {
	for _, x := range td.indexes {
		if old != nil {
			x.remove(old)
		}
		x.add(it)
	}
	for _, c := range td.columns {
		c.put(it)
	}
	td.byID[it.ID] = it
	td.views.reset()
}

// remove takes old out of every index.
func (td *typeData) remove(old *Item) {
	for _, x := range td.indexes {
		x.remove(old)
	}
	for _, c := range td.columns {
		c.remove(old.ID)
	}
	delete(td.byID, old.ID)
	td.views.reset()
}

// viewCache holds items sorted in the orders searches asked for, by sort
// spec (see sortSpec); a write to the items resets it. Views are immutable
// once made, so a search may read one after releasing the store's lock.
type viewCache struct {
	mu sync.Mutex
	m  map[string][]*Item
}

func (v *viewCache) reset() {
	v.mu.Lock()
	v.m = nil
	v.mu.Unlock()
}

// maxViewToSort is the largest set a search sorts into a cached view while
// other clauses still filter it. Above it, a write between two searches
// would make each re-sort many items for few matches, so the matches alone
// are sorted instead, as a scan does. (A variable for the tests.)
var maxViewToSort = 4096

// ordered returns the items of a set: its cached view in spec's order when
// there is one or when making one is worth it (every item matches, or the
// set is small), or else the items in no order (ok false). The caller holds
// the store's read lock, so the set stays put.
func (v *viewCache) ordered(spec string, keys []sortKey, loc *time.Location, n int, each func(func(*Item)), allMatch bool) (items []*Item, ok bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if view, ok := v.m[spec]; ok {
		return view, true
	}
	items = make([]*Item, 0, n)
	each(func(it *Item) { items = append(items, it) })
	if !allMatch && n > maxViewToSort {
		return items, false
	}
	sortItems(items, keys, loc)
	if v.m == nil {
		v.m = map[string][]*Item{}
	}
	v.m[spec] = items
	return items, true
}

// posting is the set of items under one key of a value index, with its
// sorted views (a patient's observations newest first, say).
type posting struct {
	items map[*Item]struct{}
	views viewCache
}

func (p *posting) ordered(spec string, keys []sortKey, loc *time.Location, allMatch bool) ([]*Item, bool) {
	return p.views.ordered(spec, keys, loc, len(p.items), func(add func(*Item)) {
		for it := range p.items {
			add(it)
		}
	}, allMatch)
}

// indexKind says what a value index extracts from the nodes at its path.
type indexKind uint8

const (
	// refIndex keys each Reference by the id it points to ("Patient/p1",
	// "http://x/fhir/Patient/p1" and "Patient/p1/_history/2" all key p1),
	// and a reference that has no id by its whole text.
	refIndex indexKind = iota + 1
	// tokenIndex keys each coded value (code, Coding, CodeableConcept,
	// Identifier, ContactPoint, boolean) by its code or value.
	tokenIndex
)

// indexSpec names a value index: its kind and the path expression it reads.
type indexSpec struct {
	kind indexKind
	expr string
	p    path
}

func (sp indexSpec) key() string {
	if sp.kind == refIndex {
		return "ref\x00" + sp.expr
	}
	return "token\x00" + sp.expr
}

// valueIndex maps the values found at a path to the items holding them. It
// is a superset index: every item a clause on that path can match is in
// the postings of the clause's values, and the search's filters then decide
// exactly, so an index never changes a result.
type valueIndex struct {
	spec     indexSpec
	postings map[string]*posting
}

func newValueIndex(sp indexSpec) *valueIndex {
	return &valueIndex{spec: sp, postings: map[string]*posting{}}
}

// keys calls fn with each key of it (possibly repeated).
func (x *valueIndex) keys(it *Item, fn func(string)) {
	for _, n := range x.spec.p.eval(it.tree) {
		switch x.spec.kind {
		case refIndex:
			ref, ok := referenceOf(n)
			if !ok || ref == "" {
				continue
			}
			fn(refKey(ref))
		case tokenIndex:
			eachCoding(n, func(c coding) bool {
				if c.code != "" {
					fn(c.code)
				}
				return false
			})
		}
	}
}

// refKey is the index key of a reference: "i" and the id it points to, or
// "u" and the whole reference when it has no id.
func refKey(ref string) string {
	if _, id, ok := splitRef(ref); ok {
		return "i" + id
	}
	return "u" + ref
}

func (x *valueIndex) add(it *Item) {
	x.keys(it, func(k string) {
		p := x.postings[k]
		if p == nil {
			p = &posting{items: map[*Item]struct{}{}}
			x.postings[k] = p
		}
		if _, ok := p.items[it]; !ok {
			p.items[it] = struct{}{}
			p.views.reset()
		}
	})
}

func (x *valueIndex) remove(it *Item) {
	x.keys(it, func(k string) {
		p := x.postings[k]
		if p == nil {
			return
		}
		if _, ok := p.items[it]; ok {
			delete(p.items, it)
			p.views.reset()
		}
		if len(p.items) == 0 {
			delete(x.postings, k)
		}
	})
}

// referenceKeys returns the keys of an OR list of reference values. A value
// without id or URL matches nothing and has no key. exact reports that the
// postings hold the matches and nothing else: false when a value names a
// type (the key is the id alone) or is a URL with an id (the key is the id).
func referenceKeys(or []fhir.ReferenceValue) (keys []string, exact bool) {
	exact = true
	for _, rv := range or {
		switch {
		case rv.URL != "":
			// ref == URL: both split alike, or neither does.
			k := refKey(rv.URL)
			keys = append(keys, k)
			exact = exact && k[0] == 'u'
		case rv.ID != "":
			keys = append(keys, "i"+rv.ID)
			exact = exact && rv.Type == ""
		}
	}
	return keys, exact
}

// tokenKeys returns the codes of an OR list of plain token values; ok is
// false for modifiers (:not, :text) and for "system|" values.
func tokenKeys(or []fhir.TokenValue) (keys []string, ok bool) {
	for _, tv := range or {
		if tv.Modifier != fhir.ModNone || tv.Code == "" {
			return nil, false
		}
		keys = append(keys, tv.Code)
	}
	return keys, true
}

// stringColumn holds, for every item of a type, the folded strings at a
// path, so a string search reads short strings instead of walking every
// resource.
type stringColumn struct {
	p    path
	rows []stringRow
	pos  map[string]int // id -> index in rows
}

type stringRow struct {
	it     *Item
	folded []string
}

func newStringColumn(p path) *stringColumn {
	return &stringColumn{p: p, pos: map[string]int{}}
}

func (c *stringColumn) put(it *Item) {
	var folded []string
	for _, n := range c.p.eval(it.tree) {
		for _, s := range stringsOf(n) {
			folded = append(folded, fold(s))
		}
	}
	row := stringRow{it: it, folded: folded}
	if i, ok := c.pos[it.ID]; ok {
		c.rows[i] = row
		return
	}
	c.pos[it.ID] = len(c.rows)
	c.rows = append(c.rows, row)
}

func (c *stringColumn) remove(id string) {
	i, ok := c.pos[id]
	if !ok {
		return
	}
	last := len(c.rows) - 1
	c.rows[i] = c.rows[last]
	c.pos[c.rows[i].it.ID] = i
	c.rows[last] = stringRow{}
	c.rows = c.rows[:last]
	delete(c.pos, id)
}

// candidates returns the items whose folded strings satisfy every AND list
// of vals the way matchString does on folded text: a superset of the
// matches (an :exact value compares folded here).
func (c *stringColumn) candidates(vals [][]fhir.StringValue) []*Item {
	type want struct {
		v   string
		mod fhir.Modifier
	}
	ands := make([][]want, len(vals))
	for i, or := range vals {
		for _, sv := range or {
			ands[i] = append(ands[i], want{fold(sv.Value), sv.Modifier})
		}
	}
	var out []*Item
rows:
	for _, r := range c.rows {
		for _, or := range ands {
			hit := false
			for _, s := range r.folded {
				for _, w := range or {
					switch w.mod {
					case fhir.ModContains:
						hit = strings.Contains(s, w.v)
					case fhir.ModExact:
						hit = s == w.v
					default:
						hit = strings.HasPrefix(s, w.v)
					}
					if hit {
						break
					}
				}
				if hit {
					break
				}
			}
			if !hit {
				continue rows
			}
		}
		out = append(out, r.it)
	}
	return out
}
