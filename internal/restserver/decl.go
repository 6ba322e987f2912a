package restserver

import "github.com/patientsfhir/patientsfhir/fhir"

func definition(path, name string) string {
	typ := path
	for i := 0; i < len(path); i++ {
		if path[i] == '.' {
			typ = path[:i]
			break
		}
	}
	return "http://hl7.org/fhir/SearchParameter/" + typ + "-" + name
}

// StringParamDecl declares a string parameter with the :contains and
// :exact modifiers.
func StringParamDecl(name, path, doc string) fhir.SearchParam {
	return fhir.SearchParam{Name: name, Type: fhir.TypeString, Path: path, Definition: definition(path, name),
		Documentation: doc, Modifiers: []fhir.Modifier{fhir.ModContains, fhir.ModExact}}
}

// TokenParamDecl declares a token parameter with the :not and :text
// modifiers.
func TokenParamDecl(name, path, doc string) fhir.SearchParam {
	return fhir.SearchParam{Name: name, Type: fhir.TypeToken, Path: path, Definition: definition(path, name),
		Documentation: doc, Modifiers: []fhir.Modifier{fhir.ModNot, fhir.ModText}}
}

// DateParamDecl declares a date parameter with every prefix.
func DateParamDecl(name, path, doc string) fhir.SearchParam {
	return fhir.SearchParam{Name: name, Type: fhir.TypeDate, Path: path, Definition: definition(path, name),
		Documentation: doc}
}

// PatientParamDecl declares a reference parameter (patient or subject) that
// scopes a search to one Patient.
func PatientParamDecl(typ, name, path string) fhir.SearchParam {
	return fhir.SearchParam{Name: name, Type: fhir.TypeReference, Path: path,
		Definition: "http://hl7.org/fhir/SearchParameter/" + typ + "-" + name, Targets: []string{"Patient"},
		Documentation: "The patient the resources are about (its logical id, or Patient/id); required."}
}
