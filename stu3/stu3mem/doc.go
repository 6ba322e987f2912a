// Package stu3mem is an in-memory STU3 EHR: a backend for the stu3 server
// that really filters, sorts and pages (internal/memehr) by the parameters
// stu3 declares. It serves tests, the conformance kit's own run and
// examples/minimal; load it with the fixtures, the official HL7 examples or
// your own resources.
package stu3mem
