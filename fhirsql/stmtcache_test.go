package fhirsql_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/fhirsql"
)

// runPage runs one page of q through qr, returning the ids.
func runPage(ctx context.Context, d *fhirsql.Dialect, qr fhirsql.Querier, tbl *fhirsql.Table, q *query, scope string, count int, cursor string) (fhir.Page[string], error) {
	sel, err := fhirsql.NewSelect(d, tbl, fhir.Search{IDs: q.ids, Count: count, Sort: q.sort, Cursor: cursor}, scope)
	if err != nil {
		return fhir.Page[string]{}, err
	}
	q.apply(sel)
	return fhirsql.Run(ctx, qr, sel, []string{"id"}, func(row func(...any) error) (string, error) {
		var id string
		return id, row(&id)
	})
}

// pages runs q through qr page by page to the end (at most 200 pages).
func pages(ctx context.Context, d *fhirsql.Dialect, qr fhirsql.Querier, tbl *fhirsql.Table, q *query, scope string, count int) ([]fhir.Page[string], error) {
	var out []fhir.Page[string]
	cursor := ""
	for range 200 {
		p, err := runPage(ctx, d, qr, tbl, q, scope, count, cursor)
		if err != nil {
			return out, err
		}
		out = append(out, p)
		if p.Next == "" {
			return out, nil
		}
		cursor = p.Next
	}
	return out, errors.New("paging does not end")
}

// Every page of random searches through the cache (a small one, so that
// statements are evicted between the pages of a search, and the default
// one) is the page the *sql.DB gives: resources, total and cursor.
func TestStmtCacheSameResults(t *testing.T) {
	ctx := context.Background()
	x := openSQLite(t)
	r := rand.New(rand.NewPCG(3, 4))
	its := append(genItems(r, "A", 60), genItems(r, "B", 60)...)
	x.load(t, its)
	for _, size := range []int{3, 0} {
		c := fhirsql.NewStmtCache(x.sql, size)
		bound := size
		if size <= 0 {
			bound = fhirsql.DefaultStmtCacheSize
		}
		nonEmpty := 0
		for i := range 25 {
			q := randQuery(r)
			probe := i%2 == 0
			count := 1 + r.IntN(7)
			want, err := pages(ctx, x.d, x.sql, items(probe), q, "A", count)
			require.NoError(t, err, "query %d %+v", i, q)
			// Twice: the first run prepares, the second finds the statements.
			for range 2 {
				got, err := pages(ctx, x.d, c, items(probe), q, "A", count)
				require.NoError(t, err, "query %d %+v", i, q)
				if !assert.Equal(t, want, got, "size %d, query %d %+v", size, i, q) {
					return
				}
			}
			if want[0].Total > 0 {
				nonEmpty++
			}
			assert.LessOrEqual(t, c.Len(), bound)
		}
		assert.Greater(t, nonEmpty, 6, "too few searches find something: the test proves little")
		assert.Positive(t, c.Len())
		require.NoError(t, c.Close())
		assert.Zero(t, c.Len())
	}
}

// Any number of distinct texts leaves at most size statements in the
// cache, and every query still runs, evicted or not.
func TestStmtCacheBound(t *testing.T) {
	ctx := context.Background()
	x := openSQLite(t)
	const size = 8
	c := fhirsql.NewStmtCache(x.sql, size)
	defer c.Close()
	for n := range 200 {
		q := fmt.Sprintf("SELECT ? + %d", n)
		var got int
		require.NoError(t, c.QueryRowContext(ctx, q, 1).Scan(&got))
		assert.Equal(t, n+1, got)
		assert.LessOrEqual(t, c.Len(), size)
		// A recent text is still served (and becomes the most recent).
		rows, err := c.QueryContext(ctx, fmt.Sprintf("SELECT ? + %d", n/2), 1)
		require.NoError(t, err)
		require.True(t, rows.Next())
		require.NoError(t, rows.Scan(&got))
		assert.Equal(t, n/2+1, got)
		require.NoError(t, rows.Close())
	}
	assert.Equal(t, size, c.Len())
	// The default bound.
	assert.Equal(t, 256, fhirsql.DefaultStmtCacheSize)
}

