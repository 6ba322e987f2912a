package capability_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"

	"github.com/patientsfhir/patientsfhir/capability"
	"github.com/patientsfhir/patientsfhir/fhir"
)

func Example() {
	h, err := capability.Build(capability.Config{
		Version: fhir.STU3,
		BaseURL: "https://fhir.example.com/stu3",
		Resources: []capability.Resource{{
			Type:         "Patient",
			Interactions: []capability.Interaction{capability.Read, capability.SearchType},
			SearchParams: []fhir.SearchParam{
				fhir.ParamID,
				{Name: "family", Type: fhir.TypeString, Modifiers: []fhir.Modifier{fhir.ModContains}},
			},
		}},
		Batch:    true,
		Security: &capability.Security{TokenURL: "https://fhir.example.com/token"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/stu3/metadata", nil))
	var st struct {
		ResourceType, FHIRVersion string
		Rest                      []struct {
			Interaction []struct{ Code string }
			Security    struct {
				Extension []struct {
					Extension []struct{ URL, ValueURI string }
				}
			}
		}
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &st)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(st.ResourceType, st.FHIRVersion, st.Rest[0].Interaction[0].Code)
	fmt.Println(st.Rest[0].Security.Extension[0].Extension[0].URL, st.Rest[0].Security.Extension[0].Extension[0].ValueURI)

	// A client that has the statement already gets 304.
	r := httptest.NewRequest("GET", "/stu3/metadata", nil)
	r.Header.Set("If-None-Match", h.ETag())
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Println(rec.Code)
	// Output:
	// 200 application/fhir+json; charset=utf-8
	// CapabilityStatement 3.0.1 batch
	// token https://fhir.example.com/token
	// 304
}
