package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteError(t *testing.T) {
	for _, v := range []*fhir.Version{fhir.DSTU2, fhir.STU3} {
		t.Run(v.Name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/Patient/1?_pretty=true", nil)
			rec.Header().Set("ETag", `W/"1"`)
			WriteError(rec, req, v, fmt.Errorf("lookup: %w", fhir.ErrNotFound))
			require.Equal(t, http.StatusNotFound, rec.Code)
			assert.Equal(t, v.MIMEType+"; charset=utf-8", rec.Header().Get("Content-Type"))
			assert.Empty(t, rec.Header().Get("ETag"), "an error carries no ETag of a resource")
			assert.Contains(t, rec.Body.String(), "\n  ", "_pretty=true indents")
			var oo struct {
				ResourceType string
				Issue        []struct{ Severity, Code, Diagnostics string }
			}
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &oo))
			assert.Equal(t, "OperationOutcome", oo.ResourceType)
			require.Len(t, oo.Issue, 1)
			assert.Equal(t, "not-found", oo.Issue[0].Code)
			assert.Equal(t, "error", oo.Issue[0].Severity)
		})
	}
}
