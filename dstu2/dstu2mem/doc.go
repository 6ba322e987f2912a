// Package dstu2mem is an in-memory DSTU2 EHR: a backend for the dstu2
// server that really filters, sorts and pages (internal/memehr) by the
// parameters dstu2 declares. It serves tests, the conformance kit's own run
// and examples/minimal; load it with the fixtures, the official HL7
// examples or your own resources.
//
// Most of this package is generated from stu3/stu3mem by
// internal/versiongen; edit that and run go generate.
package dstu2mem

//go:generate go run ../../internal/versiongen

// typed lists the types with a typed interface; the others are generic.
var typed = []string{"Patient", "Observation", "Condition", "Encounter", "AllergyIntolerance",
	"MedicationOrder", "Coverage", "Location", "Practitioner"}
