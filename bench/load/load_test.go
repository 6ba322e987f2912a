package load_test

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/patientsfhir/patientsfhir/bench/load"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

// TestMain serves when the test binary is started as the service, and
// otherwise fails the tests when a goroutine outlives them.
func TestMain(m *testing.M) {
	load.ServeIfChild()
	goleak.VerifyTestMain(m)
}

// patients is the population of the tests (small: seeding is per test).
const patients = 300

// start runs the service in a child process for the test.
func start(t *testing.T) (*load.Child, *load.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	svc, err := load.StartChild(ctx, load.Options{Patients: patients, Dir: t.TempDir()}, os.Stderr)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, svc.Stop()) })
	pop, err := population.New(population.Options{Tenant: load.Tenant, Patients: patients})
	require.NoError(t, err)
	c := load.NewClient(svc.URL, svc.ClientID, svc.Secret, pop, 8, load.DefaultWeights)
	t.Cleanup(c.Close)
	return svc, c
}

func TestMixAgainstTheService(t *testing.T) {
	svc, c := start(t)
	ctx := context.Background()
	require.NoError(t, c.Check(ctx))
	r := c.RunOpen(ctx, 20, 8, 2*time.Second, 1)
	assert.Empty(t, r.Errors)
	assert.Zero(t, r.Missed)
	assert.InDelta(t, 40, r.Ops, 2, "an open-loop run completes what it offers")
	for k, l := range r.ByKind {
		assert.NotEmpty(t, l, "kind %d never drawn", k)
	}
	assert.LessOrEqual(t, load.Percentile(r.Latency, 0.5), load.Percentile(r.Latency, 0.99))
	st, err := svc.Stats(ctx, true)
	require.NoError(t, err)
	assert.Positive(t, st.CPU)
	assert.Positive(t, st.HeapAlloc)
	assert.Positive(t, st.Goroutines)
}

// TestSoak runs the mix at a steady rate and fails when the service's live
// heap or goroutine count grows: 30 s by default, LOAD_SOAK=10m for longer.
func TestSoak(t *testing.T) {
	d := 30 * time.Second
	if v := os.Getenv("LOAD_SOAK"); v != "" {
		var err error
		d, err = time.ParseDuration(v)
		require.NoError(t, err)
	}
	svc, c := start(t)
	ctx := context.Background()
	samples, err := load.Soak(ctx, svc, c, load.SoakConfig{Rate: 20, Duration: d, Window: d / 12, Conns: 8}, nil)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(samples), 8)
	load.WriteSoak(testWriter{t}, samples)
	for _, s := range samples {
		assert.Empty(t, s.Window.Errors)
	}
	heap, goroutines, ok := load.Flat(samples)
	assert.True(t, ok, "live heap %+.0f bytes, goroutines %+.1f over the soak", heap, goroutines)
}

func TestGrowth(t *testing.T) {
	assert.InDelta(t, 0, load.Growth([]float64{5, 5, 5, 5}), 1e-9)
	assert.InDelta(t, 30, load.Growth([]float64{0, 10, 20, 30}), 1e-9)
	assert.InDelta(t, 0, load.Growth([]float64{1, 3, 1, 3, 1, 3, 2}), 1, "noise is not growth")
	flat := make([]load.Sample, 12)
	growing := make([]load.Sample, 12)
	for i := range flat {
		flat[i].HeapAlloc, flat[i].Goroutines = 20<<20+uint64(i%2)<<20, 30
		growing[i].HeapAlloc, growing[i].Goroutines = 20<<20, 30+i
	}
	_, _, ok := load.Flat(flat)
	assert.True(t, ok)
	_, g, ok := load.Flat(growing)
	assert.False(t, ok)
	assert.InDelta(t, 8, g, 1e-9)
}

func TestOpenRejectsBadOptions(t *testing.T) {
	ctx := context.Background()
	_, err := load.Open(ctx, load.Options{}, "http://127.0.0.1:1")
	require.ErrorContains(t, err, "Dir is required")
	_, err = load.Open(ctx, load.Options{Patients: 10, Dir: t.TempDir(), AuthStore: "oracle"}, "http://127.0.0.1:1")
	require.ErrorContains(t, err, "unknown AuthStore")
	_, err = load.Open(ctx, load.Options{Patients: 10, Dir: filepath.Join(t.TempDir(), "x"), AuthStore: "postgres"}, "http://127.0.0.1:1")
	require.Error(t, err)
	_, err = load.Open(ctx, load.Options{Patients: 10, Dir: t.TempDir(), Data: "oracle"}, "http://127.0.0.1:1")
	require.ErrorContains(t, err, "unknown Data")
	_, err = load.Open(ctx, load.Options{Patients: 10, Dir: t.TempDir(), Data: "postgres"}, "http://127.0.0.1:1")
	require.ErrorContains(t, err, "needs PostgresDSN")
}

// With its data on PostgreSQL the service seeds the population into the
// schema of its size once; the next service reuses it and serves the same
// data.
func TestPostgresDataIsSeededOnce(t *testing.T) {
	dsn := os.Getenv(testsupport.PostgresDSNEnv)
	if dsn == "" {
		t.Skipf("%s is not set", testsupport.PostgresDSNEnv)
	}
	// A size no measurement uses: its schema is this test's.
	const size = 13
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	defer admin.Close()
	drop := func() {
		_, err := admin.Exec(`DROP SCHEMA IF EXISTS sampleehr_13 CASCADE`)
		require.NoError(t, err)
	}
	drop()
	defer drop()
	ctx := context.Background()
	for i, seeded := range []int{size, 0} {
		ts := httptest.NewUnstartedServer(nil)
		svc, err := load.Open(ctx, load.Options{Patients: size, Dir: t.TempDir(), Data: "postgres", PostgresDSN: dsn},
			"http://"+ts.Listener.Addr().String())
		require.NoError(t, err, "run %d", i)
		assert.Equal(t, seeded, svc.Seeded.Patients, "run %d", i)
		ts.Config.Handler = svc.Handler
		ts.Start()
		c := load.NewClient(ts.URL, svc.ClientID, svc.Secret, svc.Population, 2, load.DefaultWeights)
		assert.NoError(t, c.Check(ctx), "run %d", i)
		c.Close()
		ts.Close()
		require.NoError(t, svc.Close())
	}
}

// testWriter writes to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
