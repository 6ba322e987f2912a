package auth

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// tokenForm is the client_secret_post body the Teams Patients app sends.
var tokenForm = url.Values{
	"grant_type":    {"client_credentials"},
	"client_id":     {benchClientID},
	"client_secret": {benchSecret},
	"scope":         {benchTenant},
}.Encode()

// impl is one token endpoint under comparison.
type impl struct {
	name string
	// handler builds the endpoint; it skips the benchmark when the implementation is not available.
	handler func(tb testing.TB) http.Handler
}

func impls() []impl {
	return []impl{
		{"floor", func(testing.TB) http.Handler { return floorHandler() }},
		{"patientsfhir", oursIssuer},
		{"go-oauth2", goOAuth2Handler},
		{"fosite", fositeHandler},
	}
}

// httpParallelism multiplies GOMAXPROCS for the parallel loopback modes: enough keep-alive
// connections in flight (16 on 2 cores) that the server, not the client's waiting, is the limit.
const httpParallelism = 8

// BenchmarkTokenIssuance issues client-credentials tokens with every implementation in four modes.
// Sub-benchmark names are impl=<name>/mode=<mode>; go run ./auth/ratios turns a run into ratios.
func BenchmarkTokenIssuance(b *testing.B) {
	for _, im := range impls() {
		b.Run("impl="+im.name, func(b *testing.B) {
			h := im.handler(b)
			checkTokenResponse(b, im.name, h)
			b.Run("mode=inprocess", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					serveOnce(b, h)
				}
			})
			b.Run("mode=inprocess-parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						serveOnce(b, h)
					}
				})
			})
			srv := httptest.NewServer(h)
			defer srv.Close()
			client := loopbackClient()
			defer client.CloseIdleConnections()
			b.Run("mode=http", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					postOnce(b, client, srv.URL)
				}
			})
			b.Run("mode=http-parallel", func(b *testing.B) {
				b.ReportAllocs()
				b.SetParallelism(httpParallelism)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						postOnce(b, client, srv.URL)
					}
				})
			})
		})
	}
}

// BenchmarkLoopbackRoundTrip is one keep-alive HTTP round trip on loopback to a handler that
// answers 204: the yardstick bearer verification is measured against.
func BenchmarkLoopbackRoundTrip(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	client := loopbackClient()
	defer client.CloseIdleConnections()
	get := func(b *testing.B) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/Patient/1", nil)
		req.Header.Set("Authorization", "Bearer "+string(constantTokenBody[17:577]))
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.Run("mode=serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			get(b)
		}
	})
	b.Run("mode=parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.SetParallelism(httpParallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				get(b)
			}
		})
	})
}

// BenchmarkBearerVerification verifies one freshly issued patientsfhir access token per operation
// (signature, header and every claim check), without HTTP.
func BenchmarkBearerVerification(b *testing.B) {
	verify, token := oursVerifier(b)
	if err := verify(token); err != nil {
		b.Fatalf("a freshly issued token does not verify: %v", err)
	}
	b.Run("mode=serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := verify(token); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mode=parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := verify(token); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

func loopbackClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	return &http.Client{Transport: tr}
}

func newTokenRequest() *http.Request {
	r := httptest.NewRequest(http.MethodPost, "https://auth.example.com/token", strings.NewReader(tokenForm))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func serveOnce(b *testing.B, h http.Handler) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, newTokenRequest())
	if rec.Code != http.StatusOK {
		b.Errorf("status %d: %s", rec.Code, rec.Body.String())
		b.FailNow()
	}
}

func postOnce(b *testing.B, client *http.Client, base string) {
	req, err := http.NewRequest(http.MethodPost, base+"/token", strings.NewReader(tokenForm))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		b.Error(err)
		b.FailNow()
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Errorf("status %d", resp.StatusCode)
		b.FailNow()
	}
}

// checkTokenResponse makes sure an implementation really issues a token for the request before
// it is timed, so that a misconfigured peer cannot look fast by failing.
func checkTokenResponse(tb testing.TB, name string, h http.Handler) {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, newTokenRequest())
	if rec.Code != http.StatusOK {
		tb.Fatalf("%s: status %d: %s", name, rec.Code, rec.Body.String())
	}
	var body struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	if body.AccessToken == "" || !strings.EqualFold(body.TokenType, "bearer") || body.ExpiresIn <= 0 {
		tb.Fatalf("%s: not a token response: %s", name, rec.Body.String())
	}
	if testing.Verbose() {
		fmt.Printf("# %s: %d-byte token, expires_in %d\n", name, len(body.AccessToken), body.ExpiresIn)
	}
}
