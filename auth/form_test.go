package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// TestParseFormMatchesParseQuery checks that the token endpoint's form
// parser accepts exactly what url.ParseQuery accepts and yields the same
// values, on hand-picked and on random bodies.
func TestParseFormMatchesParseQuery(t *testing.T) {
	inputs := []string{
		"", "&", "&&a=1&&", "a", "a=", "=b", "a=1&b=2&a=3", "a=1;b=2", "a%3Bb=1", "a=%zz", "%=1",
		"a+b=c+d&e=%20%2B", "grant_type=client_credentials&client_id=x&client_secret=y&scope=" + tenantA,
		"a==b", "a=b=c", "%41=%42", "a=%", "a=%4", "é=ü", "a=\x00",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab=&;%+2F0zé"
	for range 3000 {
		var sb strings.Builder
		for range rng.IntN(12) {
			sb.WriteByte(alphabet[rng.IntN(len(alphabet))])
		}
		inputs = append(inputs, sb.String())
	}
	for _, in := range inputs {
		want, werr := url.ParseQuery(in)
		got, gerr := parseForm(in)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: ParseQuery error %v, parseForm error %v", in, werr, gerr)
		}
		if werr != nil {
			continue
		}
		asValues := url.Values{}
		for _, p := range got {
			asValues[p.name] = append(asValues[p.name], p.value)
		}
		if !reflect.DeepEqual(asValues, want) {
			t.Fatalf("%q: got %v, want %v", in, asValues, want)
		}
		for name, vs := range want {
			if !got.Has(name) || got.Get(name) != vs[0] || got.repeated() != (len(vs) > 1) && len(want) == 1 {
				t.Fatalf("%q: Get/Has/repeated disagree for %q", in, name)
			}
		}
	}
}

func TestParseFormLimits(t *testing.T) {
	if _, err := parseForm(strings.Repeat("a=1&", maxFormParams)); err == nil {
		t.Fatal("too many parameters accepted")
	}
	many := make(formParams, 0, 40)
	for i := range 40 {
		many = append(many, formParam{name: string(rune('A' + i))})
	}
	if many.repeated() {
		t.Fatal("distinct names reported repeated")
	}
	if many = append(many, formParam{name: "B"}); !many.repeated() {
		t.Fatal("repeat among 41 parameters missed")
	}
	// A body over the cap is a read error, not a truncated form.
	r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(strings.Repeat("a", 2000)))
	r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, 1000)
	if _, err := parseFormBody(r); err == nil {
		t.Fatal("body over the cap parsed")
	}
	r = httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("x="+strings.Repeat("a", 5000)))
	if f, err := parseFormBody(r); err != nil || len(f.Get("x")) != 5000 {
		t.Fatalf("large body: %v %d", err, len(f.Get("x")))
	}
}

func TestCanonicalB64URL256MatchesStrictDecoding(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=."
	for i := range 20000 {
		b := make([]byte, secretBodyLen-1+i%3)
		for k := range b {
			if rng.IntN(40) == 0 {
				b[k] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[k] = alphabet[rng.IntN(64)]
			}
		}
		s := string(b)
		_, err := base64.RawURLEncoding.Strict().DecodeString(s)
		want := err == nil && len(s) == secretBodyLen
		if got := canonicalB64URL256(s); got != want {
			t.Fatalf("%q: got %v, want %v", s, got, want)
		}
	}
}

func TestSHA256String(t *testing.T) {
	for _, n := range []int{0, 59, 96, 97, 300} {
		s := strings.Repeat("x", n)
		if sha256String(s) != sha256.Sum256([]byte(s)) {
			t.Fatalf("length %d", n)
		}
	}
}
