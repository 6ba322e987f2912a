package kit_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docs/kits.md lists every rule of both versions with its sections.
func TestDocsListEveryRule(t *testing.T) {
	b, err := os.ReadFile("../../docs/kits.md")
	require.NoError(t, err)
	doc := string(b)
	for _, ver := range versions() {
		for _, r := range ver.v.Rules() {
			assert.Contains(t, doc, "| `"+r.ID+"` |", "%s: rule %s is not in docs/kits.md", ver.name, r.ID)
			assert.Contains(t, doc, r.Section, "%s: the section of %s is not in docs/kits.md", ver.name, r.ID)
		}
	}
}
