package dstu2_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/internal/fhirexamples/examplestest"
)

// BenchmarkDecodeExamples decodes every official DSTU2 example strictly, per
// operation; SetBytes is the size of the whole set.
func BenchmarkDecodeExamples(b *testing.B) {
	data, _, size := examplestest.Corpus(b, codec)
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		for _, d := range data {
			if _, err := dstu2.UnmarshalResource(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEncodeExamples encodes every decoded official DSTU2 example, per
// operation; SetBytes is the size of the input set.
func BenchmarkEncodeExamples(b *testing.B) {
	_, resources, size := examplestest.Corpus(b, codec)
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		for _, r := range resources {
			if _, err := dstu2.Marshal(r); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkValidateExamples validates every decoded official DSTU2 example.
func BenchmarkValidateExamples(b *testing.B) {
	_, resources, size := examplestest.Corpus(b, codec)
	b.ReportAllocs()
	b.SetBytes(size)
	for b.Loop() {
		for _, r := range resources {
			_ = r.Validate()
		}
	}
}
