// Package fhirexamples embeds the official HL7 example resources of FHIR DSTU2
// (1.0.2) and STU3 (3.0.1), one JSON document per file, so that tests,
// benchmarks and the in-memory sample server can load real data without the
// specification folder being present.
//
// The files are unmodified copies of the specification's examples, named
// "<Type>-<id>.json" (a few STU3 Patient examples are named
// "patient-example*.json"). The large definitional bundles of the
// specification are not included. The content is published by HL7 under CC0.
//
// List the examples of a version with [Names] or [All]; read one with [Read].
package fhirexamples
