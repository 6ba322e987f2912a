package peers

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/patientsfhir/patientsfhir/bench/load"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// Subject is a patient the searches ask for.
type Subject struct {
	// ID, Family, Given and MRN are the patient's id, names and medical
	// record number.
	ID, Family, Given, MRN string
}

// Subjects draws n patients spread over the population.
func Subjects(pop *population.Population, n int) []Subject {
	n = min(n, pop.Size())
	out := make([]Subject, 0, n)
	for i := range n {
		p := pop.Patient(i * pop.Size() / n).Patient
		out = append(out, Subject{ID: p.ID, Family: p.Family, Given: p.Given[0], MRN: p.MRN})
	}
	return out
}

// Search is one request of the Patients app, measured on every server.
type Search struct {
	// Name names it in the report.
	Name string
	// Method is GET or POST.
	Method string
	// Path is the path and query below the FHIR base for a subject ("" is
	// the base itself; "/token" is the token endpoint, at the root).
	Path func(Subject) string
	// Body is the request body (POST), ContentType its media type.
	Body        func(Subject) string
	ContentType string
	// Node reports whether the node peer serves it.
	Node bool
	// Token asks for a token before the request, as the Patients app does
	// before every call.
	Token bool
}

// Searches are the searches measured: the Patients app's Patient searches
// and read, each clinical search of a patient's page, their batch, the
// token endpoint, and the app's pattern (a token, then the vital signs).
var Searches = []Search{
	{Name: "Patient?family&given", Method: http.MethodGet, Node: true,
		Path: func(s Subject) string {
			return "Patient?" + url.Values{"family": {s.Family}, "given": {s.Given}}.Encode()
		}},
	{Name: "Patient?identifier", Method: http.MethodGet, Node: true,
		Path: func(s Subject) string { return "Patient?identifier=" + url.QueryEscape(s.MRN) }},
	{Name: "Patient/{id}", Method: http.MethodGet, Node: true,
		Path: func(s Subject) string { return "Patient/" + s.ID }},
	{Name: "Observation vital signs", Method: http.MethodGet, Node: true,
		Path: func(s Subject) string { return "Observation?patient=" + s.ID + "&_sort:desc=date&category=vital-signs" }},
	{Name: "Condition _count=10", Method: http.MethodGet, Node: true,
		Path: func(s Subject) string { return "Condition?patient=" + s.ID + "&_count=10" }},
	{Name: "Encounter latest", Method: http.MethodGet, Node: true,
		Path: func(s Subject) string { return "Encounter?patient=" + s.ID + "&_sort:desc=date&_count=1" }},
	{Name: "AllergyIntolerance", Method: http.MethodGet, Node: true,
		Path: func(s Subject) string { return "AllergyIntolerance?patient=" + s.ID }},
	{Name: "MedicationRequest _count=10", Method: http.MethodGet, Node: true,
		Path: func(s Subject) string { return "MedicationRequest?patient=" + s.ID + "&_count=10" }},
	{Name: "Coverage", Method: http.MethodGet, Node: true,
		Path: func(s Subject) string { return "Coverage?patient=" + s.ID }},
	{Name: "batch of the six", Method: http.MethodPost, ContentType: "application/fhir+json",
		Path: func(Subject) string { return "" }, Body: func(s Subject) string { return load.BatchBody(s.ID) }},
	{Name: "token", Method: http.MethodPost, ContentType: "application/x-www-form-urlencoded",
		Path: func(Subject) string { return "/token" }},
	{Name: "token + vital signs", Method: http.MethodGet, Token: true,
		Path: func(s Subject) string { return "Observation?patient=" + s.ID + "&_sort:desc=date&category=vital-signs" }},
}

// Server is one of the servers compared.
type Server struct {
	// Name names it in the report.
	Name string
	// Base is the FHIR base URL; Root the server's root (the token
	// endpoint is Root+"/token").
	Base, Root string
	// ClientID and Secret are the credentials of its token endpoint, if
	// any; Token a bearer token for its searches.
	ClientID, Secret, Token string
	// Node reports the node peer (which serves only Search.Node searches).
	Node bool
	// Stats is the URL of the server's measurements (Go servers only).
	Stats string
	// Pid is the server's process (the node cluster's primary).
	Pid int

	stop func() error
}

// Stop stops the server.
func (s *Server) Stop() error { return s.stop() }

// url is the request URL of search q for subject sub on s.
func (s *Server) url(q Search, sub Subject) string {
	p := q.Path(sub)
	switch {
	case strings.HasPrefix(p, "/"):
		return s.Root + p
	case p == "":
		return s.Base
	}
	return s.Base + "/" + p
}

