// Package portal is the operator portal of a patientsfhir server: server-
// rendered pages (html/template, no JavaScript framework) where the
// partner's operators register the OAuth2 clients of the Patients app and
// other apps, hand out and rotate their secrets, map customers' tenant
// GUIDs to backend providers, rotate signing keys and watch token
// issuances and refusals.
//
// Every action calls the same Go APIs as the registration API and the
// patientsfhir command ([auth.Registry], [routing.Directory],
// [auth.KeyManager]), so the rules (the two-secret limit, tenant
// validation, key lifecycle) live in one place.
//
// # Mounting
//
// patientsfhir.New mounts the portal at [DefaultBasePath] when
// patientsfhir.Config.Portal is set, filling [Config.Auth] and
// [Config.Activity] itself:
//
//	srv, err := patientsfhir.New(ctx, patientsfhir.Config{
//		// ...
//		Auth:   auth.Config{SealKey: seal, TenantValidator: dir.Check},
//		Portal: &portal.Config{Tenants: dir, Providers: []string{"sample"}, CredentialFile: "operator.sha256"},
//	})
//
// Standalone, build an [Activity] first and make it the auth server's
// Auditor, then call [New] with the server and mount the [Portal] at its
// BasePath (see the package example).
//
// # Security
//
// The operator signs in with one credential: [Config.Credential] from the
// configuration, or one generated at first start and printed once to
// [Config.Announce] (never to the log), its SHA-256 kept in
// [Config.CredentialFile]. The comparison is constant-time. Sign-in
// attempts are limited per client address (golang.org/x/time/rate, the
// address as the token endpoint sees it): an address over its budget waits,
// every other address signs in as usual, so nobody can lock the operator
// out.
//
// Sessions start at sign-in, live in memory on the node that created them
// (use sticky sessions behind a load balancer) and reach the browser only
// as a random identifier in a Secure, HttpOnly, SameSite=Strict "__Host-"
// cookie. They end after [Config.SessionIdle] without a request and after
// [Config.SessionMax] in any case; signing in always starts a new one.
// Every form carries a CSRF token bound to the session (the sign-in form's
// is bound to a nonce cookie, so it keeps no state on the server), compared
// in constant time, and cross-origin form posts are refused by
// [http.CrossOriginProtection] as well. Every page is sent with a strict
// Content-Security-Policy (no inline script or style, frame-ancestors
// 'none'), Cache-Control: no-store and Referrer-Policy: no-referrer. CSS
// and the one script (the copy button) are embedded in the binary.
//
// A client secret is shown once: the page after its creation shows it,
// with a copy button, its dates and hint; the session forgets it as that
// page is rendered. Secrets and tokens never reach a log, the activity
// page or any other page.
package portal
