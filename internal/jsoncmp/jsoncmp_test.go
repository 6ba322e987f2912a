package jsoncmp_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir/internal/jsoncmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name      string
		want, got string
		diffs     []string // Difference.String() of each, in order
	}{
		{"identical", `{"a":1}`, `{"a":1}`, nil},
		{"member order and whitespace", `{"a":1,"b":[true,null]}`, "{ \"b\" : [ true , null ] ,\n \"a\" : 1 }", nil},
		{"escapes are unescaped", `{"div":"<b>\u00e9</b>"}`, `{"div":"\u003cb\u003eé\u003c/b\u003e"}`, nil},
		{"number lexical trailing zero", `{"v":1.50}`, `{"v":1.5}`, []string{"v: got 1.5, want 1.50"}},
		{"number lexical exponent", `{"v":1e2}`, `{"v":100}`, []string{"v: got 100, want 1e2"}},
		{"number vs string", `{"v":1}`, `{"v":"1"}`, []string{`v: got "1", want 1`}},
		{"missing member", `{"a":1,"b":{"c":"x"}}`, `{"a":1}`, []string{`b: missing, want {"c":"x"}`}},
		{"extra member", `{"a":1}`, `{"a":1,"_a":{"id":"x"}}`, []string{`_a: unexpected {"id":"x"}`}},
		{"null is not absent", `{"a":null}`, `{}`, []string{"a: missing, want null"}},
		{"array order matters", `{"given":["a","b"]}`, `{"given":["b","a"]}`, []string{
			`given[0]: got "b", want "a"`, `given[1]: got "a", want "b"`}},
		{"array shorter", `{"x":[1,2,3]}`, `{"x":[1]}`, []string{"x[1]: missing, want 2", "x[2]: missing, want 3"}},
		{"array longer", `[1]`, `[1,{}]`, []string{"[1]: unexpected {}"}},
		{"nested path", `{"name":[{"given":["Peter","James"]}]}`, `{"name":[{"given":["Peter","Jim"]}]}`,
			[]string{`name[0].given[1]: got "Jim", want "James"`}},
		{"odd member names are quoted", `{"a.b":1,"1x":2}`, `{"a.b":2,"1x":2}`, []string{`["a.b"]: got 2, want 1`}},
		{"root kind", `{}`, `[]`, []string{"(root): got [], want {}"}},
		{"bool", `true`, `false`, []string{"(root): got false, want true"}},
		{"surrogate pair", `{"s":"\ud83d\ude00 \/"}`, "{\"s\":\"😀 /\"}", nil},
		{"invalid UTF-8 equals its replacement", "{\"s\":\"a\xffb\"}", `{"s":"a\ufffdb"}`, nil},
		{"escaped quote and backslash", `["a\"b\\"]`, `[ "a\u0022b\u005c" ]`, nil},
		{"empty containers and whitespace", "{ \"a\" : [ ] , \"b\" : { } , \"c\" : [ -1.0E+2 ] }", `{"c":[-1.0E+2],"b":{},"a":[]}`, nil},
		{"empty containers differ", `{"a":[],"b":{}}`, `{"a":{},"b":[]}`, []string{"a: got {}, want []", "b: got [], want {}"}},
		{"negative exponent lexical", `[-1e-2]`, `[-0.01]`, []string{"[0]: got -0.01, want -1e-2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			diffs, err := jsoncmp.Diff([]byte(tc.want), []byte(tc.got))
			require.NoError(t, err)
			var got []string
			for _, d := range diffs {
				got = append(got, d.String())
			}
			assert.Equal(t, tc.diffs, got)
			eq, err := jsoncmp.Equal([]byte(tc.want), []byte(tc.got))
			require.NoError(t, err)
			assert.Equal(t, len(tc.diffs) == 0, eq, "Equal")
		})
	}
}

func TestDiffInvalid(t *testing.T) {
	for _, tc := range []struct {
		name, want, got, errPart string
	}{
		{"want truncated", `{"a":`, `{}`, "want"},
		{"got truncated", `{}`, `[1,`, "got"},
		{"got empty", `{}`, ``, "got"},
		{"trailing data", `{} {}`, `{}`, "after top-level value"},
		{"trailing garbage", `{}`, `{}x`, "got"},
		{"duplicate member", `{"a":1}`, `{"a":1,"b":{"c":1,"c":2}}`, "b.c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := jsoncmp.Diff([]byte(tc.want), []byte(tc.got))
			require.Error(t, err, "diffs %v", d)
			assert.ErrorContains(t, err, tc.errPart)
			eq, _ := jsoncmp.Equal([]byte(tc.want), []byte(tc.got))
			assert.False(t, eq, "Equal of invalid input")
		})
	}
	_, err := jsoncmp.Diff([]byte(`{"a":1,"a":1}`), []byte(`{}`))
	assert.ErrorIs(t, err, jsoncmp.ErrDuplicateMember)
}

func TestLongValuesAreShortened(t *testing.T) {
	long := `"` + strings.Repeat("é", 300) + `"`
	diffs, err := jsoncmp.Diff([]byte(`{"a":`+long+`}`), []byte(`{}`))
	require.NoError(t, err)
	require.Len(t, diffs, 1)
	s := diffs[0].Want
	assert.LessOrEqual(t, len(s), 130, "Want shortened: %q", s)
	assert.True(t, strings.HasSuffix(s, "…"), "Want shortened with an ellipsis: %q", s)
	assert.True(t, strings.HasPrefix(s, `"éé`), "Want keeps its start: %q", s)
	assert.NotContains(t, s, "\uFFFD", "shortening broke a rune")
	big := `[` + strings.Repeat(`{"k":"vvvvvvvvvv"},`, 100) + `1]`
	diffs, err = jsoncmp.Diff([]byte(big), []byte(`null`))
	require.NoError(t, err)
	require.Len(t, diffs, 1)
	assert.LessOrEqual(t, len(diffs[0].Want), 130, "a big array shortened")
}

func TestFormat(t *testing.T) {
	diffs := []jsoncmp.Difference{
		{Path: "a", Want: "1", Got: "2"},
		{Path: "b", Want: "1"},
		{Path: "c", Got: "3"},
	}
	assert.Equal(t, "a: got 2, want 1\nb: missing, want 1\n... and 1 more", jsoncmp.Format(diffs, 2))
	assert.Equal(t, "a: got 2, want 1\nb: missing, want 1\nc: unexpected 3", jsoncmp.Format(diffs, 0))
	assert.Empty(t, jsoncmp.Format(nil, 5))
}

func ExampleDiff() {
	want := []byte(`{"resourceType":"Observation","valueQuantity":{"value":1.50,"unit":"mg"}}`)
	got := []byte(`{"valueQuantity":{"unit":"mg","value":1.5},"resourceType":"Observation","id":"x"}`)
	diffs, err := jsoncmp.Diff(want, got)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(jsoncmp.Format(diffs, 10))
	// Output:
	// valueQuantity.value: got 1.5, want 1.50
	// id: unexpected "x"
}
