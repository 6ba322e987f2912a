package fhir

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// CursorParam is the query parameter that carries a page cursor in next links.
const CursorParam = "_cursor"

// resultParams are the parameters the parser handles itself (not declared
// per resource type). The value says whether they appear in the self link.
var resultParams = map[string]bool{
	"_count": true, "_sort": true, "_summary": true,
	"_format": false, "_pretty": false, CursorParam: false,
}

// Pair is one name=value pair of a query string or form body, in order.
type Pair struct {
	// Name is the parameter name with its modifier (e.g. "family:contains"),
	// Value the unescaped value.
	Name, Value string
}

// ParsePairs decodes an application/x-www-form-urlencoded string keeping the
// order of the pairs (url.ParseQuery loses it, and the order matters for
// "_sort:desc=a&_sort:asc=b").
func ParsePairs(s string) ([]Pair, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]Pair, 0, strings.Count(s, "&")+1)
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, NewError(ErrInvalidSearch, "The query string is not correctly URL-encoded.")
		}
		out = append(out, Pair{k, v})
	}
	return out, nil
}

// Parser parses the search requests of one resource type against its
// declared parameters. Build it once with [NewParser] at start-up; it is
// safe for concurrent use.
type Parser struct {
	version  *Version
	params   []SearchParam
	byName   map[string]*SearchParam
	opts     ParserOptions
	hasIDAls bool
}

// ParserOptions configures a [Parser]. The zero value gives the defaults.
type ParserOptions struct {
	// DefaultCount is the page size when _count is absent (default 50).
	DefaultCount int
	// MaxCount is the largest page size; larger _count values are clamped
	// to it (default 500).
	MaxCount int
	// Strict makes unknown parameters an error by default. A request can
	// still choose with "Prefer: handling=strict" or "handling=lenient".
	Strict bool
	// Location is the time zone of dates given without one (default UTC).
	Location *time.Location
	// MaxBodyBytes bounds a POST _search form body (default 64 KiB).
	MaxBodyBytes int64
	// MaxParams bounds the number of parameters of one request (default 100).
	MaxParams int
	// Contains names string parameters whose plain values (no modifier) are
	// read as :contains, the Patients app's reading of family, given and
	// name. The parsed clause carries ModContains, so the backend, the
	// links and the cursor all see the same search.
	Contains []string
}

// NewParser validates the declared parameters and returns a parser. Errors
// name the offending parameter: they are start-up errors, not request errors.
func NewParser(v *Version, params []SearchParam, opts *ParserOptions) (*Parser, error) {
	if v == nil {
		return nil, errors.New("fhir: NewParser: nil version")
	}
	p := &Parser{version: v, byName: make(map[string]*SearchParam, len(params))}
	if opts != nil {
		p.opts = *opts
	}
	o := &p.opts
	if o.DefaultCount <= 0 {
		o.DefaultCount = 50
	}
	if o.MaxCount <= 0 {
		o.MaxCount = 500
	}
	if o.DefaultCount > o.MaxCount {
		return nil, fmt.Errorf("fhir: NewParser: DefaultCount %d exceeds MaxCount %d", o.DefaultCount, o.MaxCount)
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 64 << 10
	}
	if o.MaxParams <= 0 {
		o.MaxParams = 100
	}
	p.params = slices.Clone(params)
	for i := range p.params {
		sp := &p.params[i]
		if err := sp.Validate(); err != nil {
			return nil, err
		}
		if _, dup := p.byName[sp.Name]; dup {
			return nil, fmt.Errorf("fhir: search parameter %q declared twice", sp.Name)
		}
		p.byName[sp.Name] = sp
	}
	for _, name := range o.Contains {
		if sp := p.byName[name]; sp == nil || sp.Type != TypeString || !sp.AllowsModifier(ModContains) {
			return nil, fmt.Errorf("fhir: ParserOptions.Contains: %q is not a declared string parameter with :contains", name)
		}
	}
	o.Contains = slices.Clone(o.Contains)
	if _, ok := p.byName["_id"]; ok {
		if _, clash := p.byName["id"]; !clash {
			p.hasIDAls = true
		}
	}
	return p, nil
}

