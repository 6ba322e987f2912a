// Command versiongen writes the DSTU2 copies of the STU3 in-memory backend,
// conformance-kit code and server tests: stu3/stu3mem → dstu2/dstu2mem,
// stu3/stu3test → dstu2/dstu2test and stu3/server*_test.go →
// dstu2/server*_gen_test.go. The two versions differ only in names
// (package, FHIR version, MedicationRequest/MedicationOrder, request line
// prefix S/D), translated by one ordered replacement table; a file may add
// its own pairs for the few places where the models differ (HumanName.family
// as a list, the element naming the patient, the media type). What exists in
// one version only lives in hand-written files that are not copied
// (stu3mem/medstatement.go, server_version_test.go, the doc.go files).
//
// Run it with go generate ./dstu2/... (the dstu2mem and dstu2test packages
// carry the directive) or from the module root:
//
//	go run ./internal/versiongen -root .
package main
