// Package dstu2 holds Go models of every resource and datatype of FHIR DSTU2
// (1.0.2), generated from the HL7 definitions by internal/fhirgen (files
// *_gen.go; run go generate ./... after changing the generator).
//
// # Types
//
// Every concrete resource is a struct (Patient, Observation, ...; 94 in
// all) whose pointer implements [Resource]. The elements that DSTU2 inherits
// from the abstract Resource and DomainResource (id, meta, implicitRules,
// language, text, contained, extension, modifierExtension) are generated
// inline as ordinary fields of every resource: there is no embedded base
// struct. [Resource] gives generic access to the type, id and meta.
//
// Datatypes (HumanName, Quantity, ...) are structs too, including the types
// that DSTU2 defines as profiles of Quantity (Age, Count, Distance, Duration,
// Money, SimpleQuantity). In JSON such a choice keeps the name of the base
// type (Condition.onsetQuantity), while its Go field has the profile's type
// (OnsetQuantity *Age). The primitive profiles (code, id, markdown, oid,
// positiveInt, unsignedInt, uuid) map to Go types as below.
// Backbone elements are named by concatenating the path, so Patient.contact
// is PatientContact and Bundle.entry.request is BundleEntryRequest; elements
// that reuse another backbone (nameReference, e.g.
// Questionnaire.group.group) use that backbone's type.
//
// Every primitive has a Go alias named after it ([Date], [DateTime], [Code],
// [PositiveInt], [Decimal], ...), used in the field types: string-like
// primitives (string, code, uri, date, dateTime, instant, time, ...) are
// strings, where "" means absent; boolean and the integers are bool and
// int, held in fields as pointers (nil means absent); decimal is
// [fhirjson.Decimal], which keeps its lexical form. A code with a
// required binding to an enumerable value set has its own string type with
// constants (Patient.Gender is an [AdministrativeGender], e.g.
// [AdministrativeGenderFemale]). The id and extensions of a primitive
// (the JSON "_birthDate" member) are in the field with the suffix Ext
// (BirthDateExt *Element); for repeating primitives the Ext slice is
// aligned with the value slice, with nil where an element has none.
//
// A choice element such as Observation.value[x] becomes one field per type
// (ValueQuantity, ValueString, ...) and two methods: Value returns the one
// that is set and ValueType returns its FHIR type name ("Quantity").
//
// contained, Bundle.entry.resource and Parameters.parameter.resource are of
// the interface type [Resource].
//
// # JSON
//
// [UnmarshalResource] decodes any resource, choosing the type by its
// resourceType member; [Unmarshal] and json.Unmarshal decode into a given
// type. Decoding is strict: an unknown member, a JSON value of the wrong
// kind, an empty string, a malformed date or a mismatched resourceType is a
// *fhirjson.DecodeError whose Path names the member, such as
// "Patient.name[0].given[1]". Pass [fhirjson.Lenient] to keep unknown
// members instead (they are stored in each struct's Unknown field and
// written back). The DSTU2 "fhir_comments" member is accepted on every
// object, also in strict mode, and written back the same way.
//
// MarshalJSON (and [Marshal]) write compact JSON in the order of the
// definitions, without HTML-escaping, so narrative XHTML stays readable.
// json.Marshal also works but escapes <, > and &, as encoding/json always
// does.
//
// # Validation
//
// Every type has a Validate method that checks, throughout the value and
// the resources it contains, minimum cardinalities, required code bindings,
// that at most one type of each choice element is set, and the lexical form
// of ids, dates and times set in Go. It returns nil or a
// [fhirjson.ValidationErrors] listing each problem with its path.
//
// # Serving
//
// The package also turns a partner's EHR into a FHIR DSTU2 (1.0.2) server.
// Its server surface, generated from one declaration shared with the other
// version, is short:
//
//   - [Backend] is what every backend implements (Patient read and search);
//     the optional typed interfaces ([ObservationSearcher], ...,
//     MedicationOrder, Coverage, Location, Practitioner, and [GenericBackend]) take a
//     context and a typed query ([PatientQuery], [ObservationQuery], ...)
//     and return a [fhir.Page] of typed resources.
//   - [Config] says who serves each tenant (Backend, or a routing.Router),
//     what every backend must serve (Serve, or the [Profile]) and where the
//     server is mounted; [NewHandler] checks it and fails with a
//     [ConfigError] naming the field and any missing method's signature.
//   - [PatientsApp] is exactly what the Microsoft Teams Patients app uses.
//   - [Handler] serves GET /metadata, reads, searches (GET and POST
//     _search) and batch; it checks every resource before it is sent.
//
// The conformance kit in package dstu2test proves a backend right from the
// partner's own tests; dstu2mem is an in-memory backend and dstu2proxy one that
// forwards to a tenant's own FHIR server. docs/server.md is the guide.
package dstu2
