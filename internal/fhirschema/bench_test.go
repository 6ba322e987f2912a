package fhirschema

import (
	"os"
	"testing"
)

// BenchmarkCompile measures compiling one schema from the embedded bytes,
// the one-off cost paid by the first Validate of a version in a process.
func BenchmarkCompile(b *testing.B) {
	for _, bc := range []struct {
		version string
		strict  bool
	}{{DSTU2, false}, {DSTU2, true}, {STU3, false}, {STU3, true}} {
		name := bc.version
		if bc.strict {
			name += "-strict"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := compile(bc.version, bc.strict); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkValidate measures validating one official Patient example once
// the schema is compiled.
func BenchmarkValidate(b *testing.B) {
	for _, bc := range []struct{ version, file string }{
		{DSTU2, "testdata/dstu2/Patient-example.json"},
		{STU3, "testdata/stu3/patient-example.json"},
	} {
		doc, err := os.ReadFile(bc.file)
		if err != nil {
			b.Fatal(err)
		}
		for _, strict := range []bool{false, true} {
			name := bc.version
			validate := Validate
			if strict {
				name += "-strict"
				validate = ValidateStrict
			}
			b.Run(name, func(b *testing.B) {
				if err := validate(bc.version, doc); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if err := validate(bc.version, doc); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
