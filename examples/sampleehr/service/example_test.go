package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/service"
)

// Open seeds the data directory on first start and returns the whole
// service as one http.Handler, with the credentials of every tenant's
// demo client and designated patient.
func Example() {
	dir, _ := os.MkdirTemp("", "sampleehr-example-")
	defer os.RemoveAll(dir)
	ts := httptest.NewUnstartedServer(nil)
	ts.Start()
	defer ts.Close()
	svc, err := service.Open(context.Background(), service.Config{Dir: dir, PublicURL: ts.URL, Patients: 20,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer svc.Close()
	ts.Config.Handler = svc
	for _, tc := range svc.Credentials().Tenants {
		p := tc.Patient
		fmt.Printf("%s (%s): %s %s %s, born %s\n", tc.Tenant, tc.Name, p.ID, p.Given, p.Family, p.BirthDate)
	}
	fmt.Println(len(svc.Start().Seeded), "tenants seeded,", len(svc.Start().NewClients), "clients created")
	// Output:
	// b713e65a-b28c-4de1-b539-eac477f9df03 (Wingtip Memorial Hospital): pat-1 Marisol Quennell, born 1961-10-27
	// 8e814bcf-cf62-4da9-925f-4b7ce456ebe6 (Woodgrove Medical Center): pat-1 Bartholomew Marchetti, born 1960-02-04
	// 2 tenants seeded, 2 clients created
}
