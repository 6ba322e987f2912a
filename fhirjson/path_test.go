package fhirjson

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidatorPaths(t *testing.T) {
	v := NewValidator("Patient")
	m := v.PushIndex("name", 2)
	v.Missing("family")
	v.BadFormat("given", 1, "string")
	m2 := v.Push("period")
	v.BadFormat("start", -1, "dateTime")
	v.Pop(m2)
	v.Pop(m)
	v.BadCode("gender", -1, "http://hl7.org/fhir/ValueSet/administrative-gender")
	var ve ValidationErrors
	require.ErrorAs(t, v.Err(), &ve)
	var got []string
	for _, is := range ve {
		got = append(got, is.Path)
	}
	assert.Equal(t, []string{"Patient.name[2].family", "Patient.name[2].given[1]", "Patient.name[2].period.start", "Patient.gender"}, got)
	assert.NoError(t, NewValidator("X").Err(), "no issues")
}

func TestOneOf(t *testing.T) {
	assert.Equal(t, 0, CountSet())
	assert.Equal(t, 2, CountSet(true, false, true))
	v := NewValidator("Observation")
	v.OneOf("value[x]")
	var ve ValidationErrors
	require.ErrorAs(t, v.Err(), &ve)
	assert.Equal(t, "Observation.value[x]", ve[0].Path)
}
