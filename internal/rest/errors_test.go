package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
)

func TestWriteError(t *testing.T) {
	for _, v := range []*fhir.Version{fhir.DSTU2, fhir.STU3} {
		t.Run(v.Name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/Patient/1?_pretty=true", nil)
			rec.Header().Set("ETag", `W/"1"`)
			WriteError(rec, req, v, fmt.Errorf("lookup: %w", fhir.ErrNotFound))
			if rec.Code != http.StatusNotFound {
				t.Fatalf("status %d", rec.Code)
			}
			if got := rec.Header().Get("Content-Type"); got != v.MIMEType+"; charset=utf-8" {
				t.Errorf("Content-Type %q", got)
			}
			if rec.Header().Get("ETag") != "" {
				t.Error("an error must not carry the ETag of a resource")
			}
			if !strings.Contains(rec.Body.String(), "\n  ") {
				t.Error("_pretty=true must indent")
			}
			var oo struct {
				ResourceType string
				Issue        []struct{ Severity, Code, Diagnostics string }
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &oo); err != nil {
				t.Fatal(err)
			}
			if oo.ResourceType != "OperationOutcome" || len(oo.Issue) != 1 || oo.Issue[0].Code != "not-found" || oo.Issue[0].Severity != "error" {
				t.Errorf("outcome %+v", oo)
			}
		})
	}
}
