package auth_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
)

// The whole flow of the Patients app: register a client for a tenant, get
// a token with client_secret_post, call a protected FHIR route.
func Example() {
	ctx := context.Background()
	sealKey := make([]byte, 32)
	_, _ = rand.Read(sealKey) // in production: from configuration / a secret manager
	srv, err := auth.New(ctx, auth.Config{
		Issuer:   "https://fhir.example.com",
		Audience: "https://fhir.example.com/stu3",
		SealKey:  sealKey,
	}, auth.NewMemoryStore())
	if err != nil {
		panic(err)
	}
	const tenant = "C0FFEE00-1111-2222-3333-444455556666"
	client, secret, err := srv.Registry().CreateClient(ctx, auth.NewClient{ID: "patients-app", Tenants: []string{tenant}}, "operator")
	if err != nil {
		panic(err)
	}

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {client.ID}, "client_secret": {secret}, "scope": {tenant}}
	req := httptest.NewRequest("POST", "/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	var tok auth.TokenResponse
	_ = json.Unmarshal(rec.Body.Bytes(), &tok)
	fmt.Println(rec.Code, rec.Header().Get("Cache-Control"), tok.TokenType, tok.ExpiresIn, tok.Scope)

	fhir := srv.Verifier().Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.PrincipalFrom(r.Context())
		fmt.Fprintf(w, "client %s, tenant %s", p.ClientID, p.TenantID)
	}))
	req = httptest.NewRequest("GET", "/stu3/Patient", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	rec = httptest.NewRecorder()
	fhir.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)

	req.Header.Del("Authorization")
	rec = httptest.NewRecorder()
	fhir.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output:
	// 200 no-store Bearer 300 c0ffee00-1111-2222-3333-444455556666
	// 200 client patients-app, tenant c0ffee00-1111-2222-3333-444455556666
	// 401 Bearer realm="fhir"
}

