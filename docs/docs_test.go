// Package docs_test checks every fenced code block of the documents in
// this directory, so that the docs cannot drift from the code:
//
//   - go and text blocks are excerpts: their lines stand, in order, in the
//     file named by the "<!-- code: FILE -->" line just above the block (a
//     compiled and tested file: an Example and its Output comment, a test, a
//     declaration). Indentation and blank lines do not count; in the file, a
//     line may also be a // comment (an Output line).
//   - sh blocks are commands: each line is a go command (optionally after
//     "cd DIR &&") whose packages exist and whose -run, -bench and -fuzz
//     names are functions of those packages, or "bash FILE".
//   - console blocks are requests: each holds one "$ curl ..." that runs
//     against an in-process server built as examples/minimal builds it, with
//     $BASE, $SECRET and $TOKEN set (in the json block too); the json block
//     that follows holds what the response body must contain (objects: these
//     members; arrays: these first elements).
//
// A block of any other kind fails the test.
package docs_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/patientsfhir/patientsfhir"
	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/dstu2/dstu2mem"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notChecked are documents whose blocks follow other conventions (their
// owners check them).
var notChecked = map[string]bool{
	// The contract itself, copied from the Patients app's documentation: its
	// blocks are the app's requests, not ours.
	"patients-app-interface.md": true,
	// The sample EHR's tour: its commands (curl and jq) run against a
	// started sample EHR in examples/sampleehr TestTour.
	"tour.md": true}

// block is one fenced code block.
type block struct {
	doc, lang, marker string
	line              int
	text              []string
}

func (b block) String() string { return fmt.Sprintf("%s:%d (%s)", b.doc, b.line, b.lang) }

// blocks reads the fenced blocks of a markdown file; marker is the
// "<!-- code: FILE -->" target of the line just above the fence.
func blocks(t *testing.T, path string) []block {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []block
	var cur *block
	prev := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &block{doc: filepath.Base(path), lang: strings.TrimPrefix(line, "```"), line: n}
			if m := markerRE.FindStringSubmatch(prev); m != nil {
				cur.marker = m[1]
			}
		case cur != nil && line == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.text = append(cur.text, line)
		}
		prev = line
	}
	require.NoError(t, sc.Err())
	require.Nil(t, cur, "%s: a code block is not closed", path)
	return out
}

var markerRE = regexp.MustCompile(`^<!-- code: (\S+) -->$`)

// root is the module root, relative to this directory.
const root = ".."

func TestCodeBlocks(t *testing.T) {
	docs, err := filepath.Glob("*.md")
	require.NoError(t, err)
	require.NotEmpty(t, docs)
	var srv *server
	for _, doc := range docs {
		if notChecked[doc] {
			continue
		}
		bs := blocks(t, doc)
		t.Run(doc, func(t *testing.T) {
			for i := 0; i < len(bs); i++ {
				b := bs[i]
				switch b.lang {
				case "go", "text":
					checkExcerpt(t, b)
				case "sh":
					checkCommands(t, b)
				case "console":
					if srv == nil {
						srv = newServer(t)
					}
					var want *block
					if i+1 < len(bs) && bs[i+1].lang == "json" {
						want = &bs[i+1]
						i++
					}
					checkRequest(t, srv, b, want)
				default:
					assert.Fail(t, "a code block that nothing checks", "%s: use go, text, sh or console (see docs_test.go)", b)
				}
			}
		})
	}
}

