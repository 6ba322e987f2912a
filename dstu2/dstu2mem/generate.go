package dstu2mem

// The rest of this package is generated from stu3/stu3mem; edit that and run
// go generate.
//go:generate go run ../../internal/versiongen

// typed lists the types with a typed interface; the others are generic.
var typed = []string{"Patient", "Observation", "Condition", "Encounter", "AllergyIntolerance",
	"MedicationOrder", "Coverage", "Location", "Practitioner"}
