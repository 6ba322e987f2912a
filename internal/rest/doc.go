// Package rest is the servers' FHIR REST wire machinery: content
// negotiation and OperationOutcome writing, searchset Bundles with their
// total and links, sealed page cursors bound to tenant and query, and the
// in-process batch dispatcher. No partner calls it; package fhir holds what
// partners see.
package rest
