package kit

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSpanWithin(t *testing.T) {
	at := func(s string) span {
		lo, hi, ok := dateRange(s)
		require.True(t, ok, "dateRange(%q) does not parse", s)
		return span{lo, hi}
	}
	instant := at("2019-03-01T10:30:00-05:00")
	tests := []struct {
		sp    span
		value string
		want  bool
	}{
		{instant, "2019-03-01", true},
		{instant, "2019-03-02", false},
		{instant, "1900-01-01", false},
		{instant, "ge2018-01-01", true},
		{instant, "ge2020-01-01", false},
		{instant, "le2020-12-31", true},
		{instant, "le2018-12-31", false},
		{instant, "gt2019-02-28", true},
		{instant, "lt2019-03-01", false},
		{at("1978-11"), "1978-11-05", false},
		{at("1978-11"), "1978", true},
		{instant, "ap2019", true},     // not judged
		{instant, "not-a-date", true}, // not judged
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, tc.sp.within(tc.value), tc.value)
	}
}

func TestDiff(t *testing.T) {
	assert.Equal(t, "2 against 2 resources; entry 1 is b against c", diff([]string{"a", "b"}, []string{"a", "c"}))
	assert.Equal(t, "1 against 2 resources; entry 1 is nothing against c", diff([]string{"a"}, []string{"a", "c"}))
}

func TestOtherValues(t *testing.T) {
	assert.Equal(t, "1958-06-05", otherBirthDate("1957-06-05"))
	assert.Equal(t, "2002", otherBirthDate("2001"))
	assert.Empty(t, otherBirthDate("x"))
	assert.Empty(t, otherBirthDate("abcd-01-01"))
	assert.Equal(t, "female", otherGender("male"))
	assert.Equal(t, "male", otherGender("female"))
	assert.Equal(t, "female", otherGender("unknown"))
	assert.NotContains(t, "chau", notSubstring("Chau"))
}
