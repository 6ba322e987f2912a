package fhir

// SortStyle says how a FHIR version spells the direction of a _sort key in
// the links the module writes. Both styles are always accepted on input.
type SortStyle int

const (
	// SortPrefix writes "_sort=-date,name" (the STU3 syntax).
	SortPrefix SortStyle = iota
	// SortModifier writes "_sort:desc=date&_sort:asc=name" (the DSTU2 syntax).
	SortModifier
)

// Version describes one FHIR version as data. Everything that differs
// between DSTU2 and STU3 in the REST layer is a field here, so the code that
// uses it never branches on the version itself.
type Version struct {
	// Name is the short release name, e.g. "STU3".
	Name string
	// FHIRVersion is the value of fhirVersion in the capability statement.
	FHIRVersion string
	// MIMEType is the version's JSON media type, used in Content-Type.
	MIMEType string
	// AltMIMETypes are other spellings of the JSON media type that requests
	// may use (the other version's spelling, application/json).
	AltMIMETypes []string
	// XMLMIMETypes are the XML media types of the version; a request that
	// asks only for one of them gets 406 Not Acceptable.
	XMLMIMETypes []string
	// CapabilityResource is the resource type of the capability statement:
	// "Conformance" (DSTU2) or "CapabilityStatement" (STU3).
	CapabilityResource string
	// SortStyle is how _sort is written in self and next links.
	SortStyle SortStyle
	// BatchInteraction is the system interaction code that declares batch
	// support: DSTU2 only knows "transaction" (qualified by
	// Conformance.rest.transactionMode), STU3 has "batch".
	BatchInteraction string
	// TransactionModeBatch is the value of rest.transactionMode to declare
	// batch-only support, or "" when the version has no such element.
	TransactionModeBatch string
	// SearchParamModifiers reports whether the capability statement's
	// searchParam lists its modifiers (DSTU2 only).
	SearchParamModifiers bool
	// ResponseOutcome reports whether Bundle.entry.response has an outcome
	// element (STU3). Without it, a failing batch entry carries its
	// OperationOutcome as entry.resource.
	ResponseOutcome bool
}

// DSTU2 is FHIR 1.0.2.
var DSTU2 = &Version{
	Name:                 "DSTU2",
	FHIRVersion:          "1.0.2",
	MIMEType:             "application/json+fhir",
	AltMIMETypes:         []string{"application/fhir+json", "application/json"},
	XMLMIMETypes:         []string{"application/xml+fhir", "application/fhir+xml", "application/xml", "text/xml"},
	CapabilityResource:   "Conformance",
	SortStyle:            SortModifier,
	BatchInteraction:     "transaction",
	TransactionModeBatch: "batch",
	SearchParamModifiers: true,
	ResponseOutcome:      false,
}

// STU3 is FHIR 3.0.1.
var STU3 = &Version{
	Name:                 "STU3",
	FHIRVersion:          "3.0.1",
	MIMEType:             "application/fhir+json",
	AltMIMETypes:         []string{"application/json+fhir", "application/json"},
	XMLMIMETypes:         []string{"application/fhir+xml", "application/xml+fhir", "application/xml", "text/xml"},
	CapabilityResource:   "CapabilityStatement",
	SortStyle:            SortPrefix,
	BatchInteraction:     "batch",
	TransactionModeBatch: "",
	SearchParamModifiers: false,
	ResponseOutcome:      true,
}

// ContentType is the Content-Type header value of the version's responses.
func (v *Version) ContentType() string {
	switch v.MIMEType { // the two spellings of this module, without an allocation
	case "application/fhir+json":
		return "application/fhir+json; charset=utf-8"
	case "application/json+fhir":
		return "application/json+fhir; charset=utf-8"
	}
	return v.MIMEType + "; charset=utf-8"
}

// String returns the release name and number, e.g. "STU3 (3.0.1)".
func (v *Version) String() string { return v.Name + " (" + v.FHIRVersion + ")" }

// IsJSON reports whether a media type (without parameters, lower case) is a
// JSON spelling this version accepts.
func (v *Version) IsJSON(mt string) bool {
	if mt == v.MIMEType || mt == "json" {
		return true
	}
	for _, a := range v.AltMIMETypes {
		if mt == a {
			return true
		}
	}
	return false
}