// The quick start of docs/auth.md: the issuer, its discovery documents, the
// registration API and a protected FHIR route on one mux, a client for a
// tenant, then the Patients app's two requests (a token, a FHIR call).
func Example_quickStart() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // stops srv.Run
	sealKey := make([]byte, 32)
	_, _ = rand.Read(sealKey) // in production: from your secret manager
	store := auth.NewMemoryStore()
	const tenantGUID = "c0ffee00-1111-2222-3333-444455556666"
	fhirHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.PrincipalFrom(r.Context())
		fmt.Fprintf(w, "patients of %s for %s", p.TenantID, p.ClientID)
	})
	_, err := auth.New(ctx, auth.Config{Issuer: "https://fhir.example.com", Audience: "https://fhir.example.com/stu3", SealKey: sealKey[:16]}, store)
	fmt.Println(err)

	srv, err := auth.New(ctx, auth.Config{
		Issuer:        "https://fhir.example.com",       // iss; token URL defaults to Issuer+"/token"
		Audience:      "https://fhir.example.com/stu3",  // aud: your FHIR base URL
		SealKey:       sealKey,                          // 32 bytes, from your secret manager
		OperatorToken: os.Getenv("AUTH_OPERATOR_TOKEN"), // ≥ 32 chars; enables the operator API
	}, store)
	if err != nil {
		log.Fatal(err) // every bad field is named: "Config.SealKey: must satisfy len=32"
	}
	go srv.Run(ctx, time.Minute) // key schedule + deny-list purge (every node)

	mux := http.NewServeMux()
	mux.Handle("/", srv.Handler()) // /token, /.well-known/jwks.json, /.well-known/oauth-authorization-server
	mux.Handle("/stu3/.well-known/smart-configuration", srv.SMARTConfiguration())
	mux.Handle("/admin/", http.StripPrefix("/admin", srv.Admin()))
	mux.Handle("/stu3/", srv.Verifier().Middleware(fhirHandler)) // auth.PrincipalFrom(r.Context())

	client, secret, err := srv.Registry().CreateClient(ctx,
		auth.NewClient{ID: "patients-app", Tenants: []string{tenantGUID}}, "operator")
	// give client.ID and secret (shown only now) to the app
	if err != nil {
		log.Fatal(err)
	}

	serve := func(req *http.Request) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec
	}
	var smart auth.SMARTConfiguration
	_ = json.Unmarshal(serve(httptest.NewRequest("GET", "/stu3/.well-known/smart-configuration", nil)).Body.Bytes(), &smart)
	fmt.Println("token endpoint:", smart.TokenEndpoint, smart.TokenEndpoint == srv.Endpoints().Token)

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {client.ID}, "client_secret": {secret}, "scope": {tenantGUID}}
	req := httptest.NewRequest("POST", "/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok auth.TokenResponse
	_ = json.Unmarshal(serve(req).Body.Bytes(), &tok)
	req = httptest.NewRequest("GET", "/stu3/Patient", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	rec := serve(req)
	fmt.Println(rec.Code, rec.Body)

	// The app's own view of its secrets, with its credentials (self-service).
	req = httptest.NewRequest("GET", "/admin/self/secrets", nil)
	req.SetBasicAuth(client.ID, secret)
	rec = serve(req)
	var listed struct{ Secrets []json.RawMessage }
	_ = json.Unmarshal(rec.Body.Bytes(), &listed)
	fmt.Println(rec.Code, len(listed.Secrets), "secret")
	// Output:
	// auth: invalid configuration: Config.SealKey: must satisfy len=32
	// token endpoint: https://fhir.example.com/token true
	// 200 patients of c0ffee00-1111-2222-3333-444455556666 for patients-app
	// 200 1 secret
}

// Rotating a client secret the way the Patients app does: add a second
// secret, switch to it, revoke the first.
func ExampleRegistry_AddSecret() {
	ctx := context.Background()
	srv, _ := auth.New(ctx, auth.Config{
		Issuer: "https://fhir.example.com", Audience: "https://fhir.example.com/stu3", SealKey: make([]byte, 32),
	}, auth.NewMemoryStore())
	reg := srv.Registry()
	_, first, _ := reg.CreateClient(ctx, auth.NewClient{ID: "app"}, "operator")

	second, _, _ := reg.AddSecret(ctx, "app", 0, "app")
	_, _, err := reg.AddSecret(ctx, "app", 0, "app")
	fmt.Println("third secret:", err)

	firstID, _ := auth.ParseSecret(first)
	_ = reg.RevokeSecret(ctx, "app", firstID, "app")
	_, _, err = reg.Authenticate(ctx, "app", first)
	fmt.Println("old secret:", err)
	_, _, err = reg.Authenticate(ctx, "app", second)
	fmt.Println("new secret:", err)
	// Output:
	// third secret: auth: client already has the maximum number of active secrets
	// old secret: auth: invalid client credentials
	// new secret: <nil>
}

func ExampleCanonicalTenant() {
	fmt.Println(auth.CanonicalTenant("C0FFEE00-1111-2222-3333-444455556666"))
	fmt.Println(auth.CanonicalTenant("../../etc"))
	// Output:
	// c0ffee00-1111-2222-3333-444455556666 true
	//  false
}

// The URLs the capability statement's SMART oauth-uris extension needs come
// from the same Config as the handlers.
func ExampleConfig_Endpoints() {
	ep := auth.Config{Issuer: "https://fhir.example.com"}.Endpoints()
	fmt.Println(ep.Token)
	fmt.Println(ep.JWKS)
	fmt.Println(ep.Metadata)
	// Output:
	// https://fhir.example.com/token
	// https://fhir.example.com/.well-known/jwks.json
	// https://fhir.example.com/.well-known/oauth-authorization-server
}

// A verifier that knows which tenant a route serves: a token for another
// tenant is refused with 403 insufficient_scope before the backend runs.
func ExampleNewVerifier() {
	ctx := context.Background()
	srv, _ := auth.New(ctx, auth.Config{
		Issuer: "https://fhir.example.com", Audience: "https://fhir.example.com/stu3", SealKey: make([]byte, 32),
	}, auth.NewMemoryStore())
	const tenantA, tenantB = "c0ffee00-1111-2222-3333-444455556666", "0badf00d-aaaa-bbbb-cccc-ddddeeeeffff"
	_, secret, _ := srv.Registry().CreateClient(ctx, auth.NewClient{ID: "app", Tenants: []string{tenantA}}, "operator")

	vc := srv.VerifierConfig()
	vc.TenantFromRequest = func(r *http.Request) (string, bool) { return r.PathValue("tenant"), true }
	vc.ErrorBody = writeOperationOutcome // optional: FHIR OperationOutcome bodies
	v, err := auth.NewVerifier(vc)
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle("/{tenant}/Patient", v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.PrincipalFrom(r.Context())
		fmt.Fprint(w, "patients of ", p.TenantID)
	})))

	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}, "client_secret": {secret}, "scope": {tenantA}}
	req := httptest.NewRequest("POST", "/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	srv.Handler().ServeHTTP(rec, req)
	var tok auth.TokenResponse
	_ = json.Unmarshal(rec.Body.Bytes(), &tok)

	for _, tenant := range []string{tenantA, tenantB} {
		req := httptest.NewRequest("GET", "/"+tenant+"/Patient", nil)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Println(strings.TrimSpace(fmt.Sprint(rec.Code, " ", rec.Body.String(), " ", rec.Header().Get("WWW-Authenticate"))))
	}
	// Output:
	// 200 patients of c0ffee00-1111-2222-3333-444455556666
	// 403 {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden","diagnostics":"insufficient_scope"}]} Bearer realm="fhir", error="insufficient_scope", scope="0badf00d-aaaa-bbbb-cccc-ddddeeeeffff"
}

// writeOperationOutcome writes the verifier's errors as a FHIR server
// answers: an OperationOutcome whose issue code follows the status.
func writeOperationOutcome(w http.ResponseWriter, _ *http.Request, status int, code string) {
	issue := "security"
	if status == http.StatusForbidden {
		issue = "forbidden"
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":%q,"diagnostics":%q}]}`, issue, code)
}
