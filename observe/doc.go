// Package observe makes a patientsfhir service visible to the people who
// run it: request ids, one access-log line per request, Prometheus metrics,
// OpenTelemetry spans, every backend failure as one structured log line (and
// a hook to forward it), and the /healthz and /readyz probes.
//
// Everything here composes with any router as chi-style middleware
// (func(http.Handler) http.Handler) over standard types, takes its
// Prometheus registry and OpenTelemetry TracerProvider as values (never the
// global ones), and is off until configured: a nil [*Observer] costs a nil
// check. patientsfhir.Config.Ops wires it all for the whole service; use the
// pieces directly to put a version handler (stu3.NewHandler) behind your
// own mux.
//
// Nothing this package logs, labels or records carries a secret, a token, a
// query string or resource content: requests are described by their route
// pattern ("/stu3/Patient/{id}"), version, interaction, resource type,
// status, tenant and client ids. Metric labels are bounded sets: no ids,
// no tenants.
package observe
