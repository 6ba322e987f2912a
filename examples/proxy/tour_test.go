package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

// The tour of docs/proxy.md ("Try it"), whose blocks are excerpts of this
// file. TestTour starts the two demo upstreams and the proxy as the doc's
// commands do (on free ports instead of 8080-8082), checks the banner,
// runs the doc's curl and jq commands with bash against them, compares what
// they print with the doc's "# " lines, then stops the second upstream and
// checks the answer and the log line the doc shows.

// tourBanner is what the proxy prints once it listens (the secret
// shortened).
const tourBanner = `
patientsfhir upstream proxy
  FHIR STU3:  http://127.0.0.1:8080/stu3   FHIR DSTU2: http://127.0.0.1:8080/dstu2
  token URL:  http://127.0.0.1:8080/token
  client_id:     patients-app
  client_secret: fhcs_NhmhKbKJXh_...
  scope (tenant): 11111111-2222-4333-8444-555555555555   -> http://127.0.0.1:8081
  second tenant:  66666666-7777-4888-9999-000000000000   -> http://127.0.0.1:8082
`

// tourSearch gets a token per tenant and searches; each command's output
// follows it in "# " lines ("..." stands for anything, a note in
// parentheses after two spaces is not output).
const tourSearch = `
SECRET=fhcs_...   # printed above
token() { curl -s -X POST http://127.0.0.1:8080/token -d grant_type=client_credentials \
  -d client_id=patients-app --data-urlencode client_secret=$SECRET -d scope=$1 | jq -r .access_token; }
A=$(token 11111111-2222-4333-8444-555555555555)
B=$(token 66666666-7777-4888-9999-000000000000)

curl -s -H "Authorization: Bearer $A" 'http://127.0.0.1:8080/stu3/Patient?family=chau' | jq '.total, [.entry[].fullUrl], [.link[].url]'
# 1
# ["http://127.0.0.1:8080/stu3/Patient/pat-1"]
# ["http://127.0.0.1:8080/stu3/Patient?family%3Acontains=chau&_count=20"]

curl -s -H "Authorization: Bearer $B" 'http://127.0.0.1:8080/dstu2/Patient?family:contains=chau' | jq '.total, [.entry[].fullUrl]'
# 1
# ["http://127.0.0.1:8080/dstu2/Patient/pat-4"]      (Chauvin; pat-1 lives on the other upstream)

curl -s -H "Authorization: Bearer $B" http://127.0.0.1:8080/stu3/Patient/pat-1
# {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"The resource was not found."}]}
`

// tourPaging pages through the proxy's cursors.
const tourPaging = `
curl -s -H "Authorization: Bearer $A" \
  'http://127.0.0.1:8080/stu3/Observation?patient=pat-1&category=vital-signs&_sort:desc=date&_count=2' | jq '.total, [.link[] | .relation + " " + .url]'
# 48
# ["self http://127.0.0.1:8080/stu3/Observation?category=vital-signs&patient=pat-1&_count=2&_sort=-date",
#  "next http://127.0.0.1:8080/stu3/Observation?category=vital-signs&patient=pat-1&_count=2&_sort=-date&_cursor=..."]
`

// tourFailure is the answer to the second tenant's search once its
// upstream is stopped, and the proxy's log line about it (without its
// time).
const tourFailure = `
HTTP/1.1 502 Bad Gateway
Content-Type: application/fhir+json; charset=utf-8
{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"The provider's FHIR server failed to answer."}]}

level=WARN msg="proxy: upstream request failed" upstream=upstream-b op="Patient search" reason="connection failed"
`

// tourStep is one command of a tour block and the output the doc shows.
type tourStep struct {
	cmd, want []string
}

// tourSteps splits a tour block into commands (consecutive lines) and the
// "# " lines after them.
func tourSteps(block string) []tourStep {
	var steps []tourStep
	open := false // the last step takes more command lines
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			open = false
		case strings.HasPrefix(line, "#"):
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, strings.TrimPrefix(strings.TrimPrefix(line, "#"), " "))
			open = false
		case open:
			steps[len(steps)-1].cmd = append(steps[len(steps)-1].cmd, line)
		default:
			steps = append(steps, tourStep{cmd: []string{line}})
			open = true
		}
	}
	return steps
}

var (
	tourNote  = regexp.MustCompile(`\s{2,}\(.*\)$`)
	tourSpace = regexp.MustCompile(`\s+`)
	tourPort  = regexp.MustCompile(`127\.0\.0\.1:\d+`)
)

