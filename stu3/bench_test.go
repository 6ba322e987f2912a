package stu3_test

import (
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/fhirexamples/examplestest"
)

// BenchmarkDecodeExamples decodes every official STU3 example strictly, per
// operation (UnmarshalResource); SetBytes is the size of the whole set.
func BenchmarkDecodeExamples(b *testing.B) { examplestest.BenchmarkDecode(b, model.Codec) }

// BenchmarkEncodeExamples encodes every decoded official STU3 example, per
// operation (Marshal); SetBytes is the size of the input set.
func BenchmarkEncodeExamples(b *testing.B) { examplestest.BenchmarkEncode(b, model.Codec) }

// BenchmarkValidateExamples validates every decoded official STU3 example.
func BenchmarkValidateExamples(b *testing.B) { examplestest.BenchmarkValidate(b, model.Codec) }
