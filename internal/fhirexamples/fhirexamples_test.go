package fhirexamples_test

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/fhirexamples"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAllExamplesAreResources(t *testing.T) {
	for _, tc := range []struct {
		v    fhirexamples.Version
		want int
	}{
		{fhirexamples.DSTU2, 366},
		{fhirexamples.STU3, 639},
	} {
		t.Run(string(tc.v), func(t *testing.T) {
			all, err := fhirexamples.All(tc.v)
			require.NoError(t, err)
			require.Len(t, all, tc.want)
			for i, ex := range all {
				if i > 0 {
					assert.Less(t, all[i-1].Name, ex.Name, "sorted by name")
				}
				assert.True(t, strings.HasSuffix(ex.Name, ".json"), "%s: not a .json file", ex.Name)
				var head struct {
					ResourceType string `json:"resourceType"`
				}
				if assert.NoError(t, json.Unmarshal(ex.Data, &head), ex.Name) {
					assert.NotEmpty(t, head.ResourceType, "%s: no resourceType", ex.Name)
				}
			}
		})
	}
}

func TestReadMatchesAll(t *testing.T) {
	names, err := fhirexamples.Names(fhirexamples.STU3)
	require.NoError(t, err)
	all, err := fhirexamples.All(fhirexamples.STU3)
	require.NoError(t, err)
	require.Len(t, names, len(all))
	for i, n := range names {
		data, err := fhirexamples.Read(fhirexamples.STU3, n)
		require.NoError(t, err)
		assert.Equal(t, n, all[i].Name)
		assert.Equal(t, string(data), string(all[i].Data), "Read(%q) and All()[%d]", n, i)
	}
}

func TestErrors(t *testing.T) {
	_, err := fhirexamples.Names("r4")
	assert.ErrorIs(t, err, fhirexamples.ErrUnknownVersion)
	_, err = fhirexamples.All("")
	assert.ErrorIs(t, err, fhirexamples.ErrUnknownVersion)
	_, err = fhirexamples.Read("r4", "Patient-example.json")
	assert.ErrorIs(t, err, fhirexamples.ErrUnknownVersion)
	for _, name := range []string{"", "Patient-nope.json", "../stu3/Patient-example.json", "x/y.json"} {
		_, err := fhirexamples.Read(fhirexamples.DSTU2, name)
		assert.ErrorIs(t, err, fs.ErrNotExist, "Read(dstu2, %q)", name)
	}
}

func TestFS(t *testing.T) {
	data, err := fs.ReadFile(fhirexamples.FS(), "dstu2/Patient-example.json")
	require.NoError(t, err)
	direct, err := fhirexamples.Read(fhirexamples.DSTU2, "Patient-example.json")
	require.NoError(t, err)
	assert.Equal(t, string(direct), string(data), "FS and Read")
}

func ExampleRead() {
	data, err := fhirexamples.Read(fhirexamples.STU3, "patient-example.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	var p struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.ResourceType, p.ID)
	// Output: Patient example
}

func ExampleNames() {
	names, _ := fhirexamples.Names(fhirexamples.DSTU2)
	fmt.Println(len(names) > 300, names[0])
	// Output: true Account-example.json
}
