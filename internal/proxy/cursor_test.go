package proxy

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/upstream"
)

func TestNextLinksMustStayUnderTheBase(t *testing.T) {
	c := newTestClient(t, fhir.STU3, upstream.Config{BaseURL: "https://ehr.example.org/api/FHIR/STU3",
		LinkBases: []string{"http://hapi:8080/fhir"}})
	tests := []struct{ link, rel, reason string }{
		{"https://ehr.example.org/api/FHIR/STU3/Patient?family=x&page=2", "Patient?family=x&page=2", ""},
		{"HTTPS://EHR.example.org/api/FHIR/STU3/Patient?page=2", "Patient?page=2", ""},
		{"https://ehr.example.org/api/FHIR/STU3?_getpages=abc&_getpagesoffset=20", "?_getpages=abc&_getpagesoffset=20", ""},
		{"http://hapi:8080/fhir/Observation?page=3", "Observation?page=3", ""},
		{"Patient?page=2", "Patient?page=2", ""},
		{"/api/FHIR/STU3/Patient?page=2", "Patient?page=2", ""},
		{"https://ehr.example.org/api/FHIR/STU3/Patient%20X?q=%2F", "Patient%20X?q=%2F", ""},
		{"https://evil.example.com/api/FHIR/STU3/Patient?page=2", "", "points outside the upstream base"},
		{"//evil.example.com/api/FHIR/STU3/Patient?page=2", "", "points outside the upstream base"},
		{"http://ehr.example.org/api/FHIR/STU3/Patient?page=2", "", "points outside the upstream base"},
		{"https://ehr.example.org:8443/api/FHIR/STU3/Patient", "", "points outside the upstream base"},
		{"https://ehr.example.org/api/FHIR/STU3x/Patient", "", "points outside the upstream base"},
		{"https://ehr.example.org/other/Patient?page=2", "", "points outside the upstream base"},
		{"/other/Patient", "", "points outside the upstream base"},
		{"../../other/Patient", "", "has dot segments"},
		{"https://ehr.example.org/api/FHIR/STU3/../../admin", "", "has dot segments"},
		{"https://ehr.example.org/api/FHIR/STU3/a%2F..%2F..%2Fadmin", "", "has dot segments"},
		{"https://user:pw@ehr.example.org/api/FHIR/STU3/Patient", "", "is not a plain URL"},
		{"mailto:x@example.org", "", "is not a plain URL"},
		{"https://ehr.example.org/api/FHIR/STU3", "", "is the base itself"},
		{"%zz", "", "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.link, func(t *testing.T) {
			rel, reason := c.relative(tt.link)
			assert.Equal(t, tt.reason, reason)
			assert.Equal(t, tt.rel, rel)
			if reason == "" {
				assert.True(t, strings.HasPrefix(c.resolve(rel), "https://ehr.example.org/api/FHIR/STU3/") ||
					strings.HasPrefix(c.resolve(rel), "https://ehr.example.org/api/FHIR/STU3?"), c.resolve(rel))
			}
		})
	}
}

