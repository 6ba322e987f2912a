package patientsfhir_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

// One call builds the whole service: token endpoint, discovery documents
// and an STU3 server at /stu3. The client gets a token with the tenant as
// scope, exactly as the Patients app does, and searches.
func Example() {
	ctx := context.Background()
	ehr, err := stu3mem.NewWithFixtures() // your EHR: any value implementing stu3's interfaces
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(nil) // in production: your http.Server at PublicURL
	defer ts.Close()

	sealKey := make([]byte, 32) // in production: a stored secret, the same on every node
	_, _ = rand.Read(sealKey)
	srv, err := patientsfhir.New(ctx, patientsfhir.Config{
		PublicURL: ts.URL,
		Auth:      auth.Config{SealKey: sealKey, Insecure: true}, // Insecure: http for this test server only
		Store:     auth.NewMemoryStore(),                         // auth/sqlstore for durability
		STU3:      &stu3.Config{Backend: ehr, Profile: stu3.PatientsApp()},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err)
	}
	ts.Config.Handler = srv

	tenant := "11111111-2222-4333-8444-555555555555"
	_, secret, err := srv.Auth().Registry().CreateClient(ctx, auth.NewClient{ID: "patients-app", Tenants: []string{tenant}}, "example")
	if err != nil {
		panic(err)
	}

	res, _ := http.Get(ts.URL + "/stu3/Patient?family=chau&given=hugh")
	res.Body.Close()
	fmt.Println("without a token:", res.StatusCode)

	cc := clientcredentials.Config{ClientID: "patients-app", ClientSecret: secret,
		TokenURL: srv.Auth().Endpoints().Token, Scopes: []string{tenant}}
	res, err = cc.Client(ctx).Get(ts.URL + "/stu3/Patient?family=chau&given=hugh")
	if err != nil {
		panic(err)
	}
	defer res.Body.Close()
	var bundle struct {
		Total int `json:"total"`
		Entry []struct {
			Resource struct{ ID string } `json:"resource"`
		} `json:"entry"`
	}
	_ = json.NewDecoder(res.Body).Decode(&bundle)
	fmt.Println("with a token:", res.StatusCode, "total", bundle.Total, "first", bundle.Entry[0].Resource.ID)
	// Output:
	// without a token: 401
	// with a token: 200 total 1 first pat-1
}
