package fhirsql

import (
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSuccessor(t *testing.T) {
	for in, want := range map[string]string{
		"cha": "chb", "a\u00ff": "a\u0100", "z": "{", "\U0010FFFF": "", "a\U0010FFFF": "b", "\uD7FF": "\uE000",
	} {
		got, ok := successor(in)
		assert.Equal(t, want != "", ok, in)
		assert.Equal(t, want, got, in)
	}
	_, ok := successor("")
	assert.False(t, ok, "the empty prefix has no upper bound")
}

// Every string that starts with p sorts before successor(p), and
// successor(p) itself does not start with p.
func FuzzSuccessor(f *testing.F) {
	for _, s := range []string{"a", "chau", "é", "\U0010FFFF", "a\U0010FFFFb"} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, p, rest string) {
		if !utf8.ValidString(p) || !utf8.ValidString(rest) {
			return
		}
		hi, ok := successor(p)
		if !ok {
			for _, r := range p {
				require.Equal(t, rune(unicode.MaxRune), r)
			}
			return
		}
		require.True(t, utf8.ValidString(hi))
		require.Less(t, p+rest, hi)
		require.Less(t, p, hi)
		require.NotEqual(t, p, hi[:min(len(p), len(hi))])
	})
}

func TestIdent(t *testing.T) {
	for _, ok := range []string{"a", "tenant", "_x1", "Patient_Name"} {
		assert.True(t, ident(ok, false), ok)
	}
	for _, bad := range []string{"", "1a", "a b", "a;", "a--", `a"`, "a.b", "a.", ".a"} {
		assert.False(t, ident(bad, false), bad)
	}
	assert.True(t, ident("ehr.patient", true))
	assert.False(t, ident("a.b.c", true))
	assert.False(t, ident("a.", true))
}

func TestLikeEscape(t *testing.T) {
	assert.Equal(t, `50\%\_a\\b`, likeEscape(`50%_a\b`))
	assert.Equal(t, "plain", likeEscape("plain"))
}

func TestCursorRoundTrip(t *testing.T) {
	keys := []any{int64(-5), "Chau|é", 1.5, []byte{0, 1}, true}
	tok, err := encodeCursor("t a desc", keys)
	require.NoError(t, err)
	got, err := decodeCursor(tok, "t a desc", len(keys))
	require.NoError(t, err)
	assert.Equal(t, keys, got)

	_, err = decodeCursor(tok, "t a", len(keys))
	assert.ErrorIs(t, err, errBadCursor, "another order")
	_, err = decodeCursor(tok, "t a desc", 2)
	assert.ErrorIs(t, err, errBadCursor, "another key count")
	for _, bad := range []string{"!!", "e30", tok[:len(tok)-3]} {
		_, err = decodeCursor(bad, "t a desc", len(keys))
		assert.ErrorIs(t, err, errBadCursor, bad)
	}
	_, err = encodeCursor("x", []any{nil})
	assert.ErrorContains(t, err, "NOT NULL")
}
