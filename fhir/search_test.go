package fhir

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestDateRange(t *testing.T) {
	cases := []struct {
		in         string
		start, end string
		ok         bool
	}{
		{"1957", "1957-01-01T00:00:00Z", "1958-01-01T00:00:00Z", true},
		{"1978-11", "1978-11-01T00:00:00Z", "1978-12-01T00:00:00Z", true},
		{"1957-06-05", "1957-06-05T00:00:00Z", "1957-06-06T00:00:00Z", true},
		{"2019-03-01T10:30:00-05:00", "2019-03-01T15:30:00Z", "2019-03-01T15:30:01Z", true},
		{"2019-03-01T10:30:00.250Z", "2019-03-01T10:30:00.25Z", "2019-03-01T10:30:00.251Z", true},
		{"2019-03-01T10:30", "2019-03-01T10:30:00Z", "2019-03-01T10:31:00Z", true},
		{"", "", "", false},
		{"1957-13", "", "", false},
		{"09/17/2018 1:00:00 PM", "", "", false},
		{"2019-03-01 10:30:00", "", "", false},
	}
	for _, c := range cases {
		s, e, ok := DateRange(c.in)
		assert.Equal(t, c.ok, ok, "%q", c.in)
		if ok && c.ok {
			assert.True(t, s.Equal(mustTime(c.start)), "%q: start %v, want %s", c.in, s, c.start)
			assert.True(t, e.Equal(mustTime(c.end)), "%q: end %v, want %s", c.in, e, c.end)
		}
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestMatchDatePrefixes(t *testing.T) {
	// Search value 2020-06 is [2020-06-01, 2020-07-01).
	v := func(p Prefix) DateValue {
		return DateValue{Prefix: p, Start: day("2020-06-01"), End: day("2020-07-01"), Precision: PrecisionMonth}
	}
	inside := [2]time.Time{day("2020-06-10"), day("2020-06-11")}
	before := [2]time.Time{day("2020-05-10"), day("2020-05-11")}
	after := [2]time.Time{day("2020-08-10"), day("2020-08-11")}
	straddle := [2]time.Time{day("2020-05-20"), day("2020-06-10")}
	cases := []struct {
		p                                Prefix
		inside, before, after, straddles bool
	}{
		{PrefixEq, true, false, false, false},
		{PrefixNe, false, true, true, true},
		{PrefixGt, false, false, true, false},
		{PrefixLt, false, true, false, true},
		{PrefixGe, true, false, true, false},
		{PrefixLe, true, true, false, true},
		{PrefixSa, false, false, true, false},
		{PrefixEb, false, true, false, false},
		{PrefixAp, true, true, false, true},
	}
	for _, c := range cases {
		for _, x := range []struct {
			name string
			r    [2]time.Time
			want bool
		}{{"inside", inside, c.inside}, {"before", before, c.before}, {"after", after, c.after}, {"straddle", straddle, c.straddles}} {
			assert.Equal(t, x.want, MatchDate(v(c.p), x.r[0], x.r[1]), "%s %s", c.p, x.name)
		}
	}
	assert.True(t, (DateParam{}).MatchString("garbage"), "an absent parameter matches anything")
	assert.False(t, (DateParam{{v(PrefixEq)}}).MatchString("garbage"), "a malformed resource date")
	assert.True(t, (DateParam{{v(PrefixGe)}, {v(PrefixLe)}}).MatchString("2020-06-15"), "ge AND le of the month match a day inside it")
}

func TestMatchStringAndToken(t *testing.T) {
	str := []struct {
		v    StringValue
		text string
		want bool
	}{
		{StringValue{Value: "chau"}, "Chau", true},
		{StringValue{Value: "chau"}, "Chauvin", true},
		{StringValue{Value: "hau"}, "Chau", false},
		{StringValue{Value: "HAU", Modifier: ModContains}, "Chau", true},
		{StringValue{Value: "Chau", Modifier: ModExact}, "Chau", true},
		{StringValue{Value: "chau", Modifier: ModExact}, "Chau", false},
		{StringValue{Value: "chauvinist"}, "Chau", false},
	}
	for _, c := range str {
		assert.Equal(t, c.want, MatchString(c.v, c.text), "%+v on %q", c.v, c.text)
	}
	mrn := TokenCode{System: "http://hospital.example.org/mrn", Code: "1234567", Text: "Medical record number"}
	tok := []struct {
		v    TokenValue
		want bool
	}{
		{TokenValue{Code: "1234567"}, true},
		{TokenValue{Code: "1234567", System: "http://hospital.example.org/mrn", HasSystem: true}, true},
		{TokenValue{Code: "1234567", System: "http://other", HasSystem: true}, false},
		{TokenValue{Code: "1234567", HasSystem: true}, false}, // |code: no system
		{TokenValue{System: "http://hospital.example.org/mrn", HasSystem: true}, true},
		{TokenValue{Code: "1234567", Modifier: ModNot}, false},
		{TokenValue{Code: "999", Modifier: ModNot}, true},
		{TokenValue{Text: "medical", Modifier: ModText}, true},
	}
	for _, c := range tok {
		assert.Equal(t, c.want, MatchToken(c.v, mrn), "%+v", c.v)
	}
	p := TokenParam{{{Code: "a"}, {Code: "b"}}, {{Code: "b"}}}
	assert.True(t, p.Match(TokenCode{Code: "b"}), "AND of OR lists")
	assert.False(t, p.Match(TokenCode{Code: "a"}), "AND of OR lists")
	assert.True(t, (IDParam{{"x", "y"}}).Match("y"))
	assert.False(t, (IDParam{{"x"}, {"y"}}).Match("x"))
}
