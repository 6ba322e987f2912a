// Package restserver is the version-neutral engine behind the dstu2 and stu3
// FHIR servers. The version packages supply typed adapters (Binding values
// that turn a parsed fhir.Query into a typed query struct, call the partner's
// typed backend method and hand back resources); the engine does the rest:
// routing, content negotiation and parsing through package fhir, per-tenant
// backend resolution, timeouts and panic recovery around backend calls,
// output checks, searchset Bundles and paging, batch, and the capability
// statement derived from exactly the interfaces the backend implements.
//
// Nothing here is specific to DSTU2 or STU3: the version is a *fhir.Version
// and the resources are anything that implements Resource.
package restserver
