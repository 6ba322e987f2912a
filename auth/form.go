package auth

import (
	"errors"
	"net/url"
	"strings"
)

// formParam is one name=value pair of a form body, unescaped.
type formParam struct{ name, value string }

// formParams are the parameters of an application/x-www-form-urlencoded
// token-endpoint body, in order. The token endpoint reads a handful of
// parameters from a small body; a slice scanned linearly costs a fraction
// of the url.Values map (and the r.Form copy) that Request.ParseForm builds.
type formParams []formParam

// Get returns the first value of name, or "".
func (f formParams) Get(name string) string {
	for _, p := range f {
		if p.name == name {
			return p.value
		}
	}
	return ""
}

// Has reports whether name was sent, even with an empty value.
func (f formParams) Has(name string) bool {
	for _, p := range f {
		if p.name == name {
			return true
		}
	}
	return false
}

// repeated reports whether any parameter name occurs twice.
func (f formParams) repeated() bool {
	if len(f) <= 16 {
		for i := range f {
			for j := i + 1; j < len(f); j++ {
				if f[i].name == f[j].name {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]struct{}, len(f))
	for _, p := range f {
		if _, dup := seen[p.name]; dup {
			return true
		}
		seen[p.name] = struct{}{}
	}
	return false
}

// maxFormParams bounds the parameters of a token-endpoint body (net/url
// allows 10 000 by default; a token request has at most six).
const maxFormParams = 256

var errFormSyntax = errors.New("auth: malformed form body")

// parseForm parses an application/x-www-form-urlencoded string with
// url.ParseQuery's rules, keeping the order and repeats.
func parseForm(s string) (formParams, error) {
	if strings.Count(s, "&") >= maxFormParams {
		return nil, errFormSyntax
	}
	f := make(formParams, 0, 8)
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		if strings.Contains(pair, ";") {
			return nil, errFormSyntax
		}
		if pair == "" {
			continue
		}
		name, value, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(name)
		if err != nil {
			return nil, err
		}
		if value, err = url.QueryUnescape(value); err != nil {
			return nil, err
		}
		f = append(f, formParam{name, value})
	}
	return f, nil
}
