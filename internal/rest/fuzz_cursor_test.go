package rest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzCursorOpen feeds arbitrary page cursors (the _cursor a client sends
// back) to the codec: only a cursor sealed with the key for this tenant and
// this query opens, to what was sealed; anything else is the one 400 error that says
// nothing about why.
func FuzzCursorOpen(f *testing.F) {
	const tenant, query = "c0ffee00-1111-2222-3333-444455556666", "_count=10&patient=p1"
	c, err := NewCursors([]byte(strings.Repeat("k", 32)), time.Hour)
	require.NoError(f, err)
	var sealed []CursorState
	for _, st := range []CursorState{{}, {Backend: "page-2", Offset: 10}, {Backend: strings.Repeat("x", MaxCursorBytes), Offset: 1 << 30}} {
		tok, err := c.Seal(tenant, query, st)
		require.NoError(f, err)
		sealed = append(sealed, st)
		f.Add(tok, tenant, query)
		f.Add(tok, "0badf00d-aaaa-bbbb-cccc-ddddeeeeffff", query)
		f.Add(tok, tenant, query+"&x=1")
		f.Add(tok[:len(tok)-2]+"AA", tenant, query)
	}
	f.Add("", tenant, query)
	f.Add("AQ", tenant, query)
	f.Add(strings.Repeat("A", 3000), tenant, query)
	f.Fuzz(func(t *testing.T, tok, tn, q string) {
		st, err := c.Open(tok, tn, q)
		if err != nil {
			assert.Equal(t, errCursor, err)
			assert.Equal(t, CursorState{}, st)
			return
		}
		// The seeds are sealed again in every fuzzing process (with its
		// clock): what opens is one of their states.
		assert.Contains(t, sealed, st, "a cursor that was never sealed opened: %q", tok)
		assert.Equal(t, tenant, tn, "a cursor opened for another tenant")
		assert.Equal(t, query, q, "a cursor opened for another query")
	})
}
