package fhirexamples_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/fhirexamples"
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
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != tc.want {
				t.Fatalf("got %d examples, want %d", len(all), tc.want)
			}
			for i, ex := range all {
				if i > 0 && all[i-1].Name >= ex.Name {
					t.Errorf("not sorted: %q before %q", all[i-1].Name, ex.Name)
				}
				if !strings.HasSuffix(ex.Name, ".json") {
					t.Errorf("%s: not a .json file", ex.Name)
				}
				var head struct {
					ResourceType string `json:"resourceType"`
				}
				if err := json.Unmarshal(ex.Data, &head); err != nil {
					t.Errorf("%s: %v", ex.Name, err)
					continue
				}
				if head.ResourceType == "" {
					t.Errorf("%s: no resourceType", ex.Name)
				}
			}
		})
	}
}

func TestReadMatchesAll(t *testing.T) {
	names, err := fhirexamples.Names(fhirexamples.STU3)
	if err != nil {
		t.Fatal(err)
	}
	all, err := fhirexamples.All(fhirexamples.STU3)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range names {
		data, err := fhirexamples.Read(fhirexamples.STU3, n)
		if err != nil {
			t.Fatal(err)
		}
		if all[i].Name != n || string(all[i].Data) != string(data) {
			t.Fatalf("Read(%q) differs from All()[%d]", n, i)
		}
	}
}

func TestErrors(t *testing.T) {
	if _, err := fhirexamples.Names("r4"); !errors.Is(err, fhirexamples.ErrUnknownVersion) {
		t.Errorf("Names(r4) = %v, want ErrUnknownVersion", err)
	}
	if _, err := fhirexamples.All(""); !errors.Is(err, fhirexamples.ErrUnknownVersion) {
		t.Errorf("All(\"\") = %v, want ErrUnknownVersion", err)
	}
	if _, err := fhirexamples.Read("r4", "Patient-example.json"); !errors.Is(err, fhirexamples.ErrUnknownVersion) {
		t.Errorf("Read(r4) = %v, want ErrUnknownVersion", err)
	}
	for _, name := range []string{"", "Patient-nope.json", "../stu3/Patient-example.json", "x/y.json"} {
		if _, err := fhirexamples.Read(fhirexamples.DSTU2, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Read(dstu2, %q) = %v, want fs.ErrNotExist", name, err)
		}
	}
}

func TestFS(t *testing.T) {
	data, err := fs.ReadFile(fhirexamples.FS(), "dstu2/Patient-example.json")
	if err != nil {
		t.Fatal(err)
	}
	direct, _ := fhirexamples.Read(fhirexamples.DSTU2, "Patient-example.json")
	if string(data) != string(direct) {
		t.Fatal("FS and Read disagree")
	}
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
