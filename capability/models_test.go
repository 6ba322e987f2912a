package capability_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"

	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// model is what the test needs of a generated resource.
type model interface {
	ResourceType() string
	Validate() error
}

// TestStatementDecodesWithGeneratedModels reads the served statement back with the
// generated models' strict decoder (an unknown element or a wrong JSON type fails) and
// checks it with their Validate, so the capability package's own structs cannot drift
// from the HL7 definitions.
func TestStatementDecodesWithGeneratedModels(t *testing.T) {
	for _, c := range []struct {
		v      *fhir.Version
		decode func([]byte) (model, error)
	}{
		{fhir.DSTU2, func(b []byte) (model, error) { return dstu2.UnmarshalResource(b) }},
		{fhir.STU3, func(b []byte) (model, error) { return stu3.UnmarshalResource(b) }},
	} {
		t.Run(c.v.Name, func(t *testing.T) {
			h, err := capability.Build(config(c.v))
			require.NoError(t, err)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/metadata", nil))
			require.Equal(t, 200, rec.Code)
			res, err := c.decode(rec.Body.Bytes())
			require.NoError(t, err, "strict decode")
			assert.Equal(t, c.v.CapabilityResource, res.ResourceType())
			assert.NoError(t, res.Validate())
			var d doc
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &d))
			assert.Equal(t, c.v.FHIRVersion, d.FHIRVersion)
			require.Len(t, d.Rest, 1)
			assert.Len(t, d.Rest[0].Resource, len(config(c.v).Resources))
		})
	}
}
