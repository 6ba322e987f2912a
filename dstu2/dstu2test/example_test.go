package dstu2test_test

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2test"
)

// In a test, call dstu2test.Run(t, handler, data, opts); Check does the same
// outside a test. Here the server is the in-memory backend with the
// fixtures; yours is your backend.
func ExampleCheck() {
	backend, err := dstu2mem.NewWithFixtures()
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := dstu2.NewHandler(dstu2.Config{Backend: backend, BasePath: "/dstu2", Profile: dstu2.PatientsApp(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println(err)
		return
	}
	failures, _ := dstu2test.Check(h, dstu2test.TestData{
		PatientID: "pat-1", Family: "Chau", Given: "Hugh", BirthDate: "1957-06-05", Gender: "male", MRN: "1234567",
	}, dstu2test.Options{Base: "/dstu2"})
	fmt.Println(len(failures), "failures")
	// Output:
	// 0 failures
}
