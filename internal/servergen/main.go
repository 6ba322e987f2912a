// Command servergen writes each FHIR version's server surface from one
// declaration (decl.go): the backend interfaces, typed queries, search
// parameters, Config, Profile, PatientsApp and the engine bindings of
// package stu3 or dstu2 (server_gen.go), the in-memory backend of its mem
// package, its conformance-kit wrapper, its upstream proxy backend, and the
// description of the version that the shared server tests of
// internal/restserver/servertest read (servertest_gen_test.go in the version
// and mem packages). What differs between DSTU2 and STU3 is the
// declaration; the text is the same template for both, so no Go source is
// ever made by substituting strings in other Go source.
//
// Run it through go generate ./stu3/... ./dstu2/... (the version packages
// carry the directive), or from the module root:
//
//	go run ./internal/servergen -version stu3 -root .
package main

import (
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

//go:embed server.tmpl
var serverTmpl string

//go:embed mem.tmpl
var memTmpl string

//go:embed kit.tmpl
var kitTmpl string

//go:embed proxy.tmpl
var proxyTmpl string

//go:embed servertest.tmpl
var serverTestTmpl string

//go:embed kittest.tmpl
var kitTestTmpl string

func main() {
	version := flag.String("version", "", "stu3 or dstu2")
	root := flag.String("root", ".", "the module root")
	flag.Parse()
	var v Version
	switch *version {
	case "stu3":
		v = STU3
	case "dstu2":
		v = DSTU2
	default:
		log.Fatalf("servergen: -version must be stu3 or dstu2, not %q", *version)
	}
	mem := v.Pkg + "mem"
	files := []struct{ tmpl, path, testPkg string }{
		{serverTmpl, filepath.Join(v.Pkg, "server_gen.go"), ""},
		{memTmpl, filepath.Join(v.Pkg, mem, mem+"_gen.go"), ""},
		{kitTmpl, filepath.Join(v.Pkg, v.Pkg+"test", v.Pkg+"test_gen.go"), ""},
		{kitTestTmpl, filepath.Join(v.Pkg, v.Pkg+"test", v.Pkg+"test_gen_test.go"), v.Pkg + "test_test"},
		// The shared server tests' description of the version, for the
		// tests of the version package and of its in-memory backend.
		{serverTestTmpl, filepath.Join(v.Pkg, "servertest_gen_test.go"), v.Pkg + "_test"},
		{serverTestTmpl, filepath.Join(v.Pkg, mem, "servertest_gen_test.go"), mem + "_test"},
		{proxyTmpl, filepath.Join(v.Pkg, v.Pkg+"proxy", v.Pkg+"proxy_gen.go"), ""},
	}
	for _, f := range files {
		src, err := render(f.tmpl, data{v, f.testPkg, f.testPkg == mem+"_test"})
		if err != nil {
			log.Fatalf("servergen: %s: %v", f.path, err)
		}
		if err := os.WriteFile(filepath.Join(*root, f.path), src, 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// data is what a template gets: the version, and the package of a test
// file.
type data struct {
	Version
	TestPkg string
	// Mem: the test file is the mem package's, which needs no typed fake.
	Mem bool
}

// render executes a template for v and gofmts the result.
func render(text string, v data) ([]byte, error) {
	t, err := template.New("").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		return nil, err
	}
	out, err := format.Source(buf.Bytes())
	if err != nil {
		return buf.Bytes(), fmt.Errorf("gofmt: %w", err)
	}
	return out, nil
}

var funcs = template.FuncMap{
	"comment": comment,
	"strs": func(ss []string) string {
		q := make([]string, len(ss))
		for i, s := range ss {
			q[i] = fmt.Sprintf("%q", s)
		}
		return "[]string{" + strings.Join(q, ", ") + "}"
	},
	"kindType": func(kind string) string {
		return map[string]string{"string": "StringParam", "token": "TokenParam", "date": "DateParam"}[kind]
	},
	"kindGetter": func(kind string) string {
		return map[string]string{"string": "Strings", "token": "Tokens", "date": "Dates"}[kind]
	},
	"paramDecl": paramDecl,
	// jsonName is the JSON member of a Go field of the models: Subject ->
	// subject.
	"jsonName": func(field string) string { return strings.ToLower(field[:1]) + field[1:] },
	// other is the declaration of the other version.
	"other": func(pkg string) Version {
		if pkg == STU3.Pkg {
			return DSTU2
		}
		return STU3
	},
	// medication is the type the Patients app lists medications with: the
	// version's first Medication* resource (MedicationRequest, MedicationOrder).
	"medication": func(v Version) string {
		for _, r := range v.Resources {
			if strings.HasPrefix(r.Type, "Medication") {
				return r.Type
			}
		}
		panic("servergen: " + v.Name + " declares no Medication* resource")
	},
}

// comment wraps text as a // comment of at most 76 columns, for a field
// indented by one tab.
func comment(text string) string {
	var lines []string
	line := "//"
	for _, w := range strings.Fields(text) {
		if len(line)+1+len(w) > 76 && line != "//" {
			lines = append(lines, line)
			line = "//"
		}
		line += " " + w
	}
	lines = append(lines, line)
	return strings.Join(lines, "\n\t")
}

// paramDecl is the Go expression declaring p.
func paramDecl(pkg string, p Param) string {
	typ, _, _ := strings.Cut(p.Path, ".")
	switch p.Kind {
	case "string":
		return fmt.Sprintf("restserver.StringParamDecl(%q, %q, %q)", p.Name, p.Path, p.Doc)
	case "token":
		return fmt.Sprintf("restserver.TokenParamDecl(%q, %q, %q)", p.Name, p.Path, p.Doc)
	case "date":
		return fmt.Sprintf("restserver.DateParamDecl(%q, %q, %q)", p.Name, p.Path, p.Doc)
	case "scope":
		return fmt.Sprintf("restserver.PatientParamDecl(%q, %q, %q)", typ, p.Name, p.Path)
	case "custom-scope":
		return fmt.Sprintf("{Name: %q, Type: fhir.TypeReference, Path: %q, Targets: []string{\"Patient\"},\n\t\tDocumentation: %q}", p.Name, p.Path, p.Doc)
	}
	panic("servergen: unknown parameter kind " + p.Kind)
}