// Params returns the declared parameters (for the capability statement).
func (p *Parser) Params() []SearchParam { return slices.Clone(p.params) }

// Version returns the FHIR version the parser writes links for.
func (p *Parser) Version() *Version { return p.version }

// Options returns the effective options, defaults filled in.
func (p *Parser) Options() ParserOptions { return p.opts }

// PreferStrict reports the handling a request asks for with the Prefer
// header: strict (true) or lenient (false); ok is false when it says nothing.
func PreferStrict(h http.Header) (strict, ok bool) {
	for _, line := range h.Values("Prefer") {
		for _, part := range strings.Split(line, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			if strings.EqualFold(strings.TrimSpace(k), "handling") {
				switch strings.ToLower(strings.Trim(strings.TrimSpace(v), `"`)) {
				case "strict":
					return true, true
				case "lenient":
					return false, true
				}
			}
		}
	}
	return false, false
}

// ParseRequest parses a search request: GET with the query string, or POST
// (to [type]/_search) with an application/x-www-form-urlencoded body whose
// parameters combine with those of the URL. A POST body of another media
// type is refused with [ErrUnsupportedType]; a body larger than MaxBodyBytes
// with [ErrTooLarge]. The Prefer header chooses strict or lenient handling.
func (p *Parser) ParseRequest(r *http.Request) (*Query, error) {
	pairs, err := ParsePairs(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		body, err := p.readForm(r)
		if err != nil {
			return nil, err
		}
		pairs = append(pairs, body...)
	default:
		return nil, NewError(ErrMethodNotAllow, "Search uses GET or POST.")
	}
	strict, ok := PreferStrict(r.Header)
	if !ok {
		strict = p.opts.Strict
	}
	return p.Parse(pairs, strict)
}

func (p *Parser) readForm(r *http.Request) ([]Pair, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt, err = "", nil
	}
	if err != nil || mt != "application/x-www-form-urlencoded" {
		// An empty body with no type is allowed: all parameters are in the URL.
		data, rerr := io.ReadAll(io.LimitReader(r.Body, 1))
		if rerr == nil && len(data) == 0 && ct == "" {
			return nil, nil
		}
		return nil, NewError(ErrUnsupportedType, "POST _search takes an application/x-www-form-urlencoded body.")
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return nil, NewError(ErrUnsupportedType, "POST _search bodies must be UTF-8.")
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, p.opts.MaxBodyBytes+1))
	if err != nil {
		return nil, NewError(ErrInvalidRequest, "The request body could not be read.")
	}
	if int64(len(data)) > p.opts.MaxBodyBytes {
		return nil, NewError(ErrTooLarge, "The search form body is too large.")
	}
	return ParsePairs(string(data))
}

