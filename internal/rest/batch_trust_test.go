package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawResource is a resource that is not a generated model.
type rawResource string

func (r rawResource) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// TestBatchSplicesOnlyWholeTrustedBodies: a body written whole by this
// package's writers is spliced as is; anything a handler wrote around it,
// or wrote through its own wrapper, is checked and refused when invalid.
func TestBatchSplicesOnlyWholeTrustedBodies(t *testing.T) {
	v := fhir.STU3
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fhir/Patient/{id}", func(w http.ResponseWriter, r *http.Request) {
		switch r.PathValue("id") {
		case "whole":
			WriteResource(w, r, v, 200, rawResource(`{"resourceType":"Patient","id":"whole"}`))
		case "prefixed": // stray bytes, then a trusted body: not one JSON value
			_, _ = w.Write([]byte("x"))
			WriteResource(w, r, v, 200, rawResource(`{"resourceType":"Patient","id":"prefixed"}`))
		case "suffixed":
			WriteResource(w, r, v, 200, rawResource(`{"resourceType":"Patient","id":"suffixed"}`))
			_, _ = w.Write([]byte(`{"extra":1}`))
		case "twice":
			WriteResource(w, r, v, 200, rawResource(`{"resourceType":"Patient","id":"a"}`))
			WriteResource(w, r, v, 200, rawResource(`{"resourceType":"Patient","id":"b"}`))
		case "wrapped": // a middleware's writer: the recorder cannot trust it
			WriteJSON(struct{ http.ResponseWriter }{w}, r, v, 200, []byte(`{"resourceType":"Patient","id":"wrapped"`))
		case "wrapped-ok":
			WriteResource(struct{ http.ResponseWriter }{w}, r, v, 200, rawResource(`{"resourceType":"Patient","id":"wrapped-ok"}`))
		case "invalid":
			WriteResource(w, r, v, 200, rawResource(`{"resourceType":"Patient","id":`))
		}
	})
	b := &Batch{Version: v, Handler: mux}
	mux.Handle("POST /fhir", b)
	rec := postBatch(t, mux, batchOf(get("Patient/whole"), get("Patient/prefixed"), get("Patient/suffixed"),
		get("Patient/twice"), get("Patient/wrapped"), get("Patient/wrapped-ok"), get("Patient/invalid")), nil)
	require.Equal(t, 200, rec.Code, "%s", rec.Body)
	var br batchResponse
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &br))
	want := []struct{ status, id string }{
		{"200 OK", "whole"}, {"500 Internal Server Error", ""}, {"500 Internal Server Error", ""},
		{"500 Internal Server Error", ""}, {"500 Internal Server Error", ""}, {"200 OK", "wrapped-ok"},
		{"500 Internal Server Error", ""},
	}
	require.Len(t, br.Entry, len(want), "%s", rec.Body)
	for i, w := range want {
		e := br.Entry[i]
		assert.Equal(t, w.status, e.Response.Status, "entry %d", i)
		if w.id != "" {
			assert.Equal(t, w.id, e.Resource["id"], "entry %d", i)
		} else {
			assert.Equal(t, "OperationOutcome", e.Response.Outcome["resourceType"], "entry %d", i)
		}
	}
	assert.NotContains(t, rec.Body.String(), `"extra"`, "stray bytes spliced into the batch-response")
}

// TestBatchPooledBuffersNotShared runs batches of searchsets concurrently:
// the entries' pooled buffers go back to the pool after each batch, and no
// response may carry another's bytes.
func TestBatchPooledBuffersNotShared(t *testing.T) {
	v := fhir.STU3
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fhir/Patient", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("_id")
		res := rawResource(`{"resourceType":"Patient","id":"` + id + `","text":"` + strings.Repeat(id, 500) + `"}`)
		WriteSearchset(w, r, v, &Searchset{Total: 1, Self: "http://x/fhir/Patient?_id=" + id, Base: "http://x/fhir",
			Entries: []Entry{{Type: "Patient", ID: id, Resource: res}}})
	})
	b := &Batch{Version: v, Handler: mux}
	mux.Handle("POST /fhir", b)
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			for n := range 15 {
				id := fmt.Sprintf("g%dn%d", g, n)
				rec := postBatch(t, mux, batchOf(get("Patient?_id="+id+"a"), get("Patient?_id="+id+"b")), nil)
				var br struct {
					Entry []struct {
						Resource struct {
							Entry []struct{ FullURL string }
						}
					}
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &br); err != nil || len(br.Entry) != 2 {
					done <- fmt.Errorf("%s: %v %s", id, err, rec.Body)
					return
				}
				for i, suffix := range []string{"a", "b"} {
					if e := br.Entry[i].Resource.Entry; len(e) != 1 || e[0].FullURL != "http://x/fhir/Patient/"+id+suffix {
						done <- fmt.Errorf("%s entry %d: %+v", id, i, e)
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		require.NoError(t, <-done)
	}
}
