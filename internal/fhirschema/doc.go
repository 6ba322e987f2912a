// Package fhirschema validates FHIR JSON documents against the official JSON
// schemas of FHIR DSTU2 (1.0.2) and STU3 (3.0.1).
//
// It exists for tests: any package of the module can assert that what it
// emits is valid FHIR of the version it claims, without a network or the
// shared specification folder. Both schemas are embedded (see schemas/), each
// is compiled once, lazily, on first use, with
// github.com/santhosh-tekuri/jsonschema/v6.
//
// The STU3 schema is HL7's published fhir.schema.json, unmodified. HL7 never
// published a DSTU2 schema; the embedded one is generated from the official
// DSTU2 StructureDefinitions following the layout of the STU3 schema. Both
// declare draft-06 and compile as they are: no file is patched.
//
// Each resource is checked against the definition of its own resourceType,
// and so is every resource nested in it (contained resources, Bundle
// entries, Parameters), at its own JSON pointer. This is equivalent to the
// schemas' oneOf over all resource types (whose alternatives differ by a
// resourceType const), but lets each resource type be compiled on first
// use: in memory, the root oneOf is dropped and ResourceList is reduced to
// "an object with a string resourceType". Loading a version costs about
// 0.1–0.4 s (most of it parsing the schema and checking it against the
// draft-06 metaschema); see BenchmarkCompile.
//
// # Two levels
//
// [Validate] applies the official schema exactly as published. Its regular
// expressions are not anchored (JSON Schema patterns match anywhere in the
// string), so for example "12/31/2020" passes as a date because "2020"
// matches, and a 70-character id passes the 1..64 id pattern.
//
// [ValidateStrict] validates against a stricter variant built in memory from
// the same schema when it is loaded (the embedded files stay byte-identical
// to the official ones):
//
//   - every non-empty pattern is anchored as ^(?:pattern)$, so primitives
//     (id, code, date, dateTime, time, oid, uuid …) must match in full;
//   - date, dateTime and instant must be real calendar dates (no 2019-02-30)
//     and instant must be given to the second with a time zone, checked by
//     format assertions registered on the compiler;
//   - integer, positiveInt and unsignedInt must be integral JSON numbers
//     within FHIR's 32-bit range (positiveInt ≥ 1, unsignedInt ≥ 0);
//   - no empty strings, arrays or objects (FHIR's ele-1: every element has
//     a value or children) and no duplicate member names, which decoding
//     would otherwise silently collapse.
//
// # Errors
//
// Every rejection wraps [ErrInvalid]; a schema failure is a
// *[ValidationError] listing the failing JSON pointers. Messages never echo
// the offending string values (which could be patient data such as a birth
// date): a pattern failure reads "is not a valid FHIR date", not the value.
// A broken resource inside a Bundle or among contained resources is reported
// at its own path (/entry/1/resource/gender), not as ~100 failed oneOf
// alternatives.
package fhirschema
