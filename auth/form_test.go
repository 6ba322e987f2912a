package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		require.Equal(t, werr == nil, gerr == nil, "%q: ParseQuery error %v, parseForm error %v", in, werr, gerr)
		if werr != nil {
			continue
		}
		asValues := url.Values{}
		for _, p := range got {
			asValues[p.name] = append(asValues[p.name], p.value)
		}
		require.Equal(t, want, asValues, "%q", in)
		for name, vs := range want {
			require.True(t, got.Has(name), "%q: Has(%q)", in, name)
			require.Equal(t, vs[0], got.Get(name), "%q: Get(%q)", in, name)
			if len(want) == 1 {
				require.Equal(t, len(vs) > 1, got.repeated(), "%q: repeated", in)
			}
		}
	}
}

func TestParseFormLimits(t *testing.T) {
	_, err := parseForm(strings.Repeat("a=1&", maxFormParams))
	assert.Error(t, err, "too many parameters accepted")
	many := make(formParams, 0, 40)
	for i := range 40 {
		many = append(many, formParam{name: string(rune('A' + i))})
	}
	assert.False(t, many.repeated(), "distinct names reported repeated")
	many = append(many, formParam{name: "B"})
	assert.True(t, many.repeated(), "repeat among 41 parameters missed")
}

func TestReadBody(t *testing.T) {
	// A body over the cap while streaming is a read error, not a truncated form.
	r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(strings.Repeat("a", 2000)))
	r.ContentLength = -1
	_, berr := readBody(httptest.NewRecorder(), r, 1000, time.Second)
	assert.Equal(t, bodyBad, berr)
	// A declared length over the cap is refused before reading.
	r = httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(strings.Repeat("a", 2000)))
	_, berr = readBody(httptest.NewRecorder(), r, 1000, time.Second)
	assert.Equal(t, bodyTooLarge, berr)
	// A large body within the cap is read whole.
	r = httptest.NewRequest(http.MethodPost, "/token", strings.NewReader("x="+strings.Repeat("a", 5000)))
	bp, berr := readBody(httptest.NewRecorder(), r, 16<<10, time.Second)
	require.Equal(t, bodyOK, berr)
	f, err := parseForm(string(*bp))
	putBody(bp)
	require.NoError(t, err)
	assert.Len(t, f.Get("x"), 5000)
	// No body at all.
	r = httptest.NewRequest(http.MethodPost, "/token", nil)
	bp, berr = readBody(httptest.NewRecorder(), r, 1000, time.Second)
	require.Equal(t, bodyOK, berr)
	assert.Empty(t, *bp)
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
		require.Equal(t, want, canonicalB64URL256(s), "%q", s)
	}
}

func TestSHA256String(t *testing.T) {
	for _, n := range []int{0, 59, 96, 97, 300} {
		s := strings.Repeat("x", n)
		assert.Equal(t, sha256.Sum256([]byte(s)), sha256String(s), "length %d", n)
	}
}
