// Package stu3 holds Go models of every resource and datatype of FHIR STU3
// (3.0.1), generated from the HL7 definitions by internal/fhirgen.
package stu3