// tourMatch reports whether a command printed what the doc shows: the
// same text, white space aside, with "..." matching anything but a quote.
func tourMatch(want []string, got string) bool {
	var text strings.Builder
	for _, w := range want {
		text.WriteString(tourNote.ReplaceAllString(w, ""))
	}
	pattern := regexp.QuoteMeta(tourSpace.ReplaceAllString(text.String(), ""))
	pattern = strings.ReplaceAll(pattern, `\.\.\.`, `[^"]*`)
	return regexp.MustCompile("^" + pattern + "$").MatchString(tourSpace.ReplaceAllString(got, ""))
}

// startStoppable runs a demo upstream until stop is called or the test
// ends; stop returns once it no longer accepts connections.
func startStoppable(t *testing.T, o upstreamOptions) (url string, stop func()) {
	stopCtx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	url = start(t, func(ctx context.Context, ln net.Listener, ready func(string)) error {
		ctx, cancelRun := context.WithCancel(ctx)
		defer context.AfterFunc(stopCtx, cancelRun)()
		return runUpstream(ctx, o, ln, quiet, ready)
	})
	return url, func() {
		cancel()
		require.Eventually(t, func() bool {
			c, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
			if err == nil {
				c.Close()
			}
			return err != nil
		}, 10*time.Second, 10*time.Millisecond, "the upstream did not stop")
	}
}

func TestTour(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the tour needs %s: %v", tool, err)
		}
	}
	// go run ./examples/proxy upstream -addr 127.0.0.1:8081 -patients pat-1,pat-2 &
	a := startUpstream(t, upstreamOptions{patients: []string{"pat-1", "pat-2"}})
	// UPSTREAM_TOKEN=b-secret go run ./examples/proxy upstream -addr 127.0.0.1:8082 -patients pat-3,pat-4,pat-5 &
	b, stopB := startStoppable(t, upstreamOptions{patients: []string{"pat-3", "pat-4", "pat-5"}, token: "b-secret"})
	// UPSTREAM_B_TOKEN=b-secret go run ./examples/proxy -upstream-a http://127.0.0.1:8081 -upstream-b http://127.0.0.1:8082
	var logs testsupport.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	o := options{upstreamA: a, upstreamB: b, tokenB: "b-secret", tenant: DefaultTenant, tenant2: DefaultTenant2, clientID: "patients-app"}
	c := start(t, func(ctx context.Context, ln net.Listener, ready func(credentials)) error {
		return runProxy(ctx, o, ln, log, ready)
	})
	// The doc's addresses for the real ones.
	docAddrs := strings.NewReplacer(c.BaseURL, "http://127.0.0.1:8080", a, "http://127.0.0.1:8081", b, "http://127.0.0.1:8082")

	var banner bytes.Buffer
	printBanner(&banner, o, c)
	got := strings.ReplaceAll(docAddrs.Replace(banner.String()), c.ClientSecret, "fhcs_NhmhKbKJXh_...")
	assert.Equal(t, strings.TrimPrefix(tourBanner, "\n"), got)

	steps := append(tourSteps(tourSearch), tourSteps(tourPaging)...)
	var script strings.Builder
	for i, s := range steps {
		cmd := strings.Join(s.cmd, "\n")
		cmd = strings.ReplaceAll(cmd, "SECRET=fhcs_...", "SECRET="+c.ClientSecret)
		cmd = strings.ReplaceAll(cmd, "http://127.0.0.1:8080", c.BaseURL)
		script.WriteString("printf '\\n@@tour " + strconv.Itoa(i) + "@@\\n'\n" + cmd + "\n")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
	outs := strings.Split(stdout.String(), "\n@@tour ")
	require.Len(t, outs, len(steps)+1, "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
	for i, s := range steps {
		_, out, _ := strings.Cut(outs[i+1], "@@\n")
		out = tourPort.ReplaceAllString(docAddrs.Replace(out), "127.0.0.1:8080")
		assert.True(t, tourMatch(s.want, out), "$ %s\nthe doc shows:\n%s\nit printed:\n%s", strings.Join(s.cmd, "\n"), strings.Join(s.want, "\n"), out)
	}

	// Stop the second upstream and ask again.
	stopB()
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL, Scopes: []string{DefaultTenant2}}
	resp, err := cc.Client(context.Background()).Get(c.BaseURL + "/stu3/Patient?family=chau")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var logLine string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "upstream request failed") {
			logLine = l
		}
	}
	exchange := "\n" + resp.Proto + " " + resp.Status + "\nContent-Type: " + resp.Header.Get("Content-Type") + "\n" + string(body) + "\n\n" + logLine + "\n"
	assert.Equal(t, tourFailure, exchange)
	assert.NotContains(t, string(body)+logs.String(), strings.TrimPrefix(b, "http://"), "the upstream's address is in no answer and no log line")
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode)
}
