package fhirjson

import "strconv"

// Validator carries the state of one Validate call through the generated
// validate methods: the path of the element being checked, kept in one
// reusable buffer (descending appends a segment, returning truncates it, so
// nothing is allocated unless an issue is reported), and the issues found.
type Validator struct {
	path []byte
	errs ValidationErrors
}

// NewValidator returns a Validator whose path starts at root ("Patient").
func NewValidator(root string) *Validator {
	v := &Validator{path: make([]byte, 0, 128)}
	v.path = append(v.path, root...)
	return v
}

// Push descends into member name and returns the mark to Pop back to.
func (v *Validator) Push(name string) int {
	n := len(v.path)
	v.path = append(append(v.path, '.'), name...)
	return n
}

// PushIndex descends into element i of the repeating member name.
func (v *Validator) PushIndex(name string, i int) int {
	n := v.Push(name)
	v.path = append(v.path, '[')
	v.path = strconv.AppendInt(v.path, int64(i), 10)
	v.path = append(v.path, ']')
	return n
}

// Pop returns to the mark returned by Push or PushIndex.
func (v *Validator) Pop(mark int) { v.path = v.path[:mark] }

func (v *Validator) at(name string, i int) string {
	n := len(v.path)
	if i < 0 {
		v.Push(name)
	} else {
		v.PushIndex(name, i)
	}
	s := string(v.path)
	v.Pop(n)
	return s
}

// Missing records that the required member name of the current element is
// absent.
func (v *Validator) Missing(name string) { v.errs.Missing(v.at(name, -1)) }

// BadCode records that member name (element i when i >= 0) holds a code
// that is not in the required value set valueSet.
func (v *Validator) BadCode(name string, i int, valueSet string) {
	v.errs.BadCode(v.at(name, i), valueSet)
}

// BadFormat records that member name (element i when i >= 0) is not a
// valid value of the FHIR primitive typ.
func (v *Validator) BadFormat(name string, i int, typ string) {
	v.errs.BadFormat(v.at(name, i), typ)
}

// Err returns the issues found as a ValidationErrors, or nil.
func (v *Validator) Err() error { return v.errs.Err() }

// OneOf records that more than one type of the choice element name (such as
// "value[x]") is set.
func (v *Validator) OneOf(name string) {
	v.errs.Add(v.at(name, -1), "more than one type of the choice element is set")
}

// CountSet returns how many of set are true. The generated validate methods
// use it to check that at most one type of a choice element is set.
func CountSet(set ...bool) int {
	n := 0
	for _, b := range set {
		if b {
			n++
		}
	}
	return n
}
