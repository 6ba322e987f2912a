package capability

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// Interaction is a type-level RESTful interaction code.
type Interaction string

// The type-level interactions, with the codes common to DSTU2 and STU3.
const (
	Read            Interaction = "read"
	VRead           Interaction = "vread"
	SearchType      Interaction = "search-type"
	HistoryInstance Interaction = "history-instance"
	HistoryType     Interaction = "history-type"
	Create          Interaction = "create"
	Update          Interaction = "update"
	Delete          Interaction = "delete"
)

var knownInteractions = []Interaction{Read, VRead, SearchType, HistoryInstance, HistoryType, Create, Update, Delete}

// SMART is the URL of the SMART oauth-uris extension.
const SMART = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"

// SecurityServiceSystem is the code system of rest.security.service.
const SecurityServiceSystem = "http://hl7.org/fhir/restful-security-service"

// Resource is a resource type as registered with the server.
type Resource struct {
	// Type is the resource type, e.g. "Patient".
	Type string
	// Interactions are the interactions implemented for the type.
	Interactions []Interaction
	// SearchParams are the declared search parameters: the same values the
	// server's parser uses, so the statement cannot advertise a parameter
	// that is not parsed (or hide one that is).
	SearchParams []fhir.SearchParam
	// Profile is the canonical URL of the profile the server supports.
	Profile string
	// Documentation describes the server's use of the type.
	Documentation string
}

// Security is the security section: the token endpoint clients use and,
// optionally, the authorize endpoint.
type Security struct {
	// TokenURL is the OAuth2 token endpoint (absolute URL). Required.
	TokenURL string
	// AuthorizeURL is the OAuth2 authorize endpoint; optional (client
	// credentials do not use it, but some clients look for it).
	AuthorizeURL string
	// Description is rest.security.description.
	Description string
	// CORS sets rest.security.cors.
	CORS bool
}

// Software is the statement's software element (name is required).
type Software struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// Implementation is the statement's implementation element.
type Implementation struct {
	Description string `json:"description"`
	URL         string `json:"url,omitempty"`
}

// Config is what the statement is built from.
type Config struct {
	// Version is the FHIR version; it picks Conformance or CapabilityStatement.
	Version *fhir.Version
	// BaseURL is the absolute base URL of the endpoint (implementation.url).
	BaseURL string
	// Name, Publisher and Description fill the top-level elements.
	Name, Publisher, Description string
	// Software defaults to {Name: "patientsfhir"}.
	Software Software
	// ImplementationDescription defaults to "FHIR server".
	ImplementationDescription string
	// Date is the statement's date (default: the time of Build).
	Date time.Time
	// Resources are the registered resource types, in the order to list.
	Resources []Resource
	// Batch declares the system batch interaction.
	Batch bool
	// Security, when set, adds the security section with the SMART
	// oauth-uris extension and the OAuth service.
	Security *Security
	// Adjust, when set, may change the statement before it is rendered. It
	// may not change resourceType or fhirVersion.
	Adjust func(*Statement) error
}

func absURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// Build validates cfg and renders the statement once. Errors name the
// offending field: they are start-up errors.
func Build(cfg Config) (*Handler, error) {
	v := cfg.Version
	if v == nil {
		return nil, errors.New("capability: Config.Version is required")
	}
	if cfg.BaseURL != "" && !absURL(cfg.BaseURL) {
		return nil, fmt.Errorf("capability: Config.BaseURL %q is not an absolute http(s) URL", cfg.BaseURL)
	}
	st := &Statement{
		ResourceType:  v.CapabilityResource,
		Name:          cfg.Name,
		Status:        "active",
		Publisher:     cfg.Publisher,
		Description:   cfg.Description,
		Kind:          "instance",
		FHIRVersion:   v.FHIRVersion,
		AcceptUnknown: "no",
		Format:        []string{"json", v.MIMEType},
	}
	date := cfg.Date
	if date.IsZero() {
		date = time.Now()
	}
	st.Date = date.UTC().Truncate(time.Second).Format(time.RFC3339)
	sw := cfg.Software
	if sw.Name == "" {
		sw.Name = "patientsfhir"
	}
	st.Software = &sw
	desc := cfg.ImplementationDescription
	if desc == "" {
		desc = "FHIR " + v.Name + " server"
	}
	st.Implementation = &Implementation{Description: desc, URL: cfg.BaseURL}

	rest := Rest{Mode: "server"}
	seen := map[string]bool{}
	for i, res := range cfg.Resources {
		if !fhir.IsResourceType(res.Type) {
			return nil, fmt.Errorf("capability: Resources[%d].Type %q is not a resource type", i, res.Type)
		}
		if seen[res.Type] {
			return nil, fmt.Errorf("capability: resource type %s registered twice", res.Type)
		}
		seen[res.Type] = true
		rr, err := buildResource(v, res)
		if err != nil {
			return nil, err
		}
		rest.Resource = append(rest.Resource, rr)
	}
	if cfg.Batch {
		rest.Interaction = append(rest.Interaction, InteractionEntry{Code: v.BatchInteraction, Documentation: "batch only: entries may be reads and searches; transactions are not supported"})
		rest.TransactionMode = v.TransactionModeBatch
	}
	if s := cfg.Security; s != nil {
		if !absURL(s.TokenURL) {
			return nil, fmt.Errorf("capability: Security.TokenURL %q is not an absolute http(s) URL", s.TokenURL)
		}
		if s.AuthorizeURL != "" && !absURL(s.AuthorizeURL) {
			return nil, fmt.Errorf("capability: Security.AuthorizeURL %q is not an absolute http(s) URL", s.AuthorizeURL)
		}
		oauth := Extension{URL: SMART, Extension: []Extension{{URL: "token", ValueURI: s.TokenURL}}}
		if s.AuthorizeURL != "" {
			oauth.Extension = append(oauth.Extension, Extension{URL: "authorize", ValueURI: s.AuthorizeURL})
		}
		cors := s.CORS
		rest.Security = &RestSecurity{
			Extension: []Extension{oauth},
			CORS:      &cors,
			Service: []CodeableConcept{{
				Coding: []Coding{{System: SecurityServiceSystem, Code: "OAuth", Display: "OAuth"}},
				Text:   "OAuth2 client credentials; send the token as Authorization: Bearer",
			}},
			Description: s.Description,
		}
	}
	st.Rest = []Rest{rest}
	if cfg.Adjust != nil {
		if err := cfg.Adjust(st); err != nil {
			return nil, fmt.Errorf("capability: Adjust: %w", err)
		}
		if st.ResourceType != v.CapabilityResource || st.FHIRVersion != v.FHIRVersion {
			return nil, errors.New("capability: Adjust may not change resourceType or fhirVersion")
		}
	}
	body, err := render(v, st)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	return &Handler{version: v, body: body, etag: `W/"` + hex.EncodeToString(sum[:12]) + `"`}, nil
}

func buildResource(v *fhir.Version, res Resource) (RestResource, error) {
	rr := RestResource{Type: res.Type, Documentation: res.Documentation}
	if res.Profile != "" {
		rr.Profile = &Reference{Reference: res.Profile}
	}
	if len(res.Interactions) == 0 {
		return rr, fmt.Errorf("capability: resource %s has no interactions", res.Type)
	}
	for _, in := range res.Interactions {
		if !slices.Contains(knownInteractions, in) {
			return rr, fmt.Errorf("capability: resource %s: unknown interaction %q", res.Type, in)
		}
		if slices.ContainsFunc(rr.Interaction, func(e InteractionEntry) bool { return e.Code == string(in) }) {
			return rr, fmt.Errorf("capability: resource %s: interaction %q listed twice", res.Type, in)
		}
		rr.Interaction = append(rr.Interaction, InteractionEntry{Code: string(in)})
	}
	if len(res.SearchParams) > 0 && !slices.Contains(res.Interactions, SearchType) {
		return rr, fmt.Errorf("capability: resource %s declares search parameters but not the search-type interaction", res.Type)
	}
	// The parser is the judge of the declarations: what it refuses cannot
	// be advertised.
	if _, err := fhir.NewParser(v, res.SearchParams, nil); err != nil {
		return rr, fmt.Errorf("capability: resource %s: %w", res.Type, err)
	}
	for _, sp := range res.SearchParams {
		out := SearchParam{Name: sp.Name, Definition: sp.Definition, Type: string(sp.Type), Documentation: sp.Documentation}
		if v.SearchParamModifiers {
			for _, m := range sp.Modifiers {
				out.Modifier = append(out.Modifier, string(m))
			}
			if sp.Type == fhir.TypeReference {
				out.Target = slices.Clone(sp.Targets)
				out.Modifier = append(out.Modifier, "type")
			}
		}
		rr.SearchParam = append(rr.SearchParam, out)
	}
	return rr, nil
}

// render encodes st for v, dropping the elements v does not have.
func render(v *fhir.Version, st *Statement) ([]byte, error) {
	cp := *st
	cp.Rest = slices.Clone(st.Rest)
	for i := range cp.Rest {
		r := &cp.Rest[i]
		if v.TransactionModeBatch == "" {
			r.TransactionMode = ""
		}
		r.Resource = slices.Clone(r.Resource)
		for j := range r.Resource {
			rr := &r.Resource[j]
			rr.SearchParam = slices.Clone(rr.SearchParam)
			for k := range rr.SearchParam {
				if !v.SearchParamModifiers {
					rr.SearchParam[k].Modifier = nil
					rr.SearchParam[k].Target = nil
				}
			}
		}
	}
	return json.Marshal(&cp)
}
