package dstu2

//go:generate go run ../internal/fhirgen -version dstu2 -spec ../internal/fhirgen/spec/dstu2 -out .
//go:generate go run ../internal/servergen -version dstu2 -root ..
