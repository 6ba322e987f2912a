package rest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/rest"
)

func ExampleWriteError() {
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/dstu2/Patient/42", nil)
	// A backend's own error is never shown; wrap a sentinel to choose the status.
	err := fmt.Errorf("ehr lookup of patient 42: %w", fhir.ErrNotFound)
	rest.WriteError(rec, r, fhir.DSTU2, err)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// 404 application/json+fhir; charset=utf-8
	// {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"The resource was not found."}]}
}

func ExampleBuildSearchset() {
	p, _ := fhir.NewParser(fhir.STU3, []fhir.SearchParam{{Name: "patient", Type: fhir.TypeReference}}, nil)
	cursors, _ := rest.NewCursors([]byte("an example key of at least 32 bytes!"), 0)
	q, _ := p.Parse([]fhir.Pair{{Name: "patient", Value: "7"}, {Name: "_count", Value: "1"}}, false)
	page := rest.Page{
		Entries:    []rest.Entry{{Type: "Condition", ID: "c1", Resource: json.RawMessage(`{"resourceType":"Condition","id":"c1"}`)}},
		Total:      3, // a backend that pages says the total; the server never invents one
		TotalKnown: true,
		Next:       "backend-offset-1",
	}
	s, err := rest.BuildSearchset(context.Background(), q, page, rest.SearchOptions{
		Base: "https://fhir.example.com/stu3", Type: "Condition", Tenant: "tenant-1", Cursors: cursors,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	rest.WriteSearchset(rec, httptest.NewRequest("GET", "/stu3/Condition?patient=7&_count=1", nil), fhir.STU3, s)
	var b struct {
		Total int
		Link  []struct{ Relation, URL string }
		Entry []struct {
			FullURL string
			Search  struct{ Mode string }
		}
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &b)
	fmt.Println(b.Total, b.Link[0].URL)
	fmt.Println(b.Link[1].Relation, strings.HasPrefix(b.Link[1].URL, b.Link[0].URL+"&_cursor="))
	fmt.Println(b.Entry[0].FullURL, b.Entry[0].Search.Mode)
	// Output:
	// 3 https://fhir.example.com/stu3/Condition?patient=7&_count=1
	// next true
	// https://fhir.example.com/stu3/Condition/c1 match
}

func ExampleBatch() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stu3/Patient/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "1" {
			rest.WriteError(w, r, fhir.STU3, fhir.ErrNotFound)
			return
		}
		rest.WriteJSON(w, r, fhir.STU3, 200, []byte(`{"resourceType":"Patient","id":"1"}`))
	})
	// The batch handler sends its entries back through the same chain.
	mux.Handle("POST /stu3", &rest.Batch{Version: fhir.STU3, Handler: mux, Concurrency: 4})

	body := `{"resourceType":"Bundle","type":"batch","entry":[
		{"request":{"method":"GET","url":"Patient/1"}},
		{"request":{"method":"GET","url":"Patient/2"}}]}`
	r := httptest.NewRequest("POST", "/stu3", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/fhir+json")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, r)
	var br struct {
		Type  string
		Entry []struct {
			Response struct{ Status string }
		}
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &br)
	fmt.Println(rec.Code, br.Type)
	for _, e := range br.Entry {
		fmt.Println(e.Response.Status)
	}
	// Output:
	// 200 batch-response
	// 200 OK
	// 404 Not Found
}
