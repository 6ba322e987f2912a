package rest

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScanResource(t *testing.T) {
	obs := `{"resourceType":"Observation","id":"obs-1","status":"final","subject":{"display":"x","reference":"Patient/pat-1"},` +
		`"valueQuantity":{"value":-1.5e3},"component":[{"code":{"text":"}{"}}]}`
	for _, c := range []struct {
		in   string
		want ResourceFacts
		ok   bool
	}{
		{obs, ResourceFacts{Type: "Observation", ID: "obs-1", Owner: "Patient/pat-1"}, true},
		{" \n" + obs + "\t", ResourceFacts{Type: "Observation", ID: "obs-1", Owner: "Patient/pat-1"}, true},
		{`{}`, ResourceFacts{}, true},
		{`{"subject":{}}`, ResourceFacts{}, true},
		{`{"resourceType":"Patient","id":"p\u002d1"}`, ResourceFacts{Type: "Patient", ID: "p-1"}, true},
		{`{"resourceType":"Patient","\u0069d":"p1"}`, ResourceFacts{Type: "Patient", ID: "p1"}, true},
		{`{"nested":{"id":"no","resourceType":"no"},"id":"yes"}`, ResourceFacts{ID: "yes"}, true},
		// not one object
		{``, ResourceFacts{}, false},
		{`[]`, ResourceFacts{}, false},
		{`"x"`, ResourceFacts{}, false},
		{obs + `{}`, ResourceFacts{}, false},
		{obs[:len(obs)-1], ResourceFacts{}, false},
		{`{"id":"a",}`, ResourceFacts{}, false},
		// the members checked must be strings, once each
		{`{"id":1}`, ResourceFacts{}, false},
		{`{"resourceType":null}`, ResourceFacts{}, false},
		{`{"id":"a","id":"b"}`, ResourceFacts{}, false},
		{`{"id":"a","\u0069d":"b"}`, ResourceFacts{}, false},
		{`{"subject":"Patient/1"}`, ResourceFacts{}, false},
		{`{"subject":{"reference":1}}`, ResourceFacts{}, false},
		{`{"subject":{"reference":"Patient/1","reference":"Patient/2"}}`, ResourceFacts{}, false},
		{`{"subject":{"reference":"Patient/1"},"subject":{"reference":"Patient/2"}}`, ResourceFacts{}, false},
		{`{"id":"a\x"}`, ResourceFacts{}, false},
	} {
		got, ok := ScanResource([]byte(c.in), "subject")
		assert.Equal(t, c.ok, ok, "%s", c.in)
		if c.ok {
			assert.Equal(t, c.want, got, "%s", c.in)
		}
		checkScanResource(t, []byte(c.in), "subject")
	}
}

// oracleScan is ScanResource written with encoding/json's decoder.
func oracleScan(b []byte, ownerKey string) (ResourceFacts, bool) {
	var f ResourceFacts
	if !json.Valid(b) {
		return f, false
	}
	members := func(b []byte, each func(key string, raw json.RawMessage) bool) bool {
		dec := json.NewDecoder(bytes.NewReader(b))
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			return false
		}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return false
			}
			var raw json.RawMessage
			if dec.Decode(&raw) != nil || !each(k.(string), raw) {
				return false
			}
		}
		return true
	}
	str := func(raw json.RawMessage, dst *string) bool {
		return len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, dst) == nil
	}
	seen := map[string]bool{}
	return f, members(b, func(k string, raw json.RawMessage) bool {
		switch {
		case k == "resourceType" || k == "id" || k == ownerKey:
			if seen[k] {
				return false
			}
			seen[k] = true
		default:
			return true
		}
		switch k {
		case "resourceType":
			return str(raw, &f.Type)
		case "id":
			return str(raw, &f.ID)
		}
		refs := 0
		return members(raw, func(k string, raw json.RawMessage) bool {
			if k != "reference" {
				return true
			}
			refs++
			return refs == 1 && str(raw, &f.Owner)
		})
	})
}

// checkScanResource holds ScanResource to oracleScan (for valid UTF-8:
// encoding/json replaces invalid bytes in the strings it returns).
func checkScanResource(t *testing.T, b []byte, ownerKey string) {
	got, ok := ScanResource(b, ownerKey)
	want, wantOK := oracleScan(b, ownerKey)
	if !utf8.Valid(b) {
		if ok {
			require.True(t, json.Valid(b), "ScanResource(%q) accepts only valid JSON", b)
		}
		return
	}
	require.Equal(t, wantOK, ok, "ScanResource(%q), against encoding/json", b)
	if ok {
		require.Equal(t, want, got, "ScanResource(%q), against encoding/json", b)
	}
}
