package peers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/patientsfhir/patientsfhir/bench/load"
)

// Run is one measurement: a search on a server at a connection count.
type Run struct {
	// Server and Search name what was measured; Conns the connections.
	Server, Search string
	Conns          int
	// Throughput is operations per second; P50 and P99 their latency.
	Throughput float64
	P50, P99   time.Duration
	// Errors counts failed operations.
	Errors int
	// CPU is the server's CPU time per operation (all its processes): what
	// an operation costs, which other load on a shared machine moves much
	// less than it moves throughput.
	CPU time.Duration
}

// newClient returns an HTTP client with conns keep-alive connections.
func newClient(conns int) *http.Client {
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		DisableCompression:  true,
	}}
}

// do sends one operation of q for sub to s.
func do(ctx context.Context, c *http.Client, s *Server, q Search, sub Subject, form string) error {
	bearer := s.Token
	if q.Token {
		if s.Node {
			bearer = ""
		} else if tok, err := send(ctx, c, http.MethodPost, s.Root+"/token", "application/x-www-form-urlencoded", form, ""); err != nil {
			return err
		} else if bearer, err = accessToken(tok); err != nil {
			return err
		}
	}
	body := ""
	if q.Body != nil {
		body = q.Body(sub)
	} else if q.Path(sub) == "/token" {
		body, bearer = form, ""
	}
	_, err := send(ctx, c, q.Method, s.url(q, sub), q.ContentType, body, bearer)
	return err
}

// send sends a request and reads the whole answer, which must be a 200.
func send(ctx context.Context, c *http.Client, method, u, ctype, body, bearer string) ([]byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/fhir+json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("%s %s: status %d", method, u, resp.StatusCode)
	}
	return b, nil
}

func accessToken(body []byte) (string, error) {
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("no access token in %q", body)
	}
	return tr.AccessToken, nil
}

// tokenForm is the Patients app's token request for s.
func tokenForm(s *Server) string {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {s.ClientID}, "client_secret": {s.Secret}, "scope": {load.Tenant}}.Encode()
}

// Measure runs q on s with conns connections, each starting its next
// operation when its last one ends, for warmup (not measured) and then d.
// Connection w asks for subjects w, w+conns, w+2·conns, ...
func Measure(ctx context.Context, s *Server, q Search, subjects []Subject, conns int, warmup, d time.Duration) Run {
	c := newClient(conns)
	defer c.CloseIdleConnections()
	form := tokenForm(s)
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	start := time.Now()
	measureFrom, end := start.Add(warmup), start.Add(warmup+d)
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for i := w; ; i += conns {
				t0 := time.Now()
				if !t0.Before(end) || ctx.Err() != nil {
					break
				}
				err := do(ctx, c, s, q, subjects[i%len(subjects)], form)
				if t0.Before(measureFrom) {
					continue
				}
				if err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat, errs = append(lat, mine...), errs+bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	return Run{Server: s.Name, Search: q.Name, Conns: conns, Throughput: float64(len(lat)) / d.Seconds(),
		P50: load.Percentile(lat, 0.5), P99: load.Percentile(lat, 0.99), Errors: errs}
}

// Verify sends every search the node peer serves to every server for a
// few subjects and checks that they agree: the same total (searches) or
// the same id (reads). The comparison is worth nothing unless they do.
func Verify(ctx context.Context, servers []*Server, subjects []Subject) error {
	c := newClient(1)
	defer c.CloseIdleConnections()
	for _, q := range Searches {
		if !q.Node {
			continue
		}
		for _, sub := range subjects[:min(5, len(subjects))] {
			want := ""
			for _, s := range servers {
				b, err := send(ctx, c, q.Method, s.url(q, sub), q.ContentType, "", s.Token)
				if err != nil {
					return fmt.Errorf("%s: %w", s.Name, err)
				}
				var got struct {
					ResourceType string `json:"resourceType"`
					ID           string `json:"id"`
					Total        *int   `json:"total"`
					Entry        []json.RawMessage
				}
				if err := json.Unmarshal(b, &got); err != nil {
					return fmt.Errorf("%s %s: %w", s.Name, q.Name, err)
				}
				v := got.ResourceType + "/" + got.ID
				if got.Total != nil {
					v = fmt.Sprintf("total %d, %d entries", *got.Total, len(got.Entry))
				}
				if want == "" {
					want = v
				} else if v != want {
					return fmt.Errorf("peers: %s for %s: %s answers %s, %s answers %s", q.Name, sub.ID, servers[0].Name, want, s.Name, v)
				}
			}
		}
	}
	return nil
}
