package testsupport

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Concurrent writers lose nothing, and the test can read while they write.
func TestBufferConcurrentWrites(t *testing.T) {
	var b Buffer
	assert.Empty(t, b.String(), "the zero value is empty")
	var _ io.Writer = &b
	const writers, lines = 8, 100
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				n, err := fmt.Fprintf(&b, "w%d-%d\n", w, i)
				assert.NoError(t, err)
				assert.Positive(t, n)
				_ = b.String()
			}
		})
	}
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	require.Len(t, got, writers*lines)
	assert.Contains(t, got, "w0-0")
	assert.Contains(t, got, fmt.Sprintf("w%d-%d", writers-1, lines-1))
}

// Bytes is a snapshot: later writes do not change it, nor does changing it
// change the buffer.
func TestBufferBytesIsACopy(t *testing.T) {
	var b Buffer
	_, _ = io.WriteString(&b, "first")
	snap := b.Bytes()
	_, _ = io.WriteString(&b, " second")
	assert.Equal(t, "first", string(snap))
	snap[0] = 'F'
	assert.Equal(t, "first second", b.String())
}

// The clock reads its start until advanced, and is safe to read while it
// moves.
func TestClock(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := NewClock(start)
	assert.Equal(t, start, c.Now())
	assert.Equal(t, start, c.Now(), "time stands still")
	c.Advance(90 * time.Second)
	assert.Equal(t, start.Add(90*time.Second), c.Now())
	c.Advance(-time.Minute)
	assert.Equal(t, start.Add(30*time.Second), c.Now())

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				c.Advance(time.Second)
				_ = c.Now()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, start.Add(430*time.Second), c.Now())
}
