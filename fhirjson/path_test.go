package fhirjson

import (
	"errors"
	"reflect"
	"testing"
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
	if !errors.As(v.Err(), &ve) {
		t.Fatalf("Err() = %v", v.Err())
	}
	var got []string
	for _, is := range ve {
		got = append(got, is.Path)
	}
	want := []string{"Patient.name[2].family", "Patient.name[2].given[1]", "Patient.name[2].period.start", "Patient.gender"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("paths %q, want %q", got, want)
	}
	if NewValidator("X").Err() != nil {
		t.Fatal("no issues must give a nil error")
	}
}

func TestOneOf(t *testing.T) {
	if CountSet() != 0 || CountSet(true, false, true) != 2 {
		t.Fatal("CountSet miscounts")
	}
	v := NewValidator("Observation")
	v.OneOf("value[x]")
	var ve ValidationErrors
	if !errors.As(v.Err(), &ve) || ve[0].Path != "Observation.value[x]" {
		t.Fatalf("OneOf: %v", v.Err())
	}
}
