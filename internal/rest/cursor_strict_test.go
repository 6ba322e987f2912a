package rest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every change to a cursor's text is refused, even one that only touches
// the unused bits of its last base64 character (found by the randomized
// tenant-isolation test: a lenient decoder read two spellings as the same
// bytes).
func TestCursorEveryBitFlipRefused(t *testing.T) {
	c, err := NewCursors(make([]byte, 32), 0)
	require.NoError(t, err)
	tok, err := c.Seal("tenant-a", "patient=p-1", CursorState{Backend: "next-7", Offset: 2})
	require.NoError(t, err)
	st, err := c.Open(tok, "tenant-a", "patient=p-1")
	require.NoError(t, err)
	assert.Equal(t, CursorState{Backend: "next-7", Offset: 2}, st)
	for i := range len(tok) {
		for bit := range 8 {
			b := []byte(tok)
			b[i] ^= 1 << bit
			_, err := c.Open(string(b), "tenant-a", "patient=p-1")
			assert.Error(t, err, "byte %d bit %d accepted", i, bit)
		}
	}
}
