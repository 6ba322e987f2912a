package fhirsql

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

func openCacheDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "c.db"))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// stmtOf returns the cached statement of text, nil when it is not cached.
func (c *StmtCache) stmtOf(text string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byText[text]; ok {
		return e.Value.(*cachedStmt).stmt
	}
	return nil
}

// closed reports whether st was closed.
func closed(st *sql.Stmt) bool {
	rows, err := st.Query()
	if err == nil {
		rows.Close()
	}
	return err != nil && err.Error() == "sql: statement is closed"
}

// The least recently used statement is the one evicted, and it is closed;
// the others stay prepared.
func TestStmtCacheEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	c := NewStmtCache(openCacheDB(t), 3)
	defer c.Close()
	text := func(n int) string { return fmt.Sprintf("SELECT %d", n) }
	var stmts []*sql.Stmt
	for n := range 3 {
		require.NoError(t, c.QueryRowContext(ctx, text(n)).Scan(new(int)))
		stmts = append(stmts, c.stmtOf(text(n)))
		require.NotNil(t, stmts[n])
	}
	// 0 is used again: 1 is now the least recently used.
	require.NoError(t, c.QueryRowContext(ctx, text(0)).Scan(new(int)))
	require.NoError(t, c.QueryRowContext(ctx, text(3)).Scan(new(int)))
	assert.Equal(t, 3, c.Len())
	assert.Nil(t, c.stmtOf(text(1)))
	assert.True(t, closed(stmts[1]), "the evicted statement is not closed")
	assert.Same(t, stmts[0], c.stmtOf(text(0)))
	assert.Same(t, stmts[2], c.stmtOf(text(2)))
	assert.False(t, closed(stmts[0]))
	assert.False(t, closed(stmts[2]))

	require.NoError(t, c.Close())
	for _, st := range stmts {
		assert.True(t, closed(st), "Close leaves a statement open")
	}
}

// A statement evicted while a query is being started on it is closed once
// that query has started, not before; the rows it returned stay readable.
func TestStmtCacheEvictsInUse(t *testing.T) {
	ctx := context.Background()
	c := NewStmtCache(openCacheDB(t), 1)
	defer c.Close()
	s, err := c.acquire(ctx, "SELECT 1 UNION ALL SELECT 2")
	require.NoError(t, err)
	require.NoError(t, c.QueryRowContext(ctx, "SELECT 3").Scan(new(int)))
	assert.Equal(t, 1, c.Len())
	assert.False(t, closed(s.stmt), "a statement in use was closed")
	rows, err := s.stmt.QueryContext(ctx)
	require.NoError(t, err)
	c.release(s)
	assert.True(t, closed(s.stmt), "the evicted statement is not closed once released")
	var got []int
	for rows.Next() {
		var n int
		require.NoError(t, rows.Scan(&n))
		got = append(got, n)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	assert.Equal(t, []int{1, 2}, got)
}
