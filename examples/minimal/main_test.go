package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"
)

// start runs the server on a random port and returns its credentials.
func start(t *testing.T, o options) credentials {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan credentials, 1)
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	go func() { done <- run(ctx, o, ln, log, func(c credentials) { ready <- c }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("shutdown: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("no graceful shutdown")
		}
	})
	select {
	case c := <-ready:
		return c
	case err := <-done:
		t.Fatalf("run: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start")
	}
	return credentials{}
}

func getJSON(t *testing.T, c *http.Client, method, url, ctype string, body []byte) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

// The real flow: client credentials through golang.org/x/oauth2, then a
// search and a batch on both versions; no token, no data.
func TestClientCredentialsFlow(t *testing.T) {
	c := start(t, options{tenant: DefaultTenant, clientID: "patients-app"})
	if c.ClientSecret == "" || !strings.HasSuffix(c.TokenURL, "/token") {
		t.Fatalf("credentials %+v", c)
	}
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL, Scopes: []string{c.Tenant}}
	client := cc.Client(context.Background())
	anon := http.DefaultClient

	for _, v := range []struct{ base, capability, medication string }{
		{"/stu3", "CapabilityStatement", "MedicationRequest"},
		{"/dstu2", "Conformance", "MedicationOrder"},
	} {
		base := c.BaseURL + v.base
		// metadata without a token, with the token URL the app will use
		st, md := getJSON(t, anon, "GET", base+"/metadata", "", nil)
		if st != 200 || md["resourceType"] != v.capability || !strings.Contains(mustJSON(md), c.TokenURL) {
			t.Errorf("%s metadata: %d %v", v.base, st, md["resourceType"])
		}
		// data without a token: 401
		if st, _ := getJSON(t, anon, "GET", base+"/Patient/pat-1", "", nil); st != 401 {
			t.Errorf("%s read without token: %d", v.base, st)
		}
		// search with the token (POST _search with a form body, as the app does)
		st, b := getJSON(t, client, "POST", base+"/Patient/_search", "application/x-www-form-urlencoded", []byte("family=chau&given=hugh"))
		if st != 200 || b["total"] != float64(1) {
			t.Errorf("%s Patient search: %d total %v", v.base, st, b["total"])
		}
		// a batch of clinical searches for pat-1
		batch := `{"resourceType":"Bundle","type":"batch","entry":[
			{"request":{"method":"GET","url":"Observation?patient=pat-1&_sort:desc=date&category=vital-signs&_count=3"}},
			{"request":{"method":"GET","url":"Encounter?patient=pat-1&_sort=-date&_count=1"}},
			{"request":{"method":"GET","url":"` + v.medication + `?patient=pat-1&_count=10"}}]}`
		st, b = getJSON(t, client, "POST", base, "application/fhir+json", []byte(batch))
		if st != 200 || b["type"] != "batch-response" {
			t.Fatalf("%s batch: %d %v", v.base, st, b)
		}
		entries, _ := b["entry"].([]any)
		if len(entries) != 3 {
			t.Fatalf("%s batch: %d entries", v.base, len(entries))
		}
		enc := entries[1].(map[string]any)["resource"].(map[string]any)
		first := enc["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		if first["id"] != "enc-1-6" {
			t.Errorf("%s newest encounter %v, want enc-1-6", v.base, first["id"])
		}
	}
}

// -open serves without a token and does not publish a token URL.
func TestOpen(t *testing.T) {
	c := start(t, options{open: true, tenant: DefaultTenant, clientID: "x"})
	if c.ClientSecret != "" {
		t.Error("open mode created a client")
	}
	st, b := getJSON(t, http.DefaultClient, "GET", c.BaseURL+"/stu3/Patient/pat-1", "", nil)
	if st != 200 || b["id"] != "pat-1" {
		t.Errorf("open read: %d %v", st, b["id"])
	}
	_, md := getJSON(t, http.DefaultClient, "GET", c.BaseURL+"/stu3/metadata", "", nil)
	if strings.Contains(mustJSON(md), "oauth-uris") {
		t.Error("open server advertises OAuth")
	}
	var buf bytes.Buffer
	printBanner(&buf, options{open: true}, c)
	if !strings.Contains(buf.String(), "NO AUTHENTICATION") {
		t.Error("open mode is not said loudly")
	}
}

func TestRoute(t *testing.T) {
	for in, want := range map[string]string{
		"/stu3/Patient/pat-1": "/stu3/Patient/{id}", "/stu3/Patient/_search": "/stu3/Patient/_search",
		"/stu3/Patient": "/stu3/Patient", "/token": "/token", "/dstu2": "/dstu2",
	} {
		if got := route(in); got != want {
			t.Errorf("route(%s) = %s, want %s", in, got, want)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
