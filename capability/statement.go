package capability

// Statement is the capability statement before rendering, as the Adjust
// hook sees it. Its JSON is the same for DSTU2 and STU3 except for elements
// the version does not have, which the renderer drops (see fhir.Version).
// Here and in the types below, each field is the FHIR element of the same
// JSON name (Conformance/CapabilityStatement in the FHIR specification).
type Statement struct {
	ResourceType   string          `json:"resourceType"`
	URL            string          `json:"url,omitempty"`
	Name           string          `json:"name,omitempty"`
	Status         string          `json:"status"`
	Publisher      string          `json:"publisher,omitempty"`
	Date           string          `json:"date"`
	Description    string          `json:"description,omitempty"`
	Kind           string          `json:"kind"`
	Software       *Software       `json:"software,omitempty"`
	Implementation *Implementation `json:"implementation,omitempty"`
	FHIRVersion    string          `json:"fhirVersion"`
	AcceptUnknown  string          `json:"acceptUnknown"`
	Format         []string        `json:"format"`
	Rest           []Rest          `json:"rest"`
}

// Rest is one rest element.
type Rest struct {
	Mode            string             `json:"mode"`
	Documentation   string             `json:"documentation,omitempty"`
	Security        *RestSecurity      `json:"security,omitempty"`
	Resource        []RestResource     `json:"resource,omitempty"`
	Interaction     []InteractionEntry `json:"interaction,omitempty"`
	TransactionMode string             `json:"transactionMode,omitempty"`
}

// RestSecurity is rest.security.
type RestSecurity struct {
	Extension   []Extension       `json:"extension,omitempty"`
	CORS        *bool             `json:"cors,omitempty"`
	Service     []CodeableConcept `json:"service,omitempty"`
	Description string            `json:"description,omitempty"`
}

// Extension is a FHIR extension with a uri value or nested extensions.
type Extension struct {
	URL       string      `json:"url"`
	Extension []Extension `json:"extension,omitempty"`
	ValueURI  string      `json:"valueUri,omitempty"`
}

// CodeableConcept is a FHIR CodeableConcept.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Coding is a FHIR Coding.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// Reference is a FHIR Reference.
type Reference struct {
	Reference string `json:"reference"`
}

// RestResource is rest.resource.
type RestResource struct {
	Type          string             `json:"type"`
	Profile       *Reference         `json:"profile,omitempty"`
	Documentation string             `json:"documentation,omitempty"`
	Interaction   []InteractionEntry `json:"interaction"`
	SearchParam   []SearchParam      `json:"searchParam,omitempty"`
}

// InteractionEntry is an interaction element (type or system level).
type InteractionEntry struct {
	Code          string `json:"code"`
	Documentation string `json:"documentation,omitempty"`
}

// SearchParam is rest.resource.searchParam. Target and Modifier exist in
// DSTU2 only and are dropped when rendering STU3.
type SearchParam struct {
	Name          string   `json:"name"`
	Definition    string   `json:"definition,omitempty"`
	Type          string   `json:"type"`
	Documentation string   `json:"documentation,omitempty"`
	Target        []string `json:"target,omitempty"`
	Modifier      []string `json:"modifier,omitempty"`
}
