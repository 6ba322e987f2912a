package kit

import (
	"net/url"
	"strings"
)

// Kind is the kind of response a request expects.
type Kind int

// Response kinds.
const (
	KindCapability Kind = iota + 1 // Conformance / CapabilityStatement
	KindResource                   // one resource (read)
	KindSearchset                  // a searchset Bundle
	KindBatch                      // a batch-response Bundle
	KindOutcome                    // an OperationOutcome (an error status)
)

// Request is one request of the catalogue, with what the kit asserts. Text
// fields may hold placeholders that [Request.Expand] fills from [TestData]:
// {patient}, {family}, {familyMid}, {given}, {givenMid}, {birthdate},
// {gender}, {mrn}, {mrnSystem}.
type Request struct {
	// Name identifies the request in failure messages, e.g.
	// "S3 Observation vitals, _sort=-date, POST _search".
	Name string
	// Line is the request line of the interface specification (D0-D9, S0-S9).
	Line string
	// Method is GET or POST.
	Method string
	// Path is relative to the base ("metadata", "Patient/{patient}",
	// "Patient/_search", "" for a batch).
	Path string
	// Query is the query string (already URL-encoded, with placeholders).
	Query string
	// Form is a POST _search form body (URL-encoded, with placeholders).
	Form string
	// Batch are the request URLs of a batch Bundle's GET entries.
	Batch []string
	// NoAuth sends the request without credentials (metadata).
	NoAuth bool
	// Expect is what the response must satisfy.
	Expect Expect
}

// Expect is what the kit asserts about a response.
type Expect struct {
	// Status is the HTTP status (200 unless set).
	Status int
	// Kind is the kind of response.
	Kind Kind
	// Type is the resource type read or searched.
	Type string
	// Count is the _count sent: the page holds at most this many entries.
	Count int
	// NewestFirst asks that entries are sorted newest first by the type's
	// date element.
	NewestFirst bool
	// PatientScoped asks that every entry belongs to {patient}.
	PatientScoped bool
	// MustFind asks that the result holds the resource {patient} (Patient
	// searches and reads).
	MustFind bool
	// MustMatch asks that every Patient found matches the search (its
	// family, given, birth date, gender or MRN as requested); the key names
	// the criterion.
	MustMatch []string
	// NonEmpty asks for at least one entry.
	NonEmpty bool
	// Rule is the rule MustFind checks (the parameter or semantics the
	// request exercises, e.g. "search.contains"); MustMatch failures name
	// the rule of their criterion ("param.family").
	Rule string
}

// Expand returns r with its placeholders filled from d.
func (r Request) Expand(d TestData) Request {
	rep := d.replacer()
	r.Path = rep.Replace(r.Path)
	r.Query = expandQuery(rep, r.Query)
	r.Form = expandQuery(rep, r.Form)
	r.Batch = append([]string(nil), r.Batch...)
	for i, u := range r.Batch {
		path, q, _ := strings.Cut(u, "?")
		r.Batch[i] = rep.Replace(path)
		if q != "" {
			r.Batch[i] += "?" + expandQuery(rep, q)
		}
	}
	return r
}

// expandQuery fills placeholders inside the values of a query string, URL-
// encoding what it inserts.
func expandQuery(rep *strings.Replacer, q string) string {
	if q == "" {
		return ""
	}
	parts := strings.Split(q, "&")
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		parts[i] = k + "=" + url.QueryEscape(rep.Replace(v))
	}
	return strings.Join(parts, "&")
}

// TestData names the data of the backend under test that the requests use.
// The patient must have at least two vital signs, two encounters, one
// condition, one allergy, one medication order/request and one coverage, so
// that every check has something to look at; what is missing is reported.
type TestData struct {
	// PatientID is the logical id of the patient with clinical data.
	PatientID string
	// Family is that patient's family name (or a part of it, at least 3
	// letters); the kit also searches for its inner substring.
	Family string
	// Given is one of that patient's given names (at least 3 letters).
	Given string
	// BirthDate is that patient's birth date, YYYY-MM-DD.
	BirthDate string
	// Gender is that patient's administrative gender.
	Gender string
	// MRN is that patient's medical record number (identifier value).
	MRN string
	// MRNSystem is the system of the MRN identifier (optional).
	MRNSystem string
	// UnknownPatientID is an id that does not exist (default "no-such-patient-0").
	UnknownPatientID string
}

// inner returns s without its first letter (a true substring: found only
// with contains semantics), or s when it is too short.
func inner(s string) string {
	r := []rune(s)
	if len(r) < 3 {
		return s
	}
	return string(r[1:])
}

func (d TestData) replacer() *strings.Replacer {
	unknown := d.UnknownPatientID
	if unknown == "" {
		unknown = "no-such-patient-0"
	}
	return strings.NewReplacer(
		"{patient}", d.PatientID, "{unknown}", unknown,
		"{familyMid}", strings.ToLower(inner(d.Family)), "{family}", d.Family,
		"{givenMid}", strings.ToLower(inner(d.Given)), "{given}", d.Given,
		"{birthdate}", d.BirthDate, "{gender}", d.Gender,
		"{mrnSystem}", d.MRNSystem, "{mrn}", d.MRN,
	)
}
