package fhir_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/patientsfhir/patientsfhir/fhir"
)

func ExampleParser() {
	p, err := fhir.NewParser(fhir.STU3, []fhir.SearchParam{
		fhir.ParamID,
		{Name: "family", Type: fhir.TypeString, Modifiers: []fhir.Modifier{fhir.ModContains}},
		{Name: "birthdate", Type: fhir.TypeDate},
		{Name: "identifier", Type: fhir.TypeToken},
	}, &fhir.ParserOptions{DefaultCount: 20, MaxCount: 100})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The Patients app searches with POST and a form body.
	r := httptest.NewRequest("POST", "/stu3/Patient/_search?_count=500",
		strings.NewReader("family:contains=chau&birthdate=1957&identifier=1234567&unknown=x"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	q, err := p.ParseRequest(r)
	if err != nil {
		fmt.Println(err)
		return
	}
	bd := q.Dates("birthdate")[0][0]
	fmt.Println(q.Strings("family")[0][0].Value, q.Strings("family")[0][0].Modifier)
	fmt.Println(bd.Start.Format("2006-01-02"), "to", bd.End.Format("2006-01-02"))
	fmt.Println(q.Tokens("identifier")[0][0].Code, q.Count, q.CountClamped, q.Ignored)
	fmt.Println(q.Encode())

	// With Prefer: handling=strict the unknown parameter is refused.
	r = httptest.NewRequest("GET", "/stu3/Patient?unknown=x", nil)
	r.Header.Set("Prefer", "handling=strict")
	_, err = p.ParseRequest(r)
	fmt.Println(errors.Is(err, fhir.ErrInvalidSearch), fhir.StatusOf(err))
	// Output:
	// chau contains
	// 1957-01-01 to 1958-01-01
	// 1234567 100 true [unknown]
	// birthdate=1957&family%3Acontains=chau&identifier=1234567&_count=100
	// true 400
}

func ExampleWriteError() {
	rec := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/dstu2/Patient/42", nil)
	// A backend's own error is never shown; wrap a sentinel to choose the status.
	err := fmt.Errorf("ehr lookup of patient 42: %w", fhir.ErrNotFound)
	fhir.WriteError(rec, r, fhir.DSTU2, err)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// 404 application/json+fhir; charset=utf-8
	// {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"The resource was not found."}]}
}

func ExampleBuildSearchset() {
	p, _ := fhir.NewParser(fhir.STU3, []fhir.SearchParam{{Name: "patient", Type: fhir.TypeReference}}, nil)
	cursors, _ := fhir.NewCursors([]byte("an example key of at least 32 bytes!"), 0)
	q, _ := p.Parse([]fhir.Pair{{Name: "patient", Value: "7"}, {Name: "_count", Value: "1"}}, false)
	page := fhir.Page{
		Entries: []fhir.Entry{{Type: "Condition", ID: "c1", Resource: json.RawMessage(`{"resourceType":"Condition","id":"c1"}`)}},
		Next:    "backend-offset-1", // the backend knows there is more, not how much
	}
	s, err := fhir.BuildSearchset(context.Background(), q, page, fhir.SearchOptions{
		Base: "https://fhir.example.com/stu3", Type: "Condition", Tenant: "tenant-1", Cursors: cursors,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	fhir.WriteSearchset(rec, httptest.NewRequest("GET", "/stu3/Condition?patient=7&_count=1", nil), fhir.STU3, s)
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
	// 1 https://fhir.example.com/stu3/Condition?patient=7&_count=1
	// next true
	// https://fhir.example.com/stu3/Condition/c1 match
}

func ExampleBatch() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stu3/Patient/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") != "1" {
			fhir.WriteError(w, r, fhir.STU3, fhir.ErrNotFound)
			return
		}
		fhir.WriteJSON(w, r, fhir.STU3, 200, []byte(`{"resourceType":"Patient","id":"1"}`))
	})
	// The batch handler sends its entries back through the same chain.
	mux.Handle("POST /stu3", &fhir.Batch{Version: fhir.STU3, Handler: mux, Concurrency: 4})

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

func ExampleSafe() {
	err := fhir.Safe(errors.New("connection refused: 10.1.2.3:5432"), "The EHR is offline for maintenance.")
	o := fhir.Classify(err)
	fmt.Println(o.Status, o.Code, o.Diagnostics)
	// Output:
	// 500 exception The EHR is offline for maintenance.
}
