package fhirexamples

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

//go:embed dstu2/*.json stu3/*.json
var files embed.FS

// Version names a FHIR version whose examples are embedded. Its value is the
// name of the directory that holds the files.
type Version string

// The versions whose examples are embedded.
const (
	DSTU2 Version = "dstu2" // FHIR 1.0.2
	STU3  Version = "stu3"  // FHIR 3.0.1
)

// ErrUnknownVersion is returned for a [Version] other than [DSTU2] or [STU3].
var ErrUnknownVersion = errors.New("fhirexamples: unknown FHIR version")

// Example is one official example document.
type Example struct {
	// Name is the file name, e.g. "Patient-example.json".
	Name string
	// Data is the file content, exactly as published. Callers must not
	// modify it: it is shared by every caller of [All] and [Read].
	Data []byte
}

func (v Version) check() error {
	if v != DSTU2 && v != STU3 {
		return fmt.Errorf("%w: %q", ErrUnknownVersion, string(v))
	}
	return nil
}

// Names returns the file names of the examples of version v, sorted.
func Names(v Version) ([]string, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(files, string(v))
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names, nil
}

// Read returns the content of the example file name of version v. A name that
// does not exist gives an error that matches [fs.ErrNotExist].
func Read(v Version, name string) ([]byte, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	if name == "" || strings.ContainsAny(name, `/\`) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return files.ReadFile(path.Join(string(v), name))
}

// All returns every example of version v, sorted by file name.
func All(v Version) ([]Example, error) {
	names, err := Names(v)
	if err != nil {
		return nil, err
	}
	out := make([]Example, 0, len(names))
	for _, n := range names {
		data, err := files.ReadFile(path.Join(string(v), n))
		if err != nil {
			return nil, err
		}
		out = append(out, Example{Name: n, Data: data})
	}
	return out, nil
}

// FS returns the embedded files as a read-only file system with one directory
// per [Version] ("dstu2", "stu3").
func FS() fs.FS { return files }
