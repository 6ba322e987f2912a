package fhir

import (
	"testing"
	"time"
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
		if ok != c.ok {
			t.Errorf("%q: ok %v", c.in, ok)
			continue
		}
		if ok && (!s.Equal(mustTime(c.start)) || !e.Equal(mustTime(c.end))) {
			t.Errorf("%q: [%v, %v), want [%s, %s)", c.in, s, e, c.start, c.end)
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
			if got := MatchDate(v(c.p), x.r[0], x.r[1]); got != x.want {
				t.Errorf("%s %s: %v, want %v", c.p, x.name, got, x.want)
			}
		}
	}
	if !(DateParam{}).MatchString("garbage") {
		t.Error("an absent parameter must match anything")
	}
	if (DateParam{{v(PrefixEq)}}).MatchString("garbage") {
		t.Error("a malformed resource date matched")
	}
	if !(DateParam{{v(PrefixGe)}, {v(PrefixLe)}}).MatchString("2020-06-15") {
		t.Error("ge AND le of the month must match a day inside it")
	}
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
		if got := MatchString(c.v, c.text); got != c.want {
			t.Errorf("%+v on %q: %v", c.v, c.text, got)
		}
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
		if got := MatchToken(c.v, mrn); got != c.want {
			t.Errorf("%+v: %v", c.v, got)
		}
	}
	p := TokenParam{{{Code: "a"}, {Code: "b"}}, {{Code: "b"}}}
	if !p.Match(TokenCode{Code: "b"}) || p.Match(TokenCode{Code: "a"}) {
		t.Error("AND of OR lists")
	}
	if !(IDParam{{"x", "y"}}).Match("y") || (IDParam{{"x"}, {"y"}}).Match("x") {
		t.Error("IDParam")
	}
}
