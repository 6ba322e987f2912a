package restserver

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/patientsfhir/patientsfhir/fhir"
)

func TestErrorTypes(t *testing.T) {
	base := errors.New("dial 10.0.0.7: refused")
	for _, c := range []struct {
		err  error
		want string
	}{
		{base, "*errors.errorString"},
		{fmt.Errorf("pool: %w", base), "*fmt.wrapError > *errors.errorString"},
		{fhir.Safe(fmt.Errorf("pool: %w: %w", fhir.ErrUnavailable, base), "down"), "*fhir.Error > *fmt.wrapErrors > *errors.errorString"},
		{fhir.NewError(fhir.ErrTimeout, "late"), "*fhir.Error > *errors.errorString"},
	} {
		got := errorTypes(c.err)
		assert.Equal(t, c.want, got)
		assert.NotContains(t, got, "10.0.0.7")
	}
	deep := base
	for range 20 {
		deep = fmt.Errorf("again: %w", deep)
	}
	assert.Equal(t, 7, strings.Count(errorTypes(deep), " > "), "at most 8 types")
}

type mapBackend map[string]int

func TestBackendKey(t *testing.T) {
	p1, p2 := &struct{ n int }{1}, &struct{ n int }{1}
	assert.Equal(t, any(p1), backendKey(p1), "a pointer is its own key")
	assert.True(t, backendKey(p1) != backendKey(p2), "two backends, two keys")
	// A map is not comparable: keyed by its type, without panicking.
	k := backendKey(mapBackend{"a": 1})
	assert.Equal(t, reflect.TypeOf(mapBackend{}), k)
	a := abandonment{by: map[any]int{}}
	a.add(k, 1)
	a.add(k, 1)
	assert.Equal(t, 2, a.count(backendKey(mapBackend{})))
	a.add(k, -2)
	assert.Equal(t, 0, a.count(k))
	assert.Empty(t, a.by, "a backend with none left is forgotten")
}
