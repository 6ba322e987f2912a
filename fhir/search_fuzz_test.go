package fhir

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// FuzzDateRange: any resource date string either is refused or gives a
// non-empty range, and never panics.
func FuzzDateRange(f *testing.F) {
	for _, s := range []string{"1957", "1978-11", "1957-06-05", "2019-03-01T10:30:00-05:00", "2019-03-01T10:30:00.250Z", "2019-03-01T10:30", "09/17/2018 1:00:00 PM", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, end, ok := DateRange(s)
		if ok {
			assert.True(t, start.Before(end), "%q: empty range [%v, %v)", s, start, end)
		}
	})
}
