package stu3

import "strconv"

// MissingDisplays returns the paths of the references the Patients app
// shows by their display alone that have no display:
// Patient.generalPractitioner[i], MedicationRequest.requester.agent and
// Encounter.location[i].location. The app never resolves these references
// (docs/patients-app-interface.md, ambiguities A14 and A15), so a missing display is a blank in
// its UI; the conformance kit warns about each path returned.
func MissingDisplays(r Resource) []string {
	var out []string
	switch x := r.(type) {
	case *Patient:
		for i := range x.GeneralPractitioner {
			if x.GeneralPractitioner[i].Display == "" {
				out = append(out, "Patient.generalPractitioner["+strconv.Itoa(i)+"]")
			}
		}
	case *MedicationRequest:
		if x.Requester != nil && x.Requester.Agent != nil && x.Requester.Agent.Display == "" {
			out = append(out, "MedicationRequest.requester.agent")
		}
	case *Encounter:
		for i := range x.Location {
			if l := x.Location[i].Location; l != nil && l.Display == "" {
				out = append(out, "Encounter.location["+strconv.Itoa(i)+"].location")
			}
		}
	}
	return out
}
