package examplestest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/patientsfhir/patientsfhir/fhirjson"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples"
	"github.com/patientsfhir/patientsfhir/internal/jsoncmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Resource is what the helpers need from a model package's Resource
// interface.
type Resource interface {
	ResourceType() string
	GetID() string
	SetID(id string)
	Validate() error
	json.Unmarshaler
}

// Codec describes one model package.
type Codec[R Resource] struct {
	// Version selects the embedded examples.
	Version fhirexamples.Version
	// Decode is the package's UnmarshalResource.
	Decode func(data []byte, opts ...fhirjson.DecodeOption) (R, error)
	// Encode is the package's own compact encoder (no HTML escaping).
	Encode func(r R) ([]byte, error)
}

// Examples returns the embedded examples of version v.
func Examples(tb testing.TB, v fhirexamples.Version) []fhirexamples.Example {
	tb.Helper()
	all, err := fhirexamples.All(v)
	require.NoError(tb, err)
	return all
}

// resourceTypeOf reads the top-level resourceType of an example.
func resourceTypeOf(data []byte) string {
	var head struct {
		ResourceType string `json:"resourceType"`
	}
	_ = json.Unmarshal(data, &head)
	return head.ResourceType
}

// Exceptions maps an example file name to the reason it is allowed to fail a
// check. An exception for a file that passes fails the test, so the list
// cannot go stale.
type Exceptions map[string]string

// check runs fn as a sub-test per example, applying exceptions.
func check(t *testing.T, examples []fhirexamples.Example, exceptions Exceptions, fn func(ex fhirexamples.Example) error) {
	t.Helper()
	for name := range exceptions {
		assert.True(t, slices.ContainsFunc(examples, func(ex fhirexamples.Example) bool { return ex.Name == name }),
			"exception for %s, which is not an example", name)
	}
	for _, ex := range examples {
		t.Run(ex.Name, func(t *testing.T) {
			err := fn(ex)
			reason, excepted := exceptions[ex.Name]
			switch {
			case !excepted:
				assert.NoError(t, err)
			case err == nil:
				assert.Fail(t, "passes now; remove its exception", reason)
			default:
				t.Logf("expected failure (%s): %v", reason, err)
			}
		})
	}
}

// RoundTrip decodes every example strictly, re-encodes it with c.Encode and
// with json.Marshal, and requires the output to be semantically identical to
// the input (see package jsoncmp), to survive a second round trip byte for
// byte, and json.Marshal to agree with c.Encode apart from its compaction and
// HTML escaping.
func RoundTrip[R Resource](t *testing.T, c Codec[R], exceptions Exceptions) {
	check(t, Examples(t, c.Version), exceptions, func(ex fhirexamples.Example) error {
		r, err := c.Decode(ex.Data)
		if err != nil {
			return fmt.Errorf("strict decode: %w", err)
		}
		if got, want := r.ResourceType(), resourceTypeOf(ex.Data); got != want {
			return fmt.Errorf("ResourceType() = %q, want %q", got, want)
		}
		out, err := c.Encode(r)
		if err != nil {
			return fmt.Errorf("encode: %w", err)
		}
		diffs, err := jsoncmp.Diff(ex.Data, out)
		if err != nil {
			return fmt.Errorf("compare: %w", err)
		}
		if len(diffs) > 0 {
			return fmt.Errorf("re-encoded JSON differs from the input (%d differences):\n%s", len(diffs), jsoncmp.Format(diffs, 8))
		}
		// Our own output is a fixed point: it decodes strictly and
		// re-encodes to the same bytes.
		r2, err := c.Decode(out)
		if err != nil {
			return fmt.Errorf("strict decode of the re-encoded JSON: %w", err)
		}
		if out2, err := c.Encode(r2); err != nil || !bytes.Equal(out, out2) {
			return fmt.Errorf("second round trip changed the bytes (err %v)", err)
		}
		viaJSON, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("json.Marshal: %w", err)
		}
		// json.Marshal compacts and HTML-escapes what MarshalJSON returns;
		// Encode keeps kept raw members (fhir_comments, lenient unknowns) as
		// written, whitespace included.
		var compact, escaped bytes.Buffer
		if err := json.Compact(&compact, out); err != nil {
			return fmt.Errorf("Encode produced invalid JSON: %w", err)
		}
		json.HTMLEscape(&escaped, compact.Bytes())
		if !bytes.Equal(viaJSON, escaped.Bytes()) {
			return errors.New("json.Marshal differs from Encode beyond compaction and HTML escaping")
		}
		return nil
	})
}

// ValidateAll requires Validate() to accept every example that decodes.
func ValidateAll[R Resource](t *testing.T, c Codec[R], exceptions Exceptions) {
	check(t, Examples(t, c.Version), exceptions, func(ex fhirexamples.Example) error {
		r, err := c.Decode(ex.Data, fhirjson.Lenient())
		if err != nil {
			return fmt.Errorf("lenient decode: %w", err)
		}
		return r.Validate()
	})
}

// DecodeErrorPath decodes data strictly and returns the path of the
// *fhirjson.DecodeError, failing the test if decoding succeeds, the error is
// of another type, or it does not match sentinel.
func DecodeErrorPath[R Resource](t *testing.T, c Codec[R], data string, sentinel error) string {
	t.Helper()
	_, err := c.Decode([]byte(data))
	require.Error(t, err, "decoded without error: %s", data)
	return AsDecodeError(t, err, sentinel).Path
}

