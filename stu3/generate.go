package stu3

//go:generate go run ../internal/fhirgen -version stu3 -spec ../internal/fhirgen/spec/stu3 -out .
//go:generate go run ../internal/servergen -version stu3 -root ..
