package fhir

import (
	"fmt"
	"slices"
)

// ParamType is the type of a search parameter.
type ParamType string

// The search parameter types the parser understands.
const (
	TypeString    ParamType = "string"
	TypeToken     ParamType = "token"
	TypeDate      ParamType = "date"
	TypeReference ParamType = "reference"
	TypeNumber    ParamType = "number"
	TypeQuantity  ParamType = "quantity"
	TypeURI       ParamType = "uri"
)

// Modifier is a search parameter modifier (the part after the colon).
type Modifier string

// The modifiers the parser understands. A reference parameter also accepts
// a resource type as modifier (":Patient"); see [Clause.TargetType].
const (
	ModNone     Modifier = ""
	ModExact    Modifier = "exact"    // string: whole-value, case-sensitive match
	ModContains Modifier = "contains" // string: substring match
	ModMissing  Modifier = "missing"  // any type: value is "true" or "false"
	ModNot      Modifier = "not"      // token: negation
	ModText     Modifier = "text"     // token: match on the text/display
	ModBelow    Modifier = "below"    // uri: prefix match
	ModAbove    Modifier = "above"    // uri: ancestor match
)

// Prefix is a comparison prefix of number, date and quantity values.
type Prefix string

// The nine comparison prefixes. A value without a prefix has PrefixEq.
const (
	PrefixEq Prefix = "eq"
	PrefixNe Prefix = "ne"
	PrefixGt Prefix = "gt"
	PrefixLt Prefix = "lt"
	PrefixGe Prefix = "ge"
	PrefixLe Prefix = "le"
	PrefixSa Prefix = "sa"
	PrefixEb Prefix = "eb"
	PrefixAp Prefix = "ap"
)

// AllPrefixes lists every comparison prefix.
var AllPrefixes = []Prefix{PrefixEq, PrefixNe, PrefixGt, PrefixLt, PrefixGe, PrefixLe, PrefixSa, PrefixEb, PrefixAp}

// modifiersByType lists the modifiers that make sense for each type;
// declaring another one is a start-up error.
var modifiersByType = map[ParamType][]Modifier{
	TypeString:    {ModExact, ModContains, ModMissing},
	TypeToken:     {ModNot, ModText, ModMissing},
	TypeDate:      {ModMissing},
	TypeReference: {ModMissing},
	TypeNumber:    {ModMissing},
	TypeQuantity:  {ModMissing},
	TypeURI:       {ModBelow, ModAbove, ModMissing},
}

// SearchParam declares one search parameter of a resource type. The same
// value drives query parsing, strict/lenient handling, the self link and the
// capability statement, so what is advertised is what is parsed.
type SearchParam struct {
	// Name is the parameter name as it appears in the URL, e.g. "birthdate".
	Name string
	// Type is the parameter type.
	Type ParamType
	// Path is the element the parameter targets, e.g. "Patient.birthDate".
	Path string
	// Definition is the canonical URL of the SearchParameter, if any.
	Definition string
	// Documentation describes the parameter's semantics on this server
	// (shown in the capability statement).
	Documentation string
	// Modifiers are the modifiers the server supports for this parameter.
	// A request with another modifier is refused (400), as FHIR requires.
	Modifiers []Modifier
	// Prefixes are the comparison prefixes supported (number, date and
	// quantity only). Nil means all nine.
	Prefixes []Prefix
	// Targets are the resource types a reference parameter may point to; a
	// ":[type]" modifier must name one of them. Nil means any type.
	Targets []string
}

// ParamID is the standard _id parameter. Declare it for a resource type to
// accept "_id" and its alias "id" (which the Patients app sends).
var ParamID = SearchParam{
	Name:          "_id",
	Type:          TypeToken,
	Path:          "Resource.id",
	Definition:    "http://hl7.org/fhir/SearchParameter/Resource-id",
	Documentation: "Logical id of the resource; \"id\" is accepted as an alias.",
}

// AllowsModifier reports whether m is declared for the parameter.
func (p *SearchParam) AllowsModifier(m Modifier) bool { return slices.Contains(p.Modifiers, m) }

// AllowsPrefix reports whether pre is allowed for the parameter.
func (p *SearchParam) AllowsPrefix(pre Prefix) bool {
	if p.Prefixes == nil {
		return true
	}
	return pre == PrefixEq || slices.Contains(p.Prefixes, pre)
}

func (p *SearchParam) hasPrefixes() bool {
	return p.Type == TypeDate || p.Type == TypeNumber || p.Type == TypeQuantity
}

// Validate reports a declaration mistake: empty or reserved name, unknown
// type, a modifier or prefix that the type does not have.
func (p *SearchParam) Validate() error {
	if p.Name == "" {
		return fmt.Errorf("fhir: search parameter with empty name")
	}
	for _, c := range p.Name {
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return fmt.Errorf("fhir: search parameter %q: invalid character %q in name", p.Name, c)
		}
	}
	if _, reserved := resultParams[p.Name]; reserved {
		return fmt.Errorf("fhir: search parameter %q: name is reserved", p.Name)
	}
	allowed, ok := modifiersByType[p.Type]
	if !ok {
		return fmt.Errorf("fhir: search parameter %q: unknown type %q", p.Name, p.Type)
	}
	for _, m := range p.Modifiers {
		if !slices.Contains(allowed, m) {
			return fmt.Errorf("fhir: search parameter %q: modifier %q is not valid for type %s", p.Name, m, p.Type)
		}
	}
	if p.Prefixes != nil && !p.hasPrefixes() {
		return fmt.Errorf("fhir: search parameter %q: type %s takes no prefixes", p.Name, p.Type)
	}
	for _, pre := range p.Prefixes {
		if !slices.Contains(AllPrefixes, pre) {
			return fmt.Errorf("fhir: search parameter %q: unknown prefix %q", p.Name, pre)
		}
	}
	if p.Targets != nil && p.Type != TypeReference {
		return fmt.Errorf("fhir: search parameter %q: only reference parameters have targets", p.Name)
	}
	return nil
}
