package patientsfhir_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// Under the Patients-app profile, Patient name is served in both versions
// (with the app's contains reading), and a Patient search whose every
// parameter is ignored is refused instead of listing every patient.
func TestPatientSearchNeverListsEveryoneByAccident(t *testing.T) {
	b3, b2 := backends(t)
	srv, err := patientsfhir.New(context.Background(), patientsfhir.Config{
		PublicURL: "http://fhir.example", Open: true, Logger: quiet(),
		STU3:  &stu3.Config{Backend: b3, Profile: stu3.PatientsApp()},
		DSTU2: &dstu2.Config{Backend: b2, Profile: dstu2.PatientsApp()},
	})
	require.NoError(t, err)
	get := func(target string) (int, map[string]any) {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
		var m map[string]any
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &m), w.Body.String())
		return w.Code, m
	}
	for _, base := range []string{"/stu3", "/dstu2"} {
		st, all := get(base + "/Patient")
		require.Equal(t, 200, st)
		everyone := all["total"].(float64)
		require.Greater(t, everyone, 2.0)

		st, b := get(base + "/Patient?name=kafo")
		require.Equal(t, 200, st, base)
		assert.Equal(t, 1.0, b["total"], "%s name=kafo (contains) finds Ruthanne Okafor only", base)

		st, b = get(base + "/Patient?nmae=cam&foo=bar")
		assert.Equal(t, 400, st, "%s: every parameter ignored", base)
		assert.Equal(t, "OperationOutcome", b["resourceType"])
		assert.Contains(t, b["issue"].([]any)[0].(map[string]any)["diagnostics"], "nmae")

		st, b = get(base + "/Patient?family=chau&foo=bar")
		require.Equal(t, 200, st, "%s: a known filter with an ignored one is served (lenient)", base)
		assert.Less(t, b["total"].(float64), everyone)
	}
}