// Parse parses pairs (from the URL and form body, in order) into a Query.
// strict makes unknown or unsupported parameters an error; otherwise they
// are ignored and listed in Query.Ignored. Malformed values of declared
// parameters and undeclared modifiers are always errors (400).
func (p *Parser) Parse(pairs []Pair, strict bool) (*Query, error) {
	if len(pairs) > p.opts.MaxParams {
		return nil, NewError(ErrTooCostly, fmt.Sprintf("A search takes at most %d parameters.", p.opts.MaxParams))
	}
	q := &Query{Count: p.opts.DefaultCount, Strict: strict, style: p.version.SortStyle, Clauses: make([]Clause, 0, len(pairs))}
	ignore := func(name, why string) error {
		if strict {
			return NewError(ErrInvalidSearch, why+" (the request asked for Prefer: handling=strict).")
		}
		q.Ignored = append(q.Ignored, name)
		return nil
	}
	var sortSeen, countSeen, cursorSeen bool
	for _, pr := range pairs {
		if !utf8.ValidString(pr.Name) || !utf8.ValidString(pr.Value) {
			return nil, NewError(ErrInvalidSearch, "Search parameters must be valid UTF-8.")
		}
		name, mod, _ := strings.Cut(pr.Name, ":")
		switch name {
		case "_count":
			if countSeen {
				return nil, NewError(ErrInvalidSearch, "_count is given more than once.")
			}
			countSeen = true
			n, err := strconv.Atoi(pr.Value)
			if mod != "" || err != nil || n < 0 {
				return nil, NewError(ErrInvalidSearch, "_count must be a non-negative integer.")
			}
			if n > p.opts.MaxCount {
				n, q.CountClamped = p.opts.MaxCount, true
			}
			q.Count = n
			continue
		case "_sort":
			if !sortSeen {
				q.Sort, sortSeen = nil, true
			}
			if err := p.parseSort(q, Modifier(mod), pr.Value, ignore); err != nil {
				return nil, err
			}
			continue
		case "_summary":
			switch pr.Value {
			case "count":
				q.Summary = "count"
			case "false":
			default:
				if err := ignore("_summary", "_summary="+clip(pr.Value)+" is not supported"); err != nil {
					return nil, err
				}
			}
			continue
		case "_format", "_pretty":
			continue
		case CursorParam:
			if cursorSeen {
				return nil, NewError(ErrInvalidSearch, CursorParam+" is given more than once.")
			}
			cursorSeen = true
			q.Cursor = pr.Value
			continue
		}
		if name == "id" && p.hasIDAls {
			name = "_id"
		}
		sp := p.byName[name]
		if sp == nil {
			if err := ignore(name, "Unknown search parameter "+strconv.Quote(clip(name))); err != nil {
				return nil, err
			}
			continue
		}
		if pr.Value == "" {
			continue // FHIR: a parameter with an empty value is ignored
		}
		c, err := p.parseClause(sp, mod, pr.Value)
		if err != nil {
			return nil, err
		}
		if c.Type == TypeString && c.Modifier == ModNone && slices.Contains(p.opts.Contains, c.Name) {
			c.Modifier = ModContains
			for i := range c.values {
				c.values[i].str.Modifier = ModContains
			}
		}
		q.Clauses = append(q.Clauses, c)
	}
	if q.Summary == "count" {
		q.Count = 0
	}
	slices.SortStableFunc(q.Clauses, func(a, b Clause) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := strings.Compare(string(a.Modifier)+a.TargetType, string(b.Modifier)+b.TargetType); c != 0 {
			return c
		}
		return strings.Compare(a.raw, b.raw)
	})
	return q, nil
}

func (p *Parser) parseSort(q *Query, mod Modifier, val string, ignore func(string, string) error) error {
	var desc bool
	switch mod {
	case "", "asc":
	case "desc":
		desc = true
	default:
		return NewError(ErrInvalidSearch, "_sort takes the modifiers :asc and :desc only.")
	}
	for _, k := range strings.Split(val, ",") {
		k = strings.TrimSpace(k)
		d := desc
		if mod == "" && strings.HasPrefix(k, "-") {
			k, d = k[1:], true
		}
		if k == "" {
			continue
		}
		if k == "id" && p.hasIDAls {
			k = "_id"
		}
		if p.byName[k] == nil {
			if err := ignore("_sort", "Unknown sort parameter "+strconv.Quote(clip(k))); err != nil {
				return err
			}
			continue
		}
		q.Sort = append(q.Sort, SortKey{Name: k, Descending: d})
	}
	return nil
}

func badValue(sp *SearchParam, want string) error {
	return NewError(ErrInvalidSearch, fmt.Sprintf("Search parameter %q: %s.", sp.Name, want))
}

