package restserver

import "testing"

func TestRefersTo(t *testing.T) {
	for ref, want := range map[string]bool{
		"Patient/pat-1":                          true,
		"https://ehr.example/fhir/Patient/pat-1": true,
		"Patient/pat-1/_history/3":               true,
		"Patient/pat-11":                         false,
		"Patient/xpat-1":                         false,
		"Group/pat-1":                            false,
		"NotPatient/pat-1":                       false,
		"":                                       false,
	} {
		if got := refersTo(ref, "pat-1"); got != want {
			t.Errorf("%q: %v", ref, got)
		}
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{"pat-1": true, "a.b": true, "": false, "a b": false, "a/b": false, "ü": false} {
		if validID(id) != want {
			t.Errorf("%q", id)
		}
	}
}
