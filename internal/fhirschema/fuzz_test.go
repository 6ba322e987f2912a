package fhirschema_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/fhirschema"
	"github.com/stretchr/testify/require"
)

// FuzzValidate: any input gives nil or an ErrInvalid error, never a panic,
// and whatever the strict variant accepts the published schema accepts too.
func FuzzValidate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil && len(b) < 4096 {
			f.Add(filepath.Base(filepath.Dir(file)) == fhirschema.STU3, b)
		}
	}
	f.Add(false, []byte(`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","contained":[{"resourceType":"Basic"}]}}]}`))
	f.Add(true, []byte(`{"resourceType":"Patient","birthDate":"2019-02-29","name":[{"given":["a","a"],"given":[]}]}`))
	f.Add(true, []byte(`[1,{"a":{}}]`))
	f.Fuzz(func(t *testing.T, stu3 bool, doc []byte) {
		version := fhirschema.DSTU2
		if stu3 {
			version = fhirschema.STU3
		}
		lax := fhirschema.Validate(version, doc)
		strict := fhirschema.ValidateStrict(version, doc)
		for _, err := range []error{lax, strict} {
			if err != nil {
				require.ErrorIs(t, err, fhirschema.ErrInvalid)
			}
			var ve *fhirschema.ValidationError
			if errors.As(err, &ve) {
				require.NotEmpty(t, ve.Problems, "a ValidationError without problems: %v", err)
			}
		}
		if strict == nil {
			require.NoError(t, lax, "strict accepts what the published schema rejects")
		}
	})
}
