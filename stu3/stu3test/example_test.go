package stu3test_test

import (
	"fmt"
	"io"
	"log/slog"

	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/patientsfhir/patientsfhir/stu3/stu3test"
)

// In a test, call stu3test.Run(t, handler, data, opts); Check does the same
// outside a test. Here the server is the in-memory backend with the
// fixtures; yours is your backend.
func ExampleCheck() {
	backend, err := stu3mem.NewWithFixtures()
	if err != nil {
		fmt.Println(err)
		return
	}
	h, err := stu3.NewHandler(stu3.Config{Backend: backend, BasePath: "/stu3", Profile: stu3.PatientsApp(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println(err)
		return
	}
	failures, _ := stu3test.Check(h, stu3test.TestData{
		PatientID: "pat-1", Family: "Chau", Given: "Hugh", BirthDate: "1957-06-05", Gender: "male", MRN: "1234567",
	}, stu3test.Options{Base: "/stu3"})
	fmt.Println(len(failures), "failures")
	// Output:
	// 0 failures
}
