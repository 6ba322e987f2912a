package proxy

import (
	"bytes"
	"strings"
)

// rewriter makes the upstream's absolute references relative: a
// "reference" member whose value starts with the upstream base (or one of
// its LinkBases) followed by a slash loses that prefix, so
// "https://upstream/fhir/Patient/p1" becomes "Patient/p1", which clients
// resolve against this server's base. Nothing else in a resource is
// changed (an identifier system or a narrative link is the upstream's
// data). Links and fullUrls need no rewriting: the server writes its own.
type rewriter struct {
	// prefixes are `"<base>/` in plain and in JSON-escaped (\/) form.
	prefixes [][]byte
}

func newRewriter(bases []string) *rewriter {
	r := &rewriter{}
	for _, b := range bases {
		b = strings.TrimSuffix(b, "/")
		r.prefixes = append(r.prefixes, []byte(`"`+b+`/`), []byte(`"`+strings.ReplaceAll(b, "/", `\/`)+`\/`))
	}
	return r
}

// apply returns body with the references rewritten (body itself when
// there is none to rewrite).
func (r *rewriter) apply(body []byte) []byte {
	for _, p := range r.prefixes {
		if !bytes.Contains(body, p) {
			continue
		}
		body = rewriteRefs(body, p)
	}
	return body
}

// rewriteRefs removes prefix p (without its opening quote) from the values
// of "reference" members.
func rewriteRefs(body, p []byte) []byte {
	var out []byte
	last := 0
	for i := 0; ; {
		j := bytes.Index(body[i:], p)
		if j < 0 {
			break
		}
		j += i
		if isReferenceValue(body, j) {
			if out == nil {
				out = make([]byte, 0, len(body))
			}
			out = append(out, body[last:j+1]...) // up to and with the opening quote
			last = j + len(p)
		}
		i = j + len(p)
	}
	if out == nil {
		return body
	}
	return append(out, body[last:]...)
}

// isReferenceValue reports whether the string starting at body[q] (a quote)
// is the value of a "reference" member: `"reference"`, white space, ':',
// white space, then the quote.
func isReferenceValue(body []byte, q int) bool {
	i := q - 1
	for i >= 0 && isSpace(body[i]) {
		i--
	}
	if i < 0 || body[i] != ':' {
		return false
	}
	i--
	for i >= 0 && isSpace(body[i]) {
		i--
	}
	const key = `"reference"`
	return i+1 >= len(key) && string(body[i+1-len(key):i+1]) == key
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
