// Command versiongen writes the DSTU2 copies of the STU3 in-memory backend
// and conformance-kit code: stu3/stu3mem → dstu2/dstu2mem and
// stu3/stu3test → dstu2/dstu2test. The two versions differ only in names
// (package, FHIR version, MedicationRequest/MedicationOrder, request line
// prefix S/D); what exists in one version only lives in hand-written files
// that are not copied (stu3mem/medstatement.go, the doc.go files).
//
// Run it with go generate ./dstu2/... (the dstu2mem and dstu2test packages
// carry the directive) or from the module root:
//
//	go run ./internal/versiongen -root .
package main
