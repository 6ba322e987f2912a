// Package dstu2 holds Go models of every resource and datatype of FHIR DSTU2
// (1.0.2), generated from the HL7 definitions by internal/fhirgen.
package dstu2
