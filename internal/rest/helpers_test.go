package rest

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// testParams are shaped like the Patients app's Patient and Observation
// parameters.
var testParams = []fhir.SearchParam{
	fhir.ParamID,
	{Name: "family", Type: fhir.TypeString, Path: "Patient.name.family", Modifiers: []fhir.Modifier{fhir.ModExact, fhir.ModContains}},
	{Name: "given", Type: fhir.TypeString, Path: "Patient.name.given", Modifiers: []fhir.Modifier{fhir.ModExact, fhir.ModContains}},
	{Name: "name", Type: fhir.TypeString, Path: "Patient.name", Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModMissing}},
	{Name: "birthdate", Type: fhir.TypeDate, Path: "Patient.birthDate"},
	{Name: "gender", Type: fhir.TypeToken, Path: "Patient.gender", Modifiers: []fhir.Modifier{fhir.ModNot, fhir.ModMissing}},
	{Name: "identifier", Type: fhir.TypeToken, Path: "Patient.identifier", Modifiers: []fhir.Modifier{fhir.ModText}},
	{Name: "patient", Type: fhir.TypeReference, Path: "Observation.subject", Targets: []string{"Patient"}},
	{Name: "date", Type: fhir.TypeDate, Path: "Observation.effective", Prefixes: []fhir.Prefix{fhir.PrefixGe, fhir.PrefixLe, fhir.PrefixGt, fhir.PrefixLt}},
}

func newTestParser(t testing.TB, v *fhir.Version) *fhir.Parser {
	t.Helper()
	p, err := fhir.NewParser(v, testParams, &fhir.ParserOptions{DefaultCount: 20, MaxCount: 100})
	require.NoError(t, err)
	return p
}
