// Package upstream configures the proxy backends: tenants served by their
// provider's own FHIR server (Epic, Cerner, HAPI, Azure API for FHIR, or
// another patientsfhir server), with the Patients-app contract, the token
// endpoint and tenant isolation of this module in front of it.
//
// A [Config] describes one upstream: its FHIR base, how this server
// authenticates to it ([Bearer], [ClientCredentials] with cached and
// refreshed tokens, your own [TokenSource], or nothing), and its limits
// (timeout, connection pool, response size). The version packages open it:
//
//	b, err := stu3proxy.New(upstream.Config{
//		BaseURL: "https://fhir.hospital-a.org/api/FHIR/STU3",
//		Auth: upstream.ClientCredentials{TokenURL: "https://fhir.hospital-a.org/oauth2/token",
//			ClientID: "patients-proxy", ClientSecret: os.Getenv("HOSPITAL_A_SECRET")},
//	})
//
// The backend implements every typed interface of its version, so the
// server parses, checks and writes as for any backend: the client's typed
// query becomes the upstream's search parameters (both _sort syntaxes,
// _count, the Patients app's contains reading of family and given,
// identifier with or without a system); the upstream's answer is decoded
// strictly into the generated models and every resource goes through the
// server's output checks (another patient's resource, or an invalid one,
// is refused); the Bundles the client gets carry this server's URLs only
// (fullUrl, self and next links are the server's own; absolute references
// to the upstream become relative); the upstream's next links travel
// encrypted inside this server's sealed, tenant-bound cursors and are only
// ever followed on the upstream's own base. Upstream failures become
// OperationOutcomes (502, 504, and 400, 403, 404, 429, 503 where the
// upstream's status says so) that never show the upstream's address or
// what it answered.
//
// A [Set] holds the upstreams of a deployment by name, for tenant
// routing: [Set.Static] for a fixed tenant map, [Set.Provider] for your own
// tenant table. See docs/proxy.md.
package upstream
