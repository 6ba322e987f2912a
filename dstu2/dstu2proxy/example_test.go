package dstu2proxy_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2proxy"
	"github.com/patientsfhir/patientsfhir/upstream"
)

// A server whose one backend is another DSTU2 server: here the module's own
// in-memory server, started as the upstream.
func ExampleNew() {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	mem, _ := dstu2mem.NewWithFixtures()
	upstreamHandler, _ := dstu2.NewHandler(dstu2.Config{Backend: mem, BasePath: "/dstu2", Logger: quiet})
	up := httptest.NewServer(upstreamHandler)
	defer up.Close()

	b, err := dstu2proxy.New(upstream.Config{BaseURL: up.URL + "/dstu2" /* Auth: upstream.Bearer{Token: ...} */})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()
	h, err := dstu2.NewHandler(dstu2.Config{Backend: b, BasePath: "/dstu2", Profile: dstu2.PatientsApp(), Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/dstu2/Patient?given=Hugh&family=Chau", nil))
	var bundle dstu2.Bundle
	if err := dstu2.Unmarshal(rec.Body.Bytes(), &bundle); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rec.Code, *bundle.Total, bundle.Entry[0].FullURL)
	// Output:
	// 200 1 http://example.com/dstu2/Patient/pat-1
}
