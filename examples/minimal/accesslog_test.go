package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

// logLines returns the JSON log lines in logs whose msg is msg.
func logLines(t *testing.T, logs *testsupport.Buffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(logs.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// The demo logs one line per request with the route pattern, the status,
// the tenant, the client and the request id it returns, and never the
// search's values; its probes answer on the public port.
func TestAccessLog(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var logs testsupport.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan credentials, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, options{tenant: DefaultTenant, clientID: "patients-app"}, ln,
			slog.New(slog.NewJSONHandler(&logs, nil)), func(c credentials) { ready <- c })
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(30 * time.Second):
			assert.Fail(t, "no graceful shutdown within 30s")
		}
	})
	var c credentials
	select {
	case c = <-ready:
	case err := <-done:
		require.FailNow(t, "run returned before the server was ready", "run: %v", err)
	}
	cc := clientcredentials.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, TokenURL: c.TokenURL, Scopes: []string{c.Tenant}}
	client := cc.Client(context.Background())

	req, err := http.NewRequest("POST", c.BaseURL+"/stu3/Patient/_search", strings.NewReader("family=chauvinist&given=hughbert"))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Request-Id", "demo-req-1")
	res, err := client.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "demo-req-1", res.Header.Get("X-Request-Id"))

	res, err = http.Get(c.BaseURL + "/readyz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)

	var search map[string]any
	for _, l := range logLines(t, &logs, "http request") {
		if l["request_id"] == "demo-req-1" {
			search = l
		}
	}
	require.NotNil(t, search, logs.String())
	assert.Equal(t, "/stu3/Patient/_search", search["route"])
	assert.Equal(t, float64(200), search["status"])
	assert.Equal(t, c.Tenant, search["tenant"])
	assert.Equal(t, "patients-app", search["client"])
	assert.Greater(t, search["bytes"], float64(0))
	assert.NotContains(t, logs.String(), "chauvinist")
	assert.NotContains(t, logs.String(), "hughbert")
	assert.NotContains(t, logs.String(), c.ClientSecret)
}
