package rest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var validJSONCases = []string{
	``, ` `, `{}`, ` {} `, "\t[]\n\r", `{`, `}`, `[`, `]`, `{]`, `[}`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`,
	`{a:1}`, `{"a":1 "b":2}`, `[1,2,3]`, `[1,]`, `[,1]`, `[1 2]`, `{}{}`, `{} x`, `"x"`, `"x`, `"\"`,
	`"\u00e9"`, `"\u00g9"`, `"\u12"`, `"\x"`, `"\/"`, `"a` + "\x01" + `b"`, `"a` + "\x7f\xff\xfe" + `b"`,
	`true`, `tru`, `truex`, `false`, `null`, `nul`, `0`, `-0`, `-`, `01`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`,
	`1e-5`, `1e`, `1e+`, `-1.5e10`, `--1`, `+1`, `1.5.5`, `[1e5]`, `[-]`, `{"a":[{"b":null}]}`,
	`{"resourceType":"Patient","name":[{"family":"Chau","given":["Hugh"]}],"active":true}`,
}

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range validJSONCases {
		assert.Equal(t, json.Valid([]byte(c)), validJSON([]byte(c)), "validJSON(%q), against json.Valid", c)
	}
}

func TestValidJSONDepth(t *testing.T) {
	for _, n := range []int{maxJSONDepth, maxJSONDepth + 1} {
		for _, open := range []string{"[", `{"a":`} {
			closing := "]"
			if open != "[" {
				closing = "}"
			}
			b := []byte(strings.Repeat(open, n) + "1" + strings.Repeat(closing, n))
			assert.Equal(t, json.Valid(b), validJSON(b), "depth %d %s, against json.Valid", n, open)
		}
	}
}

// FuzzValidJSON holds validJSON to json.Valid, and ScanResource (which
// shares its scanner) to the same facts read with encoding/json.
func FuzzValidJSON(f *testing.F) {
	for _, c := range validJSONCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(`{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/1"},"x":[{"id":2}]}`))
	f.Add([]byte(`{"\u0069d":"a","subject":{"reference":"a","reference":"b"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		require.Equal(t, json.Valid(b), validJSON(b), "validJSON(%q), against json.Valid", b)
		checkScanResource(t, b, "subject")
	})
}

// BenchmarkValidJSON compares validJSON with json.Valid on a 50-resource
// array of Patient-like objects.
func BenchmarkValidJSON(b *testing.B) {
	one := `{"resourceType":"Patient","id":"pat-1","meta":{"versionId":"3","lastUpdated":"2024-01-02T03:04:05Z"},` +
		`"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Hugh Chau</div>"},` +
		`"identifier":[{"system":"urn:oid:1.2.36.146.595.217.0.1","value":"12345"}],"active":true,` +
		`"name":[{"use":"official","family":"Chau","given":["Hugh","K."]}],"gender":"male","birthDate":"1974-12-25",` +
		`"address":[{"line":["534 Erewhon St"],"city":"PleasantVille","postalCode":"3999"}],"multipleBirthInteger":2,"x":-1.5e3}`
	doc := []byte("[" + strings.Repeat(one+",", 49) + one + "]")
	for _, c := range []struct {
		name string
		f    func([]byte) bool
	}{{"validJSON", validJSON}, {"json.Valid", json.Valid}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if !c.f(doc) {
					b.Fatal("invalid")
				}
			}
		})
	}
}