func TestCursorTokens(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	c, err := newCursors(key, "https://ehr.example.org/fhir")
	require.NoError(t, err)

	tok, err := c.seal("Observation?patient=p1&page=2", "Observation")
	require.NoError(t, err)
	assert.NotContains(t, tok, "patient", "the link is encrypted, not only sealed")
	rel, err := c.open(tok, "Observation")
	require.NoError(t, err)
	assert.Equal(t, "Observation?patient=p1&page=2", rel)

	t.Run("another type", func(t *testing.T) {
		_, err := c.open(tok, "Condition")
		assert.ErrorIs(t, err, fhir.ErrInvalidSearch)
	})
	t.Run("another upstream with the same key", func(t *testing.T) {
		other, err := newCursors(key, "https://other.example.org/fhir")
		require.NoError(t, err)
		_, err = other.open(tok, "Observation")
		assert.ErrorIs(t, err, fhir.ErrInvalidSearch)
	})
	t.Run("another key", func(t *testing.T) {
		other, err := newCursors(nil, "https://ehr.example.org/fhir")
		require.NoError(t, err)
		_, err = other.open(tok, "Observation")
		assert.ErrorIs(t, err, fhir.ErrInvalidSearch)
	})
	t.Run("tampered", func(t *testing.T) {
		b := []byte(tok)
		b[len(b)/2] ^= 1
		_, err := c.open(string(b), "Observation")
		assert.ErrorIs(t, err, fhir.ErrInvalidSearch)
	})
	for _, bad := range []string{"", "!!", "AQ", "Ag", "AgAAAAAAAAAAAAAAAAAAAAAA", "BwAAAA"} {
		_, err := c.open(bad, "Observation")
		assert.ErrorIs(t, err, fhir.ErrInvalidSearch, bad)
	}

	t.Run("a link too long for Page.Next is kept in memory", func(t *testing.T) {
		long := "Observation?ct=" + strings.Repeat("x", 2000)
		tok, err := c.seal(long, "Observation")
		require.NoError(t, err)
		assert.LessOrEqual(t, len(tok), maxToken)
		rel, err := c.open(tok, "Observation")
		require.NoError(t, err)
		assert.Equal(t, long, rel)
		_, err = c.open(tok, "Condition")
		assert.ErrorIs(t, err, fhir.ErrInvalidSearch)

		c.now = func() time.Time { return time.Now().Add(storedTTL + time.Minute) }
		defer func() { c.now = time.Now }()
		_, err = c.open(tok, "Observation")
		assert.ErrorIs(t, err, fhir.ErrInvalidSearch, "expired")
		// The next seal drops what expired.
		_, err = c.seal(long, "Observation")
		require.NoError(t, err)
		c.mu.Lock()
		assert.Len(t, c.stored, 1)
		c.mu.Unlock()
	})
}

func TestCursorStoreIsBounded(t *testing.T) {
	c, err := newCursors(nil, "https://ehr.example.org/fhir")
	require.NoError(t, err)
	long := "Patient?ct=" + strings.Repeat("y", 1500)
	first, err := c.seal(long, "Patient")
	require.NoError(t, err)
	for range maxStored {
		_, err := c.seal(long, "Patient")
		require.NoError(t, err)
	}
	assert.Len(t, c.stored, maxStored)
	_, err = c.open(first, "Patient")
	assert.ErrorIs(t, err, fhir.ErrInvalidSearch, "the oldest link went first")
}

func TestReferencesBecomeRelative(t *testing.T) {
	r := newRewriter([]string{"https://ehr.example.org/fhir", "http://hapi:8080/fhir/"})
	in := `{"subject":{"reference":"https://ehr.example.org/fhir/Patient/p1"},` +
		`"performer":[{"reference" :  "http:\/\/hapi:8080\/fhir\/Practitioner\/d1"}],` +
		"\"context\":{\"reference\":\n\t\"http://hapi:8080/fhir/Encounter/e1\"}," +
		`"identifier":[{"system":"https://ehr.example.org/fhir/ids","value":"1"}],` +
		`"note":"see https://ehr.example.org/fhir/Patient/p1",` +
		`"other":{"reference":"https://elsewhere.example.org/fhir/Patient/p9"},` +
		`"preference":"https://ehr.example.org/fhir/x"}`
	want := `{"subject":{"reference":"Patient/p1"},` +
		`"performer":[{"reference" :  "Practitioner\/d1"}],` +
		"\"context\":{\"reference\":\n\t\"Encounter/e1\"}," +
		`"identifier":[{"system":"https://ehr.example.org/fhir/ids","value":"1"}],` +
		`"note":"see https://ehr.example.org/fhir/Patient/p1",` +
		`"other":{"reference":"https://elsewhere.example.org/fhir/Patient/p9"},` +
		`"preference":"https://ehr.example.org/fhir/x"}`
	assert.Equal(t, want, string(r.apply([]byte(in))))
	same := []byte(`{"resourceType":"Patient","id":"p1"}`)
	assert.Equal(t, string(same), string(r.apply(same)))
}
