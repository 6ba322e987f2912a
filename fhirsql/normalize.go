package fhirsql

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// folder folds case the Unicode way (ß is ss, Σ and ς are σ).
var folder = cases.Fold()

// Normalize returns s as string parameters compare it: decomposed, without
// combining marks (accents), case-folded and recomposed. "Chávez" and
// "CHAVEZ" both become "chavez". Store Normalize(value) in the column a
// string parameter matches; the values of a query are normalised the same
// way.
func Normalize(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return folder.String(out)
}

// Suffixes returns the distinct suffixes of the normalised values, each at
// least one character long: the rows of a suffix table, which serves
// :contains as a range (a value contains "hau" exactly when one of its
// suffixes starts with "hau"). Suffixes("Chau") is [chau hau au u].
func Suffixes(values ...string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		n := Normalize(v)
		for i := range n {
			s := n[i:]
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}

// successor returns the smallest string greater than every string that
// starts with p, in code-point (byte) order, and false when there is none
// (p is empty or only U+10FFFF). The result is valid UTF-8 when p is.
func successor(p string) (string, bool) {
	rs := []rune(p)
	for len(rs) > 0 {
		last := rs[len(rs)-1]
		rs = rs[:len(rs)-1]
		switch {
		case last == unicode.MaxRune:
			continue
		case last == 0xD7FF:
			return string(append(rs, 0xE000)), true // skip the surrogates
		default:
			return string(append(rs, last+1)), true
		}
	}
	return "", false
}

// likeEscape escapes \, % and _ for LIKE ... ESCAPE '\'.
func likeEscape(s string) string {
	if !strings.ContainsAny(s, `\%_`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '\\' || r == '%' || r == '_' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
