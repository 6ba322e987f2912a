package proxy

import (
	"bytes"
	"encoding/json"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/upstream"
)

// FuzzNextLink feeds arbitrary next links, as an upstream's Bundle may
// carry them, to the link check: an accepted link always resolves under
// the upstream's base, without dot segments, and its sealed token opens to
// the same link for the same type only.
func FuzzNextLink(f *testing.F) {
	for _, s := range []string{
		"https://ehr.example.org/api/FHIR/STU3/Patient?family=x&page=2",
		"HTTPS://EHR.example.org/api/FHIR/STU3?_getpages=abc",
		"http://hapi:8080/fhir/Observation?page=3",
		"/api/FHIR/STU3/Patient?page=2", "Patient?page=2", "../../x", "//evil/api/FHIR/STU3/P",
		"https://ehr.example.org/api/FHIR/STU3/a%2F..%2F..%2Fadmin", "https://ehr.example.org/api/FHIR/STU3/%2e%2e/x",
		"https://u:p@ehr.example.org/api/FHIR/STU3/P", "%zz", "?", "https://ehr.example.org/api/FHIR/STU3//admin",
	} {
		f.Add(s, "Observation")
	}
	c, err := New(upstream.Config{BaseURL: "https://ehr.example.org/api/FHIR/STU3", LinkBases: []string{"http://hapi:8080/fhir"}}, fhir.STU3)
	require.NoError(f, err)
	f.Cleanup(c.Close)
	base, err := url.Parse("https://ehr.example.org/api/FHIR/STU3")
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, link, typ string) {
		rel, reason := c.relative(link)
		if reason != "" {
			assert.Empty(t, rel)
			return
		}
		abs := c.resolve(rel)
		u, err := url.Parse(abs)
		require.NoError(t, err, "an accepted link resolves to an unparsable URL %q", abs)
		assert.Equal(t, base.Scheme, u.Scheme)
		assert.Equal(t, base.Host, u.Host)
		assert.True(t, u.EscapedPath() == base.EscapedPath() || strings.HasPrefix(u.EscapedPath(), base.EscapedPath()+"/"),
			"%q resolves outside the base: %q", link, abs)
		p, err := url.PathUnescape(u.EscapedPath())
		require.NoError(t, err)
		assert.Equal(t, path.Clean(p), p, "%q resolves to a path with dot segments: %q", link, abs)

		tok, err := c.cursors.seal(rel, typ)
		require.NoError(t, err)
		got, err := c.cursors.open(tok, typ)
		require.NoError(t, err)
		assert.Equal(t, rel, got)
		_, err = c.cursors.open(tok, typ+"x")
		assert.Error(t, err, "a cursor opened for another type")
	})
}

// FuzzUpstreamCursor feeds arbitrary tokens to the upstream-cursor opener
// (they come back from clients inside the server's cursors): only tokens
// sealed with the key open (to a link that was sealed: the seeds are sealed
// again in every fuzzing process, with other nonces), and everything else
// is the one 400 error.
func FuzzUpstreamCursor(f *testing.F) {
	c, err := newCursors([]byte("0123456789abcdef0123456789abcdef"), "https://ehr.example.org/fhir")
	require.NoError(f, err)
	sealed := map[string]bool{}
	for _, rel := range []string{"Observation?patient=p1&page=2", "?_getpages=x", strings.Repeat("Observation?a=", 100)} {
		tok, err := c.seal(rel, "Observation")
		require.NoError(f, err)
		sealed[rel] = true
		f.Add(tok, "Observation")
		f.Add(tok[:len(tok)-1], "Observation")
		f.Add(tok, "Patient")
	}
	f.Add("", "Observation")
	f.Add("AQ", "Observation")
	f.Add("Ag"+strings.Repeat("A", 22), "Observation")
	f.Fuzz(func(t *testing.T, tok, typ string) {
		rel, err := c.open(tok, typ)
		if err != nil {
			assert.Equal(t, errCursor, err)
			assert.Empty(t, rel)
			return
		}
		assert.True(t, sealed[rel], "a token that was never sealed opened: %q -> %q", tok, rel)
		assert.Equal(t, "Observation", typ, "a token opened for another type")
	})
}

// FuzzRewriteRefs feeds arbitrary upstream bodies to the reference
// rewriter: valid JSON stays valid JSON, only "reference" values change,
// and what changes is exactly the removal of the upstream base.
func FuzzRewriteRefs(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Observation","subject":{"reference":"https://ehr.example.org/fhir/Patient/p1"}}`,
		`{"subject":{"reference" : "https:\/\/ehr.example.org\/fhir\/Patient\/p1"},"note":"https://ehr.example.org/fhir/x"}`,
		`{"reference":"https://ehr.example.org/fhir/"}`, `["https://ehr.example.org/fhir/a"]`,
		`{"x":"\"reference\":\"https://ehr.example.org/fhir/P/1"}`,
	} {
		f.Add([]byte(s))
	}
	r := newRewriter([]string{"https://ehr.example.org/fhir", "http://hapi:8080/fhir/"})
	f.Fuzz(func(t *testing.T, body []byte) {
		in := bytes.Clone(body)
		out := r.apply(body)
		assert.Equal(t, in, body, "apply changed its input")
		if !json.Valid(in) {
			return
		}
		require.True(t, json.Valid(out), "valid JSON became invalid:\n%s\n%s", in, out)
		// Numbers stay their text (json.Number): 1E700 is valid JSON that
		// no float64 holds.
		a, b := decodeKeepingNumbers(t, in), decodeKeepingNumbers(t, out)
		sameButReferences(t, a, b, "")
	})
}

// decodeKeepingNumbers decodes valid JSON with its numbers as json.Number.
func decodeKeepingNumbers(t *testing.T, data []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	return v
}

// sameButReferences checks that b is a with some "reference" string values
// shortened by an upstream base prefix.
func sameButReferences(t *testing.T, a, b any, key string) {
	t.Helper()
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		require.True(t, ok)
		require.Len(t, bv, len(av))
		for k, v := range av {
			sameButReferences(t, v, bv[k], k)
		}
	case []any:
		bv, ok := b.([]any)
		require.True(t, ok)
		require.Len(t, bv, len(av))
		for i := range av {
			sameButReferences(t, av[i], bv[i], "")
		}
	case string:
		bs, ok := b.(string)
		require.True(t, ok)
		if av == bs {
			return
		}
		require.Equal(t, "reference", key, "a value that is not a reference changed: %q -> %q", av, bs)
		assert.True(t, av == "https://ehr.example.org/fhir/"+bs || av == "http://hapi:8080/fhir/"+bs, "%q -> %q", av, bs)
	default:
		assert.Equal(t, a, b)
	}
}