// AsDecodeError returns err as a *fhirjson.DecodeError, failing the test if
// it is nil, of another type, or does not match sentinel (when not nil).
func AsDecodeError(t *testing.T, err error, sentinel error) *fhirjson.DecodeError {
	t.Helper()
	var de *fhirjson.DecodeError
	require.ErrorAs(t, err, &de)
	if sentinel != nil {
		assert.ErrorIs(t, err, sentinel)
	}
	return de
}

// IssuePaths validates r (a resource or any element) and returns the paths
// of the issues, nil when it is valid; an error that is not a
// fhirjson.ValidationErrors fails the test.
func IssuePaths(t *testing.T, r interface{ Validate() error }) []string {
	t.Helper()
	err := r.Validate()
	if err == nil {
		return nil
	}
	var ve fhirjson.ValidationErrors
	require.ErrorAs(t, err, &ve)
	paths := make([]string, len(ve))
	for i, is := range ve {
		assert.NotEmpty(t, is.Message, "issue at %s has no message", is.Path)
		paths[i] = is.Path
	}
	return paths
}

// LenientKeepsUnknown decodes doc (which must hold unknown members) leniently
// and requires the re-encoding to equal doc semantically; strict decoding
// must reject it as an unknown element at strictPath.
func LenientKeepsUnknown[R Resource](t *testing.T, c Codec[R], doc, strictPath string) {
	t.Helper()
	assert.Equal(t, strictPath, DecodeErrorPath(t, c, doc, fhirjson.ErrUnknownElement), "strict decode")
	r, err := c.Decode([]byte(doc), fhirjson.Lenient())
	require.NoError(t, err, "lenient decode")
	out, err := c.Encode(r)
	require.NoError(t, err)
	SameJSON(t, doc, out, "lenient round trip lost or changed data")
}

// FuzzSeeds adds the smallest example of every resource type of version v to
// the corpus (one per type keeps the seed run short while covering every
// generated decoder), plus extra.
func FuzzSeeds(f *testing.F, v fhirexamples.Version, extra ...string) {
	smallest := map[string][]byte{}
	var types []string
	for _, ex := range Examples(f, v) {
		rt := resourceTypeOf(ex.Data)
		cur, seen := smallest[rt]
		if !seen {
			types = append(types, rt)
		}
		if !seen || len(ex.Data) < len(cur) {
			smallest[rt] = ex.Data
		}
	}
	slices.Sort(types)
	for _, rt := range types {
		f.Add(smallest[rt])
	}
	for _, s := range extra {
		f.Add([]byte(s))
	}
}

// FuzzRoundTrip is the fuzz property: decoding never panics, and whatever
// decodes (strictly, or else leniently) re-encodes to bytes that decode again
// with the same options and re-encode to the same bytes.
func FuzzRoundTrip[R Resource](t *testing.T, c Codec[R], data []byte) {
	for _, opts := range [][]fhirjson.DecodeOption{nil, {fhirjson.Lenient()}} {
		r, err := c.Decode(data, opts...)
		if err != nil {
			var de *fhirjson.DecodeError
			require.ErrorAs(t, err, &de)
			continue
		}
		_ = r.Validate() // must not panic; the result is not part of the property
		out1, err := c.Encode(r)
		require.NoError(t, err, "encode")
		r2, err := c.Decode(out1, opts...)
		require.NoError(t, err, "re-decode of our own output\ninput:  %q\noutput: %q", data, out1)
		out2, err := c.Encode(r2)
		require.NoError(t, err, "re-encode")
		require.Equal(t, string(out1), string(out2), "second round trip changed the bytes")
		require.Equal(t, r.ResourceType(), r2.ResourceType(), "resource type changed")
		return // a strict success implies a lenient one; no need to repeat
	}
}

// corpus returns the examples of c.Version that decode strictly, their
// decoded resources and their total size, for benchmarks.
func corpus[R Resource](b *testing.B, c Codec[R]) (data [][]byte, decoded []R, size int64) {
	b.Helper()
	for _, ex := range Examples(b, c.Version) {
		r, err := c.Decode(ex.Data)
		if err != nil {
			continue // the round-trip test reports these
		}
		data = append(data, ex.Data)
		decoded = append(decoded, r)
		size += int64(len(ex.Data))
	}
	require.NotEmpty(b, data, "no example decodes")
	return data, decoded, size
}

// BenchmarkDecode decodes every official example strictly per operation.
// SetBytes is the size of the whole set, so MB/s is input throughput.
func BenchmarkDecode[R Resource](b *testing.B, c Codec[R]) {
	data, _, size := corpus(b, c)
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		for _, d := range data {
			if _, err := c.Decode(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEncode encodes every decoded official example per operation.
// SetBytes is the size of the input set.
func BenchmarkEncode[R Resource](b *testing.B, c Codec[R]) {
	_, resources, size := corpus(b, c)
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		for _, r := range resources {
			if _, err := c.Encode(r); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkValidate validates every decoded official example per operation.
func BenchmarkValidate[R Resource](b *testing.B, c Codec[R]) {
	_, resources, size := corpus(b, c)
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		for _, r := range resources {
			_ = r.Validate()
		}
	}
}

// SameJSON requires got to be semantically the JSON document want (see
// package jsoncmp: decimals and dates keep their lexical forms), printing
// the differences.
func SameJSON(t testing.TB, want string, got []byte, msg string) {
	t.Helper()
	diffs, err := jsoncmp.Diff([]byte(want), got)
	require.NoError(t, err)
	assert.Empty(t, jsoncmp.Format(diffs, 8), "%s; encoded: %s", msg, got)
}
