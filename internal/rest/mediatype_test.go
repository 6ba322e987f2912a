package rest

import (
	"mime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestMediaTypeFastPath: without parameters, mediaType gives what
// mime.ParseMediaType (or its fallback) gives.
func TestMediaTypeFastPath(t *testing.T) {
	for _, s := range []string{"application/fhir+json", " Application/JSON ", "text/*", "*/*", "json", "", "bad type", "a/b/c", "APPLICATION/XML+FHIR"} {
		want := strings.ToLower(strings.TrimSpace(s))
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(s)); err == nil {
			want = mt
		}
		assert.Equal(t, want, mediaType(s), "mediaType(%q)", s)
	}
}
