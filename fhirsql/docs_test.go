package fhirsql_test

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every code block of docs/sql.md but the benchmark commands is part of
// example_backend_test.go, which compiles and runs (Example_backend,
// ExampleSelect_PageSQL): the guide cannot drift from code that works.
// docs/docs_test.go checks the same blocks line by line; this test also
// holds their indentation.
func TestDocsSQLBlocksAreTested(t *testing.T) {
	doc, err := os.ReadFile("../docs/sql.md")
	require.NoError(t, err)
	src, err := os.ReadFile("example_backend_test.go")
	require.NoError(t, err)
	blocks := 0
	rest := string(doc)
	for {
		start := strings.Index(rest, "\n```")
		if start < 0 {
			break
		}
		rest = rest[start+4:]
		lang, body, _ := strings.Cut(rest, "\n")
		end := strings.Index(body, "\n```")
		require.GreaterOrEqual(t, end, 0, "unterminated code block")
		code := body[:end]
		rest = body[end+4:]
		if lang != "go" && lang != "text" { // the schema is a text block
			continue
		}
		blocks++
		assert.Contains(t, string(src), code, "a %s block of docs/sql.md is not in example_backend_test.go", lang)
	}
	assert.GreaterOrEqual(t, blocks, 6)
}
