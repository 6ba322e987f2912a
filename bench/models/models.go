package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/google/fhir/go/fhirversion"
	"github.com/google/fhir/go/jsonformat"
)

// The FHIR versions measured; the values are the example directory names.
const (
	DSTU2 = "dstu2"
	STU3  = "stu3"
)

// File is one example document.
type File struct {
	Name string // file name, e.g. "Patient-example.json"
	Data []byte // content as published
}

// Codec is one contender: RoundTrip decodes one document and encodes what it
// decoded.
type Codec struct {
	Name      string                            // Ours, JSONFormat or Generic
	RoundTrip func(data []byte) ([]byte, error) // decode data, encode the result
}

// Names of the contenders, as used in benchmark names and by the ratios
// command.
const (
	Ours       = "patientsfhir"
	JSONFormat = "jsonformat"
	Generic    = "generic"
)

// Codecs returns the contenders for version: ours and the generic floor for
// both versions, plus google/fhir jsonformat for STU3 (it has no DSTU2
// support). Ours comes first.
func Codecs(version string) ([]Codec, error) {
	switch version {
	case STU3:
		jf, err := newJSONFormat()
		if err != nil {
			return nil, err
		}
		return []Codec{{Ours, oursSTU3}, {JSONFormat, jf}, {Generic, generic}}, nil
	case DSTU2:
		return []Codec{{Ours, oursDSTU2}, {Generic, generic}}, nil
	}
	return nil, fmt.Errorf("unknown version %q", version)
}

// newJSONFormat returns google/fhir's STU3 JSON round trip. The unmarshaller is
// the one without extended validation (required elements, references): our
// decoding does not validate either (Validate is a separate call), and this
// is jsonformat's fastest configuration. Output is compact, like ours.
func newJSONFormat() (func([]byte) ([]byte, error), error) {
	u, err := jsonformat.NewUnmarshallerWithoutValidation("UTC", fhirversion.STU3)
	if err != nil {
		return nil, err
	}
	m, err := jsonformat.NewMarshaller(false, "", "", fhirversion.STU3)
	if err != nil {
		return nil, err
	}
	return func(data []byte) ([]byte, error) {
		pb, err := u.Unmarshal(data)
		if err != nil {
			return nil, err
		}
		return m.Marshal(pb)
	}, nil
}

// generic is the floor for lossless JSON in Go: encoding/json into any with
// UseNumber (numbers keep their literal), encoded back without HTML escaping.
func generic(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ExamplesDir returns the directory of the version's examples in the main
// module (internal/fhirexamples/<version>), located from this source file, so
// that it works from any working directory of a source checkout.
func ExamplesDir(version string) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("..", "..", "internal", "fhirexamples", version)
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "internal", "fhirexamples", version)
}

// LoadExamples reads every *.json file of dir, sorted by name.
func LoadExamples(dir string) ([]File, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("no *.json files in %s", dir)
	}
	sort.Strings(names)
	files := make([]File, 0, len(names))
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: filepath.Base(n), Data: data})
	}
	return files, nil
}

// Rejection records a file that a contender could not round-trip.
type Rejection struct {
	File, Codec string // which file, rejected by which contender
	Err         error  // why
}

// Common returns the files that every codec round-trips without error, and
// the rejections of the others. Measuring only the common files gives every
// contender exactly the same work.
func Common(files []File, codecs []Codec) ([]File, []Rejection) {
	var kept []File
	var rejected []Rejection
	for _, f := range files {
		ok := true
		for _, c := range codecs {
			out, err := c.RoundTrip(f.Data)
			if err == nil && len(out) == 0 {
				err = errors.New("empty output")
			}
			if err != nil {
				rejected = append(rejected, Rejection{File: f.Name, Codec: c.Name, Err: err})
				ok = false
			}
		}
		if ok {
			kept = append(kept, f)
		}
	}
	return kept, rejected
}

// Size returns the total number of bytes of files.
func Size(files []File) int64 {
	var n int64
	for _, f := range files {
		n += int64(len(f.Data))
	}
	return n
}

// RoundTripAll runs c over every file once and returns the number of bytes
// it produced. It stops at the first error.
func RoundTripAll(c Codec, files []File) (int, error) {
	n := 0
	for _, f := range files {
		out, err := c.RoundTrip(f.Data)
		if err != nil {
			return n, fmt.Errorf("%s: %s: %w", c.Name, f.Name, err)
		}
		n += len(out)
	}
	return n, nil
}

// Corpus is the measured set of one version: the files every contender
// accepts, and what was left out.
type Corpus struct {
	Version  string      // DSTU2 or STU3
	Codecs   []Codec     // the contenders, ours first
	Files    []File      // the files every contender accepts
	Total    int         // number of example files before exclusions
	Rejected []Rejection // why the others were excluded
}

// LoadCorpus loads the examples of version from dir (ExamplesDir(version)
// when empty) and keeps the files that every contender round-trips.
func LoadCorpus(version, dir string) (*Corpus, error) {
	codecs, err := Codecs(version)
	if err != nil {
		return nil, err
	}
	if dir == "" {
		dir = ExamplesDir(version)
	}
	files, err := LoadExamples(dir)
	if err != nil {
		return nil, err
	}
	kept, rejected := Common(files, codecs)
	return &Corpus{Version: version, Codecs: codecs, Files: kept, Total: len(files), Rejected: rejected}, nil
}

// Summary says how many files are measured and why others were excluded.
func (c *Corpus) Summary() string {
	s := fmt.Sprintf("%s: %d of %d example files measured (%d bytes)", c.Version, len(c.Files), c.Total, Size(c.Files))
	for _, r := range c.Rejected {
		s += fmt.Sprintf("\n  excluded %s: rejected by %s: %.160v", r.File, r.Codec, r.Err)
	}
	return s
}
