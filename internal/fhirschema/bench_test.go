package fhirschema

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// BenchmarkCompile measures the one-off cost paid by the first Validate of
// a version in a process: loading the embedded schema and compiling the
// Patient definition (with the datatypes it uses). "all" compiles every
// resource type, the worst case of a test that validates one of each.
func BenchmarkCompile(b *testing.B) {
	for _, bc := range []struct {
		version string
		strict  bool
		all     bool
	}{{DSTU2, false, false}, {DSTU2, true, false}, {STU3, false, false}, {STU3, true, false}, {DSTU2, true, true}, {STU3, true, true}} {
		name := bc.version
		if bc.strict {
			name += "-strict"
		}
		if bc.all {
			name += "-all"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c, err := compile(bc.version, bc.strict)
				if err != nil { // not require: it would weigh on the loop
					b.Fatal(err)
				}
				types := []string{"Patient"}
				if bc.all {
					types = c.types
				}
				for _, rt := range types {
					if s, err := c.schema(rt); err != nil || s == nil {
						b.Fatal(rt, err)
					}
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
		require.NoError(b, err)
		for _, strict := range []bool{false, true} {
			name := bc.version
			validate := Validate
			if strict {
				name += "-strict"
				validate = ValidateStrict
			}
			b.Run(name, func(b *testing.B) {
				require.NoError(b, validate(bc.version, doc))
				b.ReportAllocs()
				for b.Loop() {
					if err := validate(bc.version, doc); err != nil { // not require: it would weigh on the loop
						b.Fatal(err)
					}
				}
			})
		}
	}
}