// Many goroutines search through a cache smaller than the set of texts they
// use (statements are evicted while others run on them) and each gets the
// results the oracle expects. Run with -race.
func TestStmtCacheConcurrent(t *testing.T) {
	ctx := context.Background()
	x := openSQLite(t)
	r := rand.New(rand.NewPCG(5, 6))
	its := append(genItems(r, "A", 60), genItems(r, "B", 60)...)
	x.load(t, its)
	type search struct {
		q     *query
		want  []string
		count int
	}
	var searches []search
	for range 8 {
		q := randQuery(r)
		searches = append(searches, search{q, q.expected(its, "A"), 1 + r.IntN(5)})
	}
	c := fhirsql.NewStmtCache(x.sql, 4)
	defer c.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for g := range 6 {
		wg.Go(func() {
			for i := range 2 * len(searches) {
				s := searches[(g+i)%len(searches)]
				ps, err := pages(ctx, x.d, c, items(i%2 == 0), s.q, "A", s.count)
				if err != nil {
					errs <- err
					return
				}
				got := []string{}
				for _, p := range ps {
					got = append(got, p.Resources...)
					if p.Total != len(s.want) {
						errs <- fmt.Errorf("total %d, want %d for %+v", p.Total, len(s.want), s.q)
						return
					}
				}
				if !assert.ObjectsAreEqual(s.want, got) {
					errs <- fmt.Errorf("got %v, want %v for %+v", got, s.want, s.q)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.LessOrEqual(t, c.Len(), 4)
}

// A cancelled or expired context gives the context's error, through Run
// (whether the statements are prepared or not) and from the cache itself;
// the cache is not harmed by it.
func TestStmtCacheContext(t *testing.T) {
	x := openSQLite(t)
	x.load(t, genItems(rand.New(rand.NewPCG(7, 8)), "A", 30))
	c := fhirsql.NewStmtCache(x.sql, 0)
	defer c.Close()
	q := &query{label: fhir.TokenParam{{{Code: "x"}, {Code: "y"}}}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, when := range []string{"miss", "hit"} {
		_, err := runPage(cancelled, x.d, c, items(false), q, "A", 2, "")
		assert.ErrorIs(t, err, context.Canceled, when)
		_, err = runPage(expired, x.d, c, items(false), q, "A", 2, "")
		assert.ErrorIs(t, err, context.DeadlineExceeded, when)
		_, err = c.QueryContext(cancelled, "SELECT 1")
		assert.ErrorIs(t, err, context.Canceled, when)
		assert.ErrorIs(t, c.QueryRowContext(cancelled, "SELECT 1").Scan(new(int)), context.Canceled, when)
		// Prepare the statements for the "hit" round.
		_, err = runPage(context.Background(), x.d, c, items(false), q, "A", 2, "")
		require.NoError(t, err)
		require.NoError(t, c.QueryRowContext(context.Background(), "SELECT 1").Scan(new(int)))
	}
}

// A database error is wrapped by Run as it is without the cache (the same
// text), whether the statement fails to prepare or fails once prepared.
func TestStmtCacheDBError(t *testing.T) {
	ctx := context.Background()
	x := openSQLite(t)
	c := fhirsql.NewStmtCache(x.sql, 0)
	defer c.Close()
	// A search of all the rows of a table, with a next page.
	run := func(qr fhirsql.Querier, table string) error {
		tbl := &fhirsql.Table{Name: table, ID: "id", Scope: []string{"scope"}}
		sel, err := fhirsql.NewSelect(x.d, tbl, fhir.Search{Count: 1}, "A")
		require.NoError(t, err)
		_, err = fhirsql.Run(ctx, qr, sel, []string{"id"}, func(row func(...any) error) (string, error) {
			var id string
			return id, row(&id)
		})
		return err
	}
	want := run(x.sql, "missing")
	require.Error(t, want)
	err := run(c, "missing")
	require.Error(t, err)
	assert.Equal(t, want.Error(), err.Error())
	assert.Contains(t, err.Error(), "fhirsql: page of missing:")
	assert.NotErrorIs(t, err, context.Canceled)
	assert.Zero(t, c.Len(), "a statement that failed to prepare is kept")

	// A table dropped after its statements were prepared: the page and the
	// COUNT (two rows, so a next page).
	x.exec(t, `CREATE TABLE later (scope TEXT NOT NULL, id TEXT NOT NULL)`)
	x.exec(t, `INSERT INTO later VALUES ('A', 'a'), ('A', 'b')`)
	require.NoError(t, run(c, "later"))
	require.Equal(t, 2, c.Len())
	x.exec(t, `DROP TABLE later`)
	want = run(x.sql, "later")
	require.Error(t, want)
	err = run(c, "later")
	require.Error(t, err)
	assert.Equal(t, want.Error(), err.Error())
	assert.Contains(t, err.Error(), "fhirsql: page of later:")
	assert.Contains(t, err.Error(), "no such table")
	assert.NotErrorIs(t, err, context.Canceled)

	// QueryRowContext reports an error of preparation in its Row.
	assert.ErrorContains(t, c.QueryRowContext(ctx, "SELECT nope FROM missing").Scan(new(int)), "no such table")
}

// After Close, queries still run, on the *sql.DB.
func TestStmtCacheClosed(t *testing.T) {
	ctx := context.Background()
	x := openSQLite(t)
	c := fhirsql.NewStmtCache(x.sql, 0)
	var n int
	require.NoError(t, c.QueryRowContext(ctx, "SELECT 1").Scan(&n))
	require.NoError(t, c.Close())
	require.NoError(t, c.QueryRowContext(ctx, "SELECT 2").Scan(&n))
	assert.Equal(t, 2, n)
	rows, err := c.QueryContext(ctx, "SELECT 3")
	require.NoError(t, err)
	require.NoError(t, rows.Close())
	assert.Zero(t, c.Len())
	assert.NoError(t, c.Close())
}

// benchmarkSearch is a vital-signs-like search: a label, newest first, a
// page of 10 of 60 matches, which costs the page and the COUNT.
func benchmarkSearch(b *testing.B, qr func(x *db) fhirsql.Querier) {
	ctx := context.Background()
	x := openSQLite(b)
	r := rand.New(rand.NewPCG(9, 10))
	its := genItems(r, "A", 120)
	for i := range its {
		its[i].label = "x"
	}
	x.load(b, its)
	q := &query{label: fhir.TokenParam{{{Code: "x"}}}, sort: []fhir.SortKey{{Name: "date", Descending: true}}}
	tbl := items(true)
	querier := qr(x)
	b.ReportAllocs()
	for b.Loop() {
		p, err := runPage(ctx, x.d, querier, tbl, q, "A", 10, "")
		if err != nil || len(p.Resources) != 10 || p.Total != 120 {
			b.Fatal(err, len(p.Resources), p.Total)
		}
	}
}

// BenchmarkStmtCache compares a search run on the *sql.DB (each query
// prepared anew) with the same search through a StmtCache.
func BenchmarkStmtCache(b *testing.B) {
	b.Run("db", func(b *testing.B) {
		benchmarkSearch(b, func(x *db) fhirsql.Querier { return x.sql })
	})
	b.Run("cache", func(b *testing.B) {
		benchmarkSearch(b, func(x *db) fhirsql.Querier {
			c := fhirsql.NewStmtCache(x.sql, 0)
			b.Cleanup(func() { c.Close() })
			return c
		})
	})
}
