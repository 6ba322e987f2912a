package restserver

import (
	"testing"
	"time"

	"github.com/patientsfhir/patientsfhir/fhir"
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
	v := func(p fhir.Prefix) fhir.DateValue {
		return fhir.DateValue{Prefix: p, Start: day("2020-06-01"), End: day("2020-07-01"), Precision: fhir.PrecisionMonth}
	}
	inside := [2]time.Time{day("2020-06-10"), day("2020-06-11")}
	before := [2]time.Time{day("2020-05-10"), day("2020-05-11")}
	after := [2]time.Time{day("2020-08-10"), day("2020-08-11")}
	straddle := [2]time.Time{day("2020-05-20"), day("2020-06-10")}
	cases := []struct {
		p                                fhir.Prefix
		inside, before, after, straddles bool
	}{
		{fhir.PrefixEq, true, false, false, false},
		{fhir.PrefixNe, false, true, true, true},
		{fhir.PrefixGt, false, false, true, false},
		{fhir.PrefixLt, false, true, false, true},
		{fhir.PrefixGe, true, false, true, false},
		{fhir.PrefixLe, true, true, false, true},
		{fhir.PrefixSa, false, false, true, false},
		{fhir.PrefixEb, false, true, false, false},
		{fhir.PrefixAp, true, true, false, true},
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
	if (DateParam{{v(fhir.PrefixEq)}}).MatchString("garbage") {
		t.Error("a malformed resource date matched")
	}
	if !(DateParam{{v(fhir.PrefixGe)}, {v(fhir.PrefixLe)}}).MatchString("2020-06-15") {
		t.Error("ge AND le of the month must match a day inside it")
	}
}

func TestMatchStringAndToken(t *testing.T) {
	str := []struct {
		v    fhir.StringValue
		text string
		want bool
	}{
		{fhir.StringValue{Value: "chau"}, "Chau", true},
		{fhir.StringValue{Value: "chau"}, "Chauvin", true},
		{fhir.StringValue{Value: "hau"}, "Chau", false},
		{fhir.StringValue{Value: "HAU", Modifier: fhir.ModContains}, "Chau", true},
		{fhir.StringValue{Value: "Chau", Modifier: fhir.ModExact}, "Chau", true},
		{fhir.StringValue{Value: "chau", Modifier: fhir.ModExact}, "Chau", false},
		{fhir.StringValue{Value: "chauvinist"}, "Chau", false},
	}
	for _, c := range str {
		if got := MatchString(c.v, c.text); got != c.want {
			t.Errorf("%+v on %q: %v", c.v, c.text, got)
		}
	}
	mrn := Code{System: "http://hospital.example.org/mrn", Code: "1234567", Text: "Medical record number"}
	tok := []struct {
		v    fhir.TokenValue
		want bool
	}{
		{fhir.TokenValue{Code: "1234567"}, true},
		{fhir.TokenValue{Code: "1234567", System: "http://hospital.example.org/mrn", HasSystem: true}, true},
		{fhir.TokenValue{Code: "1234567", System: "http://other", HasSystem: true}, false},
		{fhir.TokenValue{Code: "1234567", HasSystem: true}, false}, // |code: no system
		{fhir.TokenValue{System: "http://hospital.example.org/mrn", HasSystem: true}, true},
		{fhir.TokenValue{Code: "1234567", Modifier: fhir.ModNot}, false},
		{fhir.TokenValue{Code: "999", Modifier: fhir.ModNot}, true},
		{fhir.TokenValue{Text: "medical", Modifier: fhir.ModText}, true},
	}
	for _, c := range tok {
		if got := MatchToken(c.v, mrn); got != c.want {
			t.Errorf("%+v: %v", c.v, got)
		}
	}
	p := TokenParam{{{Code: "a"}, {Code: "b"}}, {{Code: "b"}}}
	if !p.Match(Code{Code: "b"}) || p.Match(Code{Code: "a"}) {
		t.Error("AND of OR lists")
	}
	if !(IDParam{{"x", "y"}}).Match("y") || (IDParam{{"x"}, {"y"}}).Match("x") {
		t.Error("IDParam")
	}
}

func TestRefersTo(t *testing.T) {
	for ref, want := range map[string]bool{
		"Patient/pat-1":                          true,
		"https://ehr.example/fhir/Patient/pat-1": true,
		"Patient/pat-1/_history/3":               true,
		"Patient/pat-11":                         false,
		"Patient/xpat-1":                         false,
		"Group/pat-1":                            false,
		"NotPatient/pat-1":                       false,
		"":                                       false,
	} {
		if got := refersTo(ref, "pat-1"); got != want {
			t.Errorf("%q: %v", ref, got)
		}
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{"pat-1": true, "a.b": true, "": false, "a b": false, "a/b": false, "ü": false} {
		if validID(id) != want {
			t.Errorf("%q", id)
		}
	}
}
