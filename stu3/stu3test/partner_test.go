package stu3test_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/patientsfhir/patientsfhir/stu3/stu3test"
)

// The test a partner writes (docs/kits.md): the kit against the server's
// handler, every request of the app in every variant. Here myEHR is the
// in-memory backend with the fixtures and the handler checks no token;
// yours are your backend and a token your server accepts.
func TestPatientsAppContract(t *testing.T) {
	myEHR, err := stu3mem.NewWithFixtures()
	require.NoError(t, err)
	testToken := "a-token-your-server-accepts"

	h, err := stu3.NewHandler(stu3.Config{Backend: myEHR, BasePath: "/stu3", Profile: stu3.PatientsApp(),
		Security: &capability.Security{TokenURL: "https://fhir.example.com/token"}}) // the statement publishes the token URL (metadata.oauth)
	require.NoError(t, err)
	stu3test.Run(t, h, stu3test.TestData{
		PatientID: "pat-1", // a patient with vitals, encounters, conditions, allergies, medications, coverage
		Family:    "Chau",  // that patient's family name (≥ 3 letters)
		Given:     "Hugh",  // one of the given names (≥ 3 letters)
		BirthDate: "1957-06-05",
		Gender:    "male",
		MRN:       "1234567",                         // the MR-typed identifier value
		MRNSystem: "http://hospital.example.org/mrn", // optional
	}, stu3test.Options{
		Base:      "/stu3",
		Authorize: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+testToken) },
	})
}
