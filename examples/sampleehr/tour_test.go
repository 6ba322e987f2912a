package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The documents whose console blocks TestTour runs, from this directory.
var tourDocs = []string{"../../README.md", "../../docs/tour.md"}

// command is one "$ " command of a console block and the output the
// document shows for it.
type command struct {
	doc    string
	line   int    // where the command starts
	block  int    // the console block it is in
	text   string // the command, continuation lines included
	output string // the expected output
}

// consoleCommands returns the commands of the ```console blocks of a
// Markdown document. A command starts with "$ " and goes on while its
// lines end with a backslash or a single-quoted string is open; the lines
// up to the next command or the end of the block are its output.
func consoleCommands(t *testing.T, doc string) []command {
	t.Helper()
	b, err := os.ReadFile(doc)
	require.NoError(t, err)
	var (
		out      []command
		in, cont bool
		block    int
		cur      *command
	)
	flush := func() {
		if cur != nil {
			cur.output = strings.TrimRight(cur.output, "\n")
			out = append(out, *cur)
			cur = nil
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case !in && strings.HasPrefix(line, "```console"):
			in, block = true, block+1
		case in && strings.HasPrefix(line, "```"):
			flush()
			in, cont = false, false
		case !in:
		case cont:
			cur.text += "\n" + line
			cont = continues(cur.text)
		case strings.HasPrefix(line, "$ "):
			flush()
			cur = &command{doc: doc, line: n, block: block, text: strings.TrimPrefix(line, "$ ")}
			cont = continues(cur.text)
		case cur != nil:
			cur.output += line + "\n"
		}
	}
	require.False(t, in, "%s: a console block is not closed", doc)
	return out
}

// continues reports whether a command goes on on the next line: it ends
// with a backslash, or a single-quoted string is open.
func continues(cmd string) bool {
	return strings.HasSuffix(cmd, `\`) || strings.Count(cmd, "'")%2 == 1
}

// tourServer is the sample EHR the tour runs against.
type tourServer struct {
	creds, data, origin string
	external            bool // started by .ci/run: the go run commands run too
}

// tourTarget returns the server of PATIENTSFHIR_TOUR_CREDENTIALS and
// PATIENTSFHIR_TOUR_DATA (a sample EHR started by .ci/run), or starts one
// in-process.
func tourTarget(t *testing.T) tourServer {
	t.Helper()
	if creds := os.Getenv("PATIENTSFHIR_TOUR_CREDENTIALS"); creds != "" {
		c := readCredentials(t, creds)
		u, err := url.Parse(c.TokenURL)
		require.NoError(t, err)
		return tourServer{creds: creds, data: os.Getenv("PATIENTSFHIR_TOUR_DATA"), origin: u.Scheme + "://" + u.Host, external: true}
	}
	dir := t.TempDir()
	o := options{data: filepath.Join(dir, "data"), patients: 100, tenants: 2, credentials: filepath.Join(dir, "creds.json")}
	s := startRun(t, o)
	t.Cleanup(func() { require.NoError(t, s.stop(t)) })
	c := readCredentials(t, o.credentials)
	u, err := url.Parse(c.TokenURL)
	require.NoError(t, err)
	return tourServer{creds: o.credentials, data: o.data, origin: u.Scheme + "://" + u.Host}
}

var (
	credsWord = regexp.MustCompile(`(^|[\s=])creds\.json\b`)
	portRE    = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

// TestTour runs the tour of README.md and docs/tour.md against a sample
// EHR and compares every output with the document's. The commands run as
// written, in one bash per document from the repository root, except
// that creds.json and sampleehr-data/ name the server's files, and
// http://127.0.0.1:8080 and PATIENTSFHIR_SERVER its address (which reads
// as 127.0.0.1:8080 in the outputs), and PATIENTSFHIR_TOUR_CLI, when set,
// is the binary of go run ./cmd/patientsfhir (.ci/run builds it once).
// Commands that start the sample EHR are not run. In-process, blocks
// with a go run command are skipped (they compile the CLI); .ci/run runs
// the test against the sample EHR it started, and then they run too.
func TestTour(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("PATIENTSFHIR_TOUR_CREDENTIALS") != "" {
				require.FailNow(t, "the tour needs "+tool)
			}
			t.Skipf("the tour needs %s: %v", tool, err)
		}
	}
	srv := tourTarget(t)
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	for _, doc := range tourDocs {
		t.Run(filepath.Base(doc), func(t *testing.T) {
			var cmds []command
			skip := map[int]bool{}
			for _, c := range consoleCommands(t, doc) {
				if !srv.external && strings.Contains(c.text, "go run ./cmd/") {
					skip[c.block] = true
				}
				cmds = append(cmds, c)
			}
			var script strings.Builder
			script.WriteString("cd " + shellQuote(root) + "\n")
			var run []command
			for _, c := range cmds {
				if skip[c.block] || strings.HasPrefix(c.text, "go run ./examples/sampleehr") {
					continue
				}
				text := credsWord.ReplaceAllString(c.text, "${1}"+shellQuote(srv.creds))
				text = strings.ReplaceAll(text, "sampleehr-data/", srv.data+"/")
				text = strings.ReplaceAll(text, "http://127.0.0.1:8080", srv.origin)
				if cli := os.Getenv("PATIENTSFHIR_TOUR_CLI"); cli != "" {
					text = strings.ReplaceAll(text, "go run ./cmd/patientsfhir", shellQuote(cli))
				}
				fmt.Fprintf(&script, "printf '\\n@@tour %d@@\\n'\n%s\n", len(run), text)
				run = append(run, c)
			}
			require.NotEmpty(t, run, "%s has no console command to run", doc)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
			cmd.Env = append(os.Environ(), "PATIENTSFHIR_SERVER="+srv.origin)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); ctx.Err() != nil {
				require.FailNow(t, "the tour did not finish", "%v; stderr: %s", err, stderr.String())
			}
			got := strings.Split(stdout.String(), "\n@@tour ")
			require.Len(t, got, len(run)+1, "stderr: %s", stderr.String())
			for i, c := range run {
				_, out, _ := strings.Cut(got[i+1], "@@\n")
				out = portRE.ReplaceAllString(strings.TrimRight(out, "\n"), "127.0.0.1:8080")
				assert.Equal(t, c.output, out, "%s:%d: $ %s", doc, c.line, c.text)
			}
			if stderr.Len() > 0 {
				t.Logf("stderr: %s", stderr.String())
			}
		})
	}
}

// shellQuote quotes s for bash.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
