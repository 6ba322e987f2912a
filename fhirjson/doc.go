// Package fhirjson is the JSON runtime shared by the generated FHIR models in
// packages dstu2 and stu3.
//
// It holds what the generated code needs and what callers see:
//
//   - [Decimal], a FHIR decimal that keeps its lexical form ("1.50" stays
//     "1.50", "1e2" stays "1e2");
//   - [Decoder], a single-pass JSON tokenizer that decodes straight into the
//     generated structs, strict by default, and [Lenient] to keep unknown
//     elements instead of failing;
//   - [DecodeError], which names the JSON path of the problem
//     (Patient.name[0].given[1]);
//   - [Encoder], which appends compact JSON to a byte buffer without
//     HTML-escaping (narrative div elements stay readable);
//   - [ValidationErrors], the list of problems found by the generated
//     Validate methods, each with its path, and [Validator], which builds
//     those paths without allocating while the methods descend.
//
// Most programs use this package only through dstu2 and stu3: the types
// decode with json.Unmarshal (strict) or with their package's Unmarshal
// functions and options from here, and encode with json.Marshal or their
// MarshalJSON method.
package fhirjson