func (p *Parser) parseClause(sp *SearchParam, mod, raw string) (Clause, error) {
	c := Clause{Name: sp.Name, Type: sp.Type, raw: raw}
	switch {
	case mod == "":
	case Modifier(mod) == ModMissing && sp.AllowsModifier(ModMissing):
		c.Modifier = ModMissing
		switch raw {
		case "true":
			c.Missing = true
		case "false":
		default:
			return c, badValue(sp, ":missing takes true or false")
		}
		return c, nil
	case sp.Type == TypeReference && IsResourceType(mod):
		if sp.Targets != nil && !slices.Contains(sp.Targets, mod) {
			return c, badValue(sp, "the target type is not supported")
		}
		c.TargetType = mod
	case sp.AllowsModifier(Modifier(mod)):
		c.Modifier = Modifier(mod)
	default:
		return c, NewError(ErrInvalidSearch, fmt.Sprintf("Search parameter %q does not support the modifier %q.", sp.Name, clip(mod)))
	}
	parts := splitEscaped(raw, ',')
	c.values = make([]value, 0, len(parts))
	for _, part := range parts {
		var v value
		switch sp.Type {
		case TypeString:
			v.str = StringValue{Value: unescape(part), Modifier: c.Modifier}
		case TypeURI:
			v.uri = URIValue{Value: unescape(part), Modifier: c.Modifier}
		case TypeToken:
			v.token.Modifier = c.Modifier
			if c.Modifier == ModText {
				v.token.Text = unescape(part)
				break
			}
			sc := splitEscaped(part, '|')
			switch len(sc) {
			case 1:
				v.token.Code = unescape(sc[0])
			case 2:
				v.token.System, v.token.Code, v.token.HasSystem = unescape(sc[0]), unescape(sc[1]), true
				if v.token.System == "" && v.token.Code == "" {
					return c, badValue(sp, "a token needs a code or a system")
				}
			default:
				return c, badValue(sp, "a token is code, system|code, |code or system|")
			}
		case TypeDate:
			pre, rest := splitPrefix(part)
			d, ok := parseDate(rest, p.opts.Location)
			if !ok {
				return c, badValue(sp, "a date is YYYY, YYYY-MM, YYYY-MM-DD or a dateTime (YYYY-MM-DDThh:mm[:ss][Z|+hh:mm]; without a zone the server's is assumed), optionally prefixed (eq, ne, gt, lt, ge, le, sa, eb, ap)")
			}
			if !sp.AllowsPrefix(pre) {
				return c, badValue(sp, "the prefix "+string(pre)+" is not supported")
			}
			d.Prefix = pre
			v.date = d
		case TypeNumber, TypeQuantity:
			pre, rest := splitPrefix(part)
			sc := []string{rest}
			if sp.Type == TypeQuantity {
				sc = splitEscaped(rest, '|')
				if len(sc) != 1 && len(sc) != 3 {
					return c, badValue(sp, "a quantity is number, number|system|code or number||code")
				}
			}
			n, ok := parseNumber(sc[0])
			if !ok {
				return c, badValue(sp, "the value is not a number")
			}
			if !sp.AllowsPrefix(pre) {
				return c, badValue(sp, "the prefix "+string(pre)+" is not supported")
			}
			n.Prefix = pre
			v.num.NumberValue = n
			if len(sc) == 3 {
				v.num.System, v.num.Code = unescape(sc[1]), unescape(sc[2])
			}
		case TypeReference:
			r, ok := parseReference(unescape(part), c.TargetType)
			if !ok {
				return c, badValue(sp, "a reference is id, Type/id or an absolute URL")
			}
			if c.TargetType == "" && r.Type != "" && sp.Targets != nil && !slices.Contains(sp.Targets, r.Type) && r.URL == "" {
				return c, badValue(sp, "the target type is not supported")
			}
			v.ref = r
		}
		c.values = append(c.values, v)
	}
	return c, nil
}

// IsResourceType reports whether s has the shape of a resource type name
// (an upper-case letter followed by letters and digits).
func IsResourceType(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// clip bounds text from a request that is echoed in a message.
func clip(s string) string {
	const max = 40
	if len(s) > max {
		s = s[:max]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		return s + "..."
	}
	return s
}