// normalize drops blank lines and surrounding white space.
func normalize(lines []string, comments bool) []string {
	var out []string
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if comments {
			l = strings.TrimSpace(strings.TrimPrefix(l, "//"))
		}
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// checkExcerpt: the block's lines stand, in order and together, in its
// marker file.
func checkExcerpt(t *testing.T, b block) {
	if !assert.NotEmpty(t, b.marker, "%s: no <!-- code: FILE --> line above the block", b) {
		return
	}
	data, err := os.ReadFile(filepath.Join(root, b.marker))
	if !assert.NoError(t, err, "%s", b) {
		return
	}
	want := normalize(b.text, false)
	require.NotEmpty(t, want, "%s: an empty block", b)
	file := strings.Split(string(data), "\n")
	for _, comments := range []bool{false, true} {
		if contains(normalize(file, comments), want) {
			return
		}
	}
	// Name the first line that is not in the file, to find the drift.
	lines := normalize(file, false)
	lines = append(lines, normalize(file, true)...)
	for _, w := range want {
		if !slices.Contains(lines, w) {
			assert.Fail(t, "a line of the block is not in its file", "%s: %q is not in %s", b, w, b.marker)
		}
	}
	assert.Fail(t, "the block is not an excerpt of its file", "%s: %s", b, b.marker)
}

func contains(hay, needle []string) bool {
	for i := 0; i+len(needle) <= len(hay); i++ {
		ok := true
		for j := range needle {
			if hay[i+j] != needle[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// words splits a command line as a shell does for the simple quoting the
// docs use.
func words(s string) []string {
	var out []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// checkCommands: every line is a go command on packages that exist, naming
// functions that exist, or bash FILE.
func checkCommands(t *testing.T, b block) {
	for _, line := range b.text {
		line, _, _ = strings.Cut(line, " # ") // a trailing comment
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		dir := root
		if d, rest, ok := strings.Cut(line, " && "); ok && strings.HasPrefix(d, "cd ") {
			dir = filepath.Join(root, strings.TrimPrefix(d, "cd "))
			line = rest
			assert.DirExists(t, dir, "%s", b)
		}
		w := words(line)
		for len(w) > 0 && strings.Contains(w[0], "=") {
			w = w[1:] // VAR=value
		}
		switch {
		case len(w) == 2 && w[0] == "bash":
			assert.FileExists(t, filepath.Join(dir, w[1]), "%s", b)
		case len(w) >= 3 && w[0] == "go":
			checkGo(t, b, dir, w[1], w[2:])
		default:
			assert.Fail(t, "not a command the docs test knows", "%s: %q", b, line)
		}
	}
}

var valueFlags = map[string]bool{"-run": true, "-bench": true, "-fuzz": true, "-fuzztime": true, "-count": true,
	"-benchtime": true, "-parallel": true, "-cpuprofile": true, "-memprofile": true, "-timeout": true, "-tags": true}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func checkGo(t *testing.T, b block, dir, sub string, args []string) {
	if !assert.Contains(t, []string{"test", "run", "generate", "build", "vet"}, sub, "%s", b) {
		return
	}
	names := map[string]string{} // flag -> value
	var pkgs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if valueFlags[a] && i+1 < len(args) {
			names[a] = args[i+1]
			i++
			continue
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		pkgs = append(pkgs, a)
		if sub == "run" {
			break // the rest are the program's arguments
		}
	}
	if !assert.NotEmpty(t, pkgs, "%s: no package", b) {
		return
	}
	var dirs []string
	for _, p := range pkgs {
		d := filepath.Join(dir, strings.TrimSuffix(p, "/..."))
		if assert.DirExists(t, d, "%s: package %s", b, p) {
			dirs = append(dirs, d)
		}
	}
	for _, flag := range []string{"-run", "-bench", "-fuzz"} {
		for _, alt := range strings.Split(strings.Trim(names[flag], "^$"), "|") {
			name, _, _ := strings.Cut(strings.Trim(alt, "^$"), "/")
			if identRE.MatchString(name) {
				assert.True(t, declared(dirs, name), "%s: %s %s names no function of %v", b, flag, name, pkgs)
			}
		}
	}
}

// declared reports whether a test file below dirs declares a function
// whose name holds name (go test matches names by unanchored regexp).
func declared(dirs []string, name string) bool {
	re := regexp.MustCompile(`(?m)^func \w*` + name + `\w*\(`)
	for _, d := range dirs {
		found := false
		_ = filepath.WalkDir(d, func(path string, e os.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(path, "_test.go") {
				if data, err := os.ReadFile(path); err == nil && re.Match(data) {
					found = true
				}
			}
			return nil
		})
		if found {
			return true
		}
	}
	return false
}

// server is the tour's server: both versions over the in-memory backends
// loaded with the fixtures, the Patients-app profile, a demo client.
type server struct {
	ts   *httptest.Server
	vars map[string]string
}

const tenant = "11111111-2222-4333-8444-555555555555"

func newServer(t *testing.T) *server {
	t.Helper()
	ctx := context.Background()
	b3, err := stu3mem.NewWithFixtures()
	require.NoError(t, err)
	b2, err := dstu2mem.NewWithFixtures()
	require.NoError(t, err)
	ts := httptest.NewServer(nil) // the handler is set once New has the URL
	t.Cleanup(ts.Close)
	seal := make([]byte, 32)
	_, _ = rand.Read(seal)
	srv, err := patientsfhir.New(ctx, patientsfhir.Config{
		PublicURL: ts.URL,
		Auth:      auth.Config{SealKey: seal, Insecure: true, AllowHyphenGrantType: true},
		Store:     auth.NewMemoryStore(),
		STU3:      &stu3.Config{Backend: b3, Profile: stu3.PatientsApp()},
		DSTU2:     &dstu2.Config{Backend: b2, Profile: dstu2.PatientsApp()},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	ts.Config.Handler = srv
	_, secret, err := srv.Auth().Registry().CreateClient(ctx, auth.NewClient{ID: "patients-app", Tenants: []string{tenant}}, "docs")
	require.NoError(t, err)
	s := &server{ts: ts, vars: map[string]string{"BASE": ts.URL, "SECRET": secret}}
	res, err := http.PostForm(ts.URL+"/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {"patients-app"}, "client_secret": {secret}, "scope": {tenant}})
	require.NoError(t, err)
	defer res.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&tok))
	require.NotEmpty(t, tok.AccessToken)
	s.vars["TOKEN"] = tok.AccessToken
	return s
}

var varRE = regexp.MustCompile(`\$(\w+)`)

// checkRequest runs the block's curl and compares the body with want.
func checkRequest(t *testing.T, s *server, b block, want *block) {
	cmd := strings.Join(b.text, "\n")
	cmd = strings.ReplaceAll(cmd, "\\\n", " ")
	cmd = strings.TrimSpace(cmd)
	if !assert.True(t, strings.HasPrefix(cmd, "$ curl "), "%s: a console block holds one $ curl", b) ||
		!assert.NotContains(t, cmd, "\n", "%s: one command per console block", b) {
		return
	}
	w := words(strings.TrimPrefix(cmd, "$ "))[1:]
	method, target, body := "", "", []string{}
	header := http.Header{}
	for i := 0; i < len(w); i++ {
		a := varRE.ReplaceAllStringFunc(w[i], func(v string) string {
			val, ok := s.vars[v[1:]]
			assert.True(t, ok, "%s: unknown variable %s", b, v)
			return val
		})
		switch a {
		case "-s":
		case "-X", "-H", "-d":
			if !assert.Less(t, i+1, len(w), "%s: %s without a value", b, a) {
				return
			}
			i++
			v := varRE.ReplaceAllStringFunc(w[i], func(v string) string { return s.vars[v[1:]] })
			switch a {
			case "-X":
				method = v
			case "-H":
				k, val, _ := strings.Cut(v, ":")
				header.Add(strings.TrimSpace(k), strings.TrimSpace(val))
			case "-d":
				body = append(body, v)
			}
		default:
			if !assert.False(t, strings.HasPrefix(a, "-"), "%s: curl option %s unknown to the docs test", b, a) {
				return
			}
			target = a
		}
	}
	if method == "" {
		method = http.MethodGet
		if len(body) > 0 {
			method = http.MethodPost
		}
	}
	req, err := http.NewRequest(method, target, strings.NewReader(strings.Join(body, "&")))
	require.NoError(t, err, "%s", b)
	req.Header = header
	if len(body) > 0 && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err, "%s", b)
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	if !assert.NotNil(t, want, "%s: no json block with the expected answer after the request", b) {
		return
	}
	var wantV, gotV any
	wantText := varRE.ReplaceAllStringFunc(strings.Join(want.text, "\n"), func(v string) string { return s.vars[v[1:]] })
	if !assert.NoError(t, json.Unmarshal([]byte(wantText), &wantV), "%s", *want) ||
		!assert.NoError(t, json.Unmarshal(got, &gotV), "%s: the answer is not JSON: %s", b, got) {
		return
	}
	if m, _ := wantV.(map[string]any); m["resourceType"] != "OperationOutcome" {
		assert.Less(t, res.StatusCode, 300, "%s: status %d: %s", b, res.StatusCode, got)
	}
	if path, ok := subset(wantV, gotV, ""); !ok {
		assert.Fail(t, "the answer differs from the doc", "%s at %q\nanswer: %s", *want, path, got)
	}
}

// subset reports whether got has everything want has: an object's
// members, an array's first elements, equal scalars. path names the first
// difference.
func subset(want, got any, path string) (string, bool) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return path, false
		}
		for k, v := range w {
			if p, ok := subset(v, g[k], path+"."+k); !ok {
				return p, false
			}
		}
		return "", true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) < len(w) {
			return path, false
		}
		for i := range w {
			if p, ok := subset(w[i], g[i], fmt.Sprintf("%s[%d]", path, i)); !ok {
				return p, false
			}
		}
		return "", true
	}
	return path, want == got
}
