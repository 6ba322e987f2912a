package restserver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

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
		assert.Equal(t, want, refersTo(ref, "pat-1"), "%q", ref)
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{"pat-1": true, "a.b": true, "": false, "a b": false, "a/b": false, "ü": false} {
		assert.Equal(t, want, validID(id), "%q", id)
	}
}

// halfEHR declares SearchObservations on its pointer, misspells
// SearchConditions and has SearchCoverages with another signature.
type halfEHR struct{}

func (*halfEHR) SearchObservations() {}

func (halfEHR) SearchCondition() {}

func (halfEHR) SearchCoverages(int) {}

// A start-up error names the missing method with its signature, and hints
// at the likely mistake.
func TestMissingMethodHints(t *testing.T) {
	m := func(name string) Method {
		return Method{Interface: "stu3.X", Name: name, Signature: name + "(ctx context.Context)"}
	}
	for _, c := range []struct {
		b    any
		name string
		want string
	}{
		{halfEHR{}, "SearchObservations", "Config.Backend (restserver.halfEHR) does not implement stu3.X: missing method SearchObservations(ctx context.Context) (the method is declared on *restserver.halfEHR: pass a pointer)"},
		{halfEHR{}, "SearchConditions", "missing method SearchConditions(ctx context.Context) (restserver.halfEHR has a method named SearchCondition: a typo?)"},
		{&halfEHR{}, "SearchCoverages", "missing method SearchCoverages(ctx context.Context) (*restserver.halfEHR has SearchCoverages with another signature: func(*restserver.halfEHR, int))"},
		{&halfEHR{}, "ReadLocation", "Config.Backend (*restserver.halfEHR) does not implement stu3.X: missing method ReadLocation(ctx context.Context)"},
		{nil, "ReadLocation", "Config.Backend (<nil>) does not implement stu3.X: missing method ReadLocation(ctx context.Context)"},
	} {
		got := missing("Config.Backend", c.b, m(c.name))
		if c.name == "ReadLocation" {
			assert.Equal(t, c.want, got)
		} else {
			assert.Contains(t, got, c.want)
		}
	}
}
