package stu3proxy_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"

	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/patientsfhir/patientsfhir/stu3/stu3proxy"
	"github.com/patientsfhir/patientsfhir/upstream"
)

// A server whose one backend is another STU3 server: here the module's own
// in-memory server, started as the upstream.
func ExampleNew() {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	mem, _ := stu3mem.NewWithFixtures()
	upstreamHandler, _ := stu3.NewHandler(stu3.Config{Backend: mem, BasePath: "/stu3", Logger: quiet})
	up := httptest.NewServer(upstreamHandler)
	defer up.Close()

	b, err := stu3proxy.New(upstream.Config{BaseURL: up.URL + "/stu3" /* Auth: upstream.Bearer{Token: ...} */})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	h, err := stu3.NewHandler(stu3.Config{Backend: b, BasePath: "/stu3", Profile: stu3.PatientsApp(), Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/stu3/Patient?given=Hugh&family=Chau", nil))
	var bundle stu3.Bundle
	if err := stu3.Unmarshal(rec.Body.Bytes(), &bundle); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec.Code, *bundle.Total, bundle.Entry[0].FullURL)
	// Output:
	// 200 1 http://example.com/stu3/Patient/pat-1
}

// One upstream, one backend: a provider's server behind OAuth 2.0 client
// credentials. Nothing is sent before a request needs the upstream (the
// first one fetches a token, kept until it expires and renewed once on a
// 401), and the configuration prints without its secret.
func ExampleNew_clientCredentials() {
	cfg := upstream.Config{
		BaseURL: "https://fhir.hospital-a.org/api/FHIR/STU3",
		Auth: upstream.ClientCredentials{TokenURL: "https://fhir.hospital-a.org/oauth2/token",
			ClientID: "patients-proxy", ClientSecret: os.Getenv("HOSPITAL_A_SECRET"), Scopes: []string{"system/*.read"}},
	}
	b, err := stu3proxy.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	h, err := stu3.NewHandler(stu3.Config{Backend: b, Profile: stu3.PatientsApp()})
	if err != nil {
		fmt.Println(err)
		return
	}

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metadata", nil)) // this server's own statement
	fmt.Println(rec.Code)
	fmt.Println(cfg)
	// Output:
	// 200
	// upstream.Config{Name: "", BaseURL: "https://fhir.hospital-a.org/api/FHIR/STU3", Auth: upstream.ClientCredentials{TokenURL: "https://fhir.hospital-a.org/oauth2/token", ClientID: "patients-proxy", ClientSecret: [redacted], Scopes: ["system/*.read"]}}
}
