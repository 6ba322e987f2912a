package fhirsql

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// DefaultStmtCacheSize is the number of statements a StmtCache keeps when
// NewStmtCache is given a size of zero or less.
const DefaultStmtCacheSize = 256

// StmtCache is a Querier over a *sql.DB that runs each query text as a
// prepared statement: prepared on its first use, then kept for the next
// queries of the same text, so that the database parses and plans a search
// shape once instead of on every request. Values are bind parameters, so
// the texts of a backend's searches are few (one per combination of
// parameters, sort and page position), whatever the values.
//
// The cache is bounded: it keeps at most its size of statements and closes
// the least recently used one to make room, so that clients choosing
// parameter combinations cannot grow it without bound. database/sql
// prepares each kept statement again on each connection it runs on. A
// statement closed while a query runs on it is released when its rows are
// closed.
//
// Errors are those of the *sql.DB: a database error is returned as is (Run
// wraps it), and a cancelled or expired context gives the context's error.
// A StmtCache is safe for concurrent use. Close it before the *sql.DB.
type StmtCache struct {
	db   *sql.DB
	size int

	mu     sync.Mutex
	byText map[string]*list.Element // of *cachedStmt
	lru    list.List                // most recently used first
	closed bool
}

// cachedStmt is a statement of the cache; refs counts the queries being
// started on it, which an eviction lets finish before closing it.
type cachedStmt struct {
	text    string
	stmt    *sql.Stmt
	refs    int
	evicted bool
}

// NewStmtCache returns a cache of at most size prepared statements
// (DefaultStmtCacheSize when size <= 0) over db.
func NewStmtCache(db *sql.DB, size int) *StmtCache {
	if size <= 0 {
		size = DefaultStmtCacheSize
	}
	return &StmtCache{db: db, size: size, byText: map[string]*list.Element{}}
}

// QueryContext runs the query text with args as db.QueryContext does,
// through the text's prepared statement (preparing it on a miss).
func (c *StmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	s, err := c.acquire(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.db.QueryContext(ctx, query, args...)
	}
	defer c.release(s)
	return s.stmt.QueryContext(ctx, args...)
}

// QueryRowContext runs the query text with args as db.QueryRowContext
// does, through the text's prepared statement (preparing it on a miss).
// When the text cannot be prepared, the query runs on the *sql.DB, whose
// Row reports the error.
func (c *StmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	s, err := c.acquire(ctx, query)
	if err != nil || s == nil {
		return c.db.QueryRowContext(ctx, query, args...)
	}
	defer c.release(s)
	return s.stmt.QueryRowContext(ctx, args...)
}

// Len returns the number of statements the cache holds: at most its size.
func (c *StmtCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// Close closes the cache's statements (a statement in use is closed when
// its query is done). Queries after Close run on the *sql.DB, unprepared.
// It does not close the *sql.DB.
func (c *StmtCache) Close() error {
	c.mu.Lock()
	c.closed = true
	var idle []*sql.Stmt
	for e := c.lru.Front(); e != nil; e = e.Next() {
		if st := c.evictLocked(e.Value.(*cachedStmt)); st != nil {
			idle = append(idle, st)
		}
	}
	c.lru.Init()
	clear(c.byText)
	c.mu.Unlock()
	return closeAll(idle)
}

// acquire returns the statement of query, prepared on a miss, with a
// reference the caller releases; nil (and no error) once the cache is
// closed.
func (c *StmtCache) acquire(ctx context.Context, query string) (*cachedStmt, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, nil
	}
	if e, ok := c.byText[query]; ok {
		c.lru.MoveToFront(e)
		s := e.Value.(*cachedStmt)
		s.refs++
		c.mu.Unlock()
		return s, nil
	}
	c.mu.Unlock()

	// Prepare without the lock: the other queries go on meanwhile.
	stmt, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}

	c.mu.Lock()
	var idle []*sql.Stmt
	var s *cachedStmt
	switch e, ok := c.byText[query]; {
	case c.closed:
		idle = append(idle, stmt)
	case ok:
		// Prepared by another query meanwhile: keep that one.
		idle = append(idle, stmt)
		c.lru.MoveToFront(e)
		s = e.Value.(*cachedStmt)
		s.refs++
	default:
		s = &cachedStmt{text: query, stmt: stmt, refs: 1}
		c.byText[query] = c.lru.PushFront(s)
		for c.lru.Len() > c.size {
			old := c.lru.Back()
			c.lru.Remove(old)
			o := old.Value.(*cachedStmt)
			delete(c.byText, o.text)
			if st := c.evictLocked(o); st != nil {
				idle = append(idle, st)
			}
		}
	}
	c.mu.Unlock()
	closeAll(idle) // unused statements: their error concerns no query
	return s, nil
}

// evictLocked marks s evicted and returns its statement when no query is
// being started on it (to close), nil otherwise (release closes it).
func (c *StmtCache) evictLocked(s *cachedStmt) *sql.Stmt {
	s.evicted = true
	if s.refs > 0 {
		return nil
	}
	return s.stmt
}

// release drops a reference acquire gave, closing the statement of an
// evicted entry when it was the last one.
func (c *StmtCache) release(s *cachedStmt) {
	c.mu.Lock()
	s.refs--
	last := s.evicted && s.refs == 0
	c.mu.Unlock()
	if last {
		s.stmt.Close()
	}
}

func closeAll(stmts []*sql.Stmt) error {
	var first error
	for _, st := range stmts {
		if err := st.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