// Requests lists every request of the searches for the subjects, as the
// floor captures them (paths below the root, on the /stu3 base).
func Requests(subjects []Subject) []load.Request {
	var out []load.Request
	for _, q := range Searches {
		if q.Path(Subject{}) == "/token" {
			continue // the floor answers the token endpoint with one captured token
		}
		for _, s := range subjects {
			r := load.Request{Method: q.Method, URI: "/stu3", ContentType: q.ContentType}
			if p := q.Path(s); p != "" {
				r.URI += "/" + p
			}
			if q.Body != nil {
				r.Body = q.Body(s)
			}
			out = append(out, r)
		}
	}
	return out
}

// StartGo starts one of the Go servers in a child process: mode "sql"
// (the module over the sample EHR's SQLite backend), "mem" (over the
// in-memory engine) or "floor" (a bare net/http handler writing the bytes
// "sql" writes for exactly these requests).
func StartGo(ctx context.Context, mode string, o load.Options, subjects []Subject) (*Server, error) {
	name := map[string]string{"sql": "patientsfhir + SQLite", "mem": "patientsfhir + in-memory engine", "floor": "bare net/http floor"}[mode]
	if mode == "floor" {
		o.Floor = Requests(subjects)
	} else {
		o.Backend = mode
	}
	c, err := load.StartChild(ctx, o, os.Stderr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	s := &Server{Name: name, Root: c.URL, Base: c.URL + "/stu3", ClientID: c.ClientID, Secret: c.Secret, Stats: c.Ready.Stats,
		Pid: c.Pid(), stop: c.Stop}
	if s.Token, err = token(ctx, s); err != nil {
		c.Stop()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return s, nil
}

// Refresh gets s a fresh bearer token (tokens expire during a long run);
// the node peer and the floor ask for none.
func Refresh(ctx context.Context, s *Server) error {
	if s.Node || s.ClientID == "" {
		return nil
	}
	tok, err := token(ctx, s)
	if err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	s.Token = tok
	return nil
}

// token asks s's token endpoint for a token.
func token(ctx context.Context, s *Server) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID}, "client_secret": {s.Secret}, "scope": {load.Tenant}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Root+"/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token: status %d: %v", resp.StatusCode, err)
	}
	return tr.AccessToken, nil
}

// Export writes the population's STU3 resources as one JSON object of
// arrays by type: the node peer's data.
func Export(pop *population.Population, w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	byType := map[string][][]byte{}
	for i := range pop.Size() {
		for _, r := range pop.Patient(i).STU3() {
			b, err := stu3.Marshal(r)
			if err != nil {
				return err
			}
			t := r.ResourceType()
			byType[t] = append(byType[t], b)
		}
	}
	bw.WriteString("{")
	for i, t := range slices.Sorted(mapsKeys(byType)) {
		if i > 0 {
			bw.WriteString(",")
		}
		fmt.Fprintf(bw, "%q:[", t)
		for j, b := range byType[t] {
			if j > 0 {
				bw.WriteString(",\n")
			}
			bw.Write(b)
		}
		bw.WriteString("]")
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// NodeDir is the node peer's directory (bench/peers/node), found from the
// working directory (bench or bench/peers or the repository root).
func NodeDir() (string, error) {
	for _, d := range []string{"peers/node", "node", "bench/peers/node", "../peers/node"} {
		if _, err := os.Stat(filepath.Join(d, "server.js")); err == nil {
			return filepath.Abs(d)
		}
	}
	return "", errors.New("peers: bench/peers/node/server.js not found: run from bench/")
}

// StartNode starts the node peer over data (a file written by Export)
// with workers processes, installing its packages first with npm ci if
// they are missing.
func StartNode(ctx context.Context, data string, workers int) (*Server, error) {
	dir, err := NodeDir()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@asymmetrik", "node-fhir-server-core")); err != nil {
		npm := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund")
		npm.Dir, npm.Stdout, npm.Stderr = dir, os.Stderr, os.Stderr
		if err := npm.Run(); err != nil {
			return nil, fmt.Errorf("peers: npm ci in %s: %w", dir, err)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("node", filepath.Join(dir, "server.js"), data, strconv.Itoa(port))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WORKERS="+strconv.Itoa(workers), "NODE_ENV=production")
	cmd.Stderr = os.Stderr
	// Its own process group (the cluster's workers are stopped with it),
	// and a SIGTERM should this process die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	p, _, err := load.StartProcess(sctx, cmd)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			err = errors.New("it did not listen within 5 minutes")
		}
		return nil, fmt.Errorf("peers: node: %w", err)
	}
	root := "http://127.0.0.1:" + strconv.Itoa(port)
	name := "node-fhir-server-core"
	if workers > 1 {
		name += fmt.Sprintf(" (%d processes)", workers)
	}
	return &Server{Name: name, Root: root, Base: root + "/3_0_1", Node: true, Pid: p.Pid(), stop: p.Stop}, nil
}

// freePort finds a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// cores is the machine's CPU count.
var cores = runtime.NumCPU()
