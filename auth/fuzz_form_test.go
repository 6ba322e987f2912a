package auth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzParseForm checks the token endpoint's form parser against the
// standard library's: parseForm promises url.ParseQuery's rules (keeping
// order and repeats), so both must accept and refuse the same bodies and
// find the same values.
func FuzzParseForm(f *testing.F) {
	for _, s := range []string{
		"grant_type=client_credentials&client_id=teams-app&client_secret=s3cr%2Bt&scope=c0ffee00-1111-2222-3333-444455556666",
		"grant-type=client_credentials&client_id=a&client_secret=b",
		"a=1&a=2&&b&=c&d=",
		"x=%zz", "x;y=1", "%", "+=+", "a=%E2%82%AC&b=%e2%82%ac",
		strings.Repeat("a=1&", 300),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got, err := parseForm(body)
		want, werr := url.ParseQuery(body)
		if strings.Count(body, "&") >= maxFormParams {
			require.Error(t, err, "more parameters than maxFormParams were accepted")
			return
		}
		if werr != nil {
			require.Error(t, err, "url.ParseQuery refuses %q (%v) but parseForm accepts it", body, werr)
			return
		}
		require.NoError(t, err, "url.ParseQuery accepts %q but parseForm refuses it", body)
		byName := url.Values{}
		for _, p := range got {
			byName[p.name] = append(byName[p.name], p.value)
			assert.True(t, got.Has(p.name))
		}
		assert.Equal(t, want, byName)
		for name, vs := range want {
			assert.Equal(t, vs[0], got.Get(name))
			if len(vs) > 1 {
				assert.True(t, got.repeated(), "a repeated parameter is not reported")
			}
		}
	})
}

// FuzzBasicCredentials checks how the token endpoint reads client
// credentials from an Authorization header and the form: whatever the
// header, it never panics; when it accepts, the credentials are exactly
// what Go's own Basic parser and RFC 6749 §2.3.1's form-decoding give, and
// a body secret was not also sent.
func FuzzBasicCredentials(f *testing.F) {
	basic := func(id, secret string) string {
		r := httptest.NewRequest(http.MethodPost, "/token", nil)
		r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		return r.Header.Get("Authorization")
	}
	f.Add(basic("teams-app", "s3cr+t:with:colons"), "", "", true)
	f.Add(basic("a%b", "é"), "a%b", "", true)
	f.Add("Basic Zm9vOmJhcg==", "foo", "x", true)
	f.Add("bAsIc Zm9vOmJhcg", "", "", true)
	f.Add("Bearer abc", "teams-app", "secret", true)
	f.Add("", "teams-app", "secret", false)
	f.Add("Basic JXp6OiV6eg==", "", "", true) // %zz:%zz
	f.Fuzz(func(t *testing.T, authz, formID, formSecret string, withHeader bool) {
		r := httptest.NewRequest(http.MethodPost, "/token", nil)
		if withHeader {
			r.Header["Authorization"] = []string{authz}
		}
		form := formParams{{"client_id", formID}, {"client_secret", formSecret}}
		id, secret, code, ok := credentials(r, form)
		if !ok {
			assert.Contains(t, []string{ErrCodeInvalidClient, ErrCodeInvalidRequest}, code)
			assert.Empty(t, secret, "a refused request returned a secret")
			return
		}
		assert.Empty(t, code)
		require.NotEmpty(t, id)
		require.NotEmpty(t, secret)
		if !withHeader {
			assert.Equal(t, formID, id)
			assert.Equal(t, formSecret, secret)
			return
		}
		assert.Empty(t, formSecret, "credentials accepted from two methods")
		rawID, rawSecret, ok := r.BasicAuth()
		require.True(t, ok, "accepted a header Go's Basic parser refuses: %q", authz)
		wantID, err := url.QueryUnescape(rawID)
		require.NoError(t, err)
		wantSecret, err := url.QueryUnescape(rawSecret)
		require.NoError(t, err)
		assert.Equal(t, wantID, id)
		assert.Equal(t, wantSecret, secret)
		if formID != "" {
			assert.Equal(t, formID, id, "a body client_id that differs from the header's was accepted")
		}
	})
}
