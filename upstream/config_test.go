package upstream_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/routing"
	"github.com/patientsfhir/patientsfhir/upstream"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  upstream.Config
		want []string // substrings of the error; none for a valid config
	}{
		{"https", upstream.Config{BaseURL: "https://ehr.example.org/fhir/STU3"}, nil},
		{"loopback http", upstream.Config{BaseURL: "http://127.0.0.1:8081/stu3"}, nil},
		{"localhost http", upstream.Config{BaseURL: "http://localhost:8081/stu3"}, nil},
		{"private http allowed", upstream.Config{BaseURL: "http://hapi:8080/fhir", AllowHTTP: true}, nil},
		{"everything", upstream.Config{BaseURL: "https://ehr.example.org/fhir", Name: "a", LinkBases: []string{"http://hapi:8080/fhir"},
			Auth:   upstream.ClientCredentials{TokenURL: "https://ehr.example.org/token", ClientID: "c", ClientSecret: "s"},
			Params: map[string]string{"Coverage.patient": "beneficiary"}, Header: http.Header{"Epic-Client-Id": {"x"}},
			CursorKey: make([]byte, 32), SortSyntax: upstream.SortModifier}, nil},
		{"missing base", upstream.Config{}, []string{"Config.BaseURL: must satisfy required"}},
		{"not a URL", upstream.Config{BaseURL: "ehr.example.org"}, []string{"Config.BaseURL"}},
		{"remote http", upstream.Config{BaseURL: "http://ehr.example.org/fhir"}, []string{"Config.BaseURL: must be https"}},
		{"query", upstream.Config{BaseURL: "https://ehr.example.org/fhir?x=1"}, []string{"Config.BaseURL: must have no query"}},
		{"user info", upstream.Config{BaseURL: "https://u:p@ehr.example.org/fhir"}, []string{"Config.BaseURL: must have no query, fragment or user info"}},
		{"scheme", upstream.Config{BaseURL: "ftp://ehr.example.org/fhir"}, []string{"Config.BaseURL: must be http or https"}},
		{"negative limits", upstream.Config{BaseURL: "https://e.org", Timeout: -1, MaxConns: -1, MaxResponseBytes: -1},
			[]string{"Config.Timeout: must satisfy gte=0", "Config.MaxConns", "Config.MaxResponseBytes"}},
		{"short cursor key", upstream.Config{BaseURL: "https://e.org", CursorKey: []byte("short")}, []string{"Config.CursorKey: must satisfy len=32"}},
		{"sort syntax", upstream.Config{BaseURL: "https://e.org", SortSyntax: 7}, []string{"Config.SortSyntax"}},
		{"bearer without token", upstream.Config{BaseURL: "https://e.org", Auth: upstream.Bearer{}}, []string{"Config.Auth.Token: required"}},
		{"bearer with a newline", upstream.Config{BaseURL: "https://e.org", Auth: upstream.Bearer{Token: "a\nb"}}, []string{"Config.Auth.Token: must not contain white space"}},
		{"client credentials incomplete", upstream.Config{BaseURL: "https://e.org", Auth: upstream.ClientCredentials{}},
			[]string{"Config.Auth.ClientID: required", "Auth.TokenURL: must be an absolute URL"}},
		{"token URL over http", upstream.Config{BaseURL: "https://e.org", Auth: upstream.ClientCredentials{TokenURL: "http://e.org/token", ClientID: "c"}},
			[]string{"Config.Auth.TokenURL: must be https"}},
		{"token URL over http, by pointer", upstream.Config{BaseURL: "https://e.org", Auth: &upstream.ClientCredentials{TokenURL: "http://e.org/token", ClientID: "c"}},
			[]string{"Config.Auth.TokenURL: must be https"}},
		{"nil pointer", upstream.Config{BaseURL: "https://e.org", Auth: (*upstream.Bearer)(nil)}, []string{"Config.Auth: a nil pointer"}},
		{"token source missing", upstream.Config{BaseURL: "https://e.org", Auth: upstream.TokenSource{}}, []string{"Config.Auth.Source: required"}},
		{"refused headers", upstream.Config{BaseURL: "https://e.org", Header: http.Header{"Cookie": {"x"}, "X-Forwarded-For": {"1.2.3.4"}, "connection": {"close"}}},
			[]string{"Config.Header: Cookie may not be set", "Config.Header: X-Forwarded-For may not be set", "Config.Header: Connection may not be set"}},
		{"bad link base", upstream.Config{BaseURL: "https://e.org", LinkBases: []string{"https://e.org/?q=1"}}, []string{"Config.LinkBases[0]"}},
		{"bad rename", upstream.Config{BaseURL: "https://e.org", Params: map[string]string{"patient": "x", "Coverage.patient": "a b"}},
			[]string{`Config.Params["patient"]`, `Config.Params["Coverage.patient"]`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// Secrets never print: not with %v, %+v, %#v, nor through slog.
func TestSecretsDoNotPrint(t *testing.T) {
	cfgs := []upstream.Config{
		{BaseURL: "https://e.org", Auth: upstream.Bearer{Token: "s3cret-token"}},
		{BaseURL: "https://e.org", Auth: upstream.ClientCredentials{TokenURL: "https://e.org/t", ClientID: "c", ClientSecret: "s3cret-secret"}},
		{BaseURL: "https://e.org", Auth: &upstream.ClientCredentials{TokenURL: "https://e.org/t", ClientID: "c", ClientSecret: "s3cret-secret"}},
		{BaseURL: "https://e.org", CursorKey: []byte("s3cret-key-s3cret-key-s3cret-key")},
	}
	for _, cfg := range cfgs {
		var b strings.Builder
		fmt.Fprintf(&b, "%v %+v %s", cfg, cfg, cfg)
		assert.Equal(t, cfg.String(), fmt.Sprintf("%#v", cfg))
		fmt.Fprintf(&b, " %v %+v %#v", cfg.Auth, cfg.Auth, cfg.Auth)
		log := slog.New(slog.NewTextHandler(&b, nil))
		log.Info("x", "auth", cfg.Auth, "cfg", cfg)
		assert.NotContains(t, b.String(), "s3cret")
	}
}

// fake is a backend for the Set tests.
type fake struct {
	base   string
	closed *int
}

func (f fake) Close() { *f.closed++ }

func openFake(closed *int) func(upstream.Config) (fake, error) {
	return func(cfg upstream.Config) (fake, error) {
		if err := cfg.Validate(); err != nil {
			return fake{}, err
		}
		return fake{base: cfg.Name + "@" + cfg.BaseURL, closed: closed}, nil
	}
}

func TestSet(t *testing.T) {
	closed := 0
	set, err := upstream.NewSet(map[string]upstream.Config{
		"hospital-a": {BaseURL: "https://a.example.org/fhir"},
		"hospital-b": {BaseURL: "https://b.example.org/fhir", Name: "b"},
	}, openFake(&closed))
	require.NoError(t, err)
	assert.Equal(t, []string{"hospital-a", "hospital-b"}, set.Names())
	a, ok := set.Backend("hospital-a")
	require.True(t, ok)
	assert.Equal(t, "hospital-a@https://a.example.org/fhir", a.base, "the map key names the upstream")
	b, _ := set.Backend("hospital-b")
	assert.Equal(t, "b@https://b.example.org/fhir", b.base)
	_, ok = set.Backend("nope")
	assert.False(t, ok)

	const (
		t1 = "6A1C4F0E-0000-4000-8000-000000000001"
		t2 = "6a1c4f0e-0000-4000-8000-000000000002"
		t3 = "6a1c4f0e-0000-4000-8000-000000000003"
	)
	r, err := set.Static(map[string]string{t1: "hospital-a", t2: "hospital-b", t3: "hospital-a"})
	require.NoError(t, err)
	got, err := r.Route(context.Background(), strings.ToLower(t1))
	require.NoError(t, err)
	assert.Equal(t, a, got, "tenant GUIDs are canonicalized")
	got, err = r.Route(context.Background(), t3)
	require.NoError(t, err)
	assert.Equal(t, a, got, "tenants share an upstream")
	_, err = r.Route(context.Background(), "6a1c4f0e-0000-4000-8000-000000000009")
	assert.ErrorIs(t, err, routing.ErrUnknownTenant)

	_, err = set.Static(map[string]string{"not-a-guid": "hospital-a", t2: "hospital-z"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `tenant "not-a-guid" is not a GUID`)
	assert.Contains(t, err.Error(), `names the unknown upstream "hospital-z"`)

	// Through the tenant registry: a record names its upstream.
	ctx := context.Background()
	dir, err := routing.NewDirectory(ctx, routing.DirectoryConfig{Store: routing.NewMemoryStore()})
	require.NoError(t, err)
	_, err = dir.Add(ctx, routing.Tenant{ID: t2, Backend: "hospital-b", State: routing.StateActive})
	require.NoError(t, err)
	_, err = dir.Add(ctx, routing.Tenant{ID: t3, Backend: "gone", State: routing.StateActive})
	require.NoError(t, err)
	reg, err := routing.NewRegistry(dir, set.Providers())
	require.NoError(t, err)
	got, err = reg.Route(ctx, t2)
	require.NoError(t, err)
	assert.Equal(t, b, got)
	for _, tenant := range []string{t3, "6a1c4f0e-0000-4000-8000-000000000009"} {
		_, err = reg.Route(ctx, tenant)
		assert.ErrorIs(t, err, routing.ErrUnknownTenant, tenant)
	}

	set.Close()
	assert.Equal(t, 2, closed)
}

func TestNewSetNamesTheUpstreamAtFault(t *testing.T) {
	closed := 0
	_, err := upstream.NewSet(map[string]upstream.Config{
		"good":     {BaseURL: "https://a.example.org/fhir"},
		"bad":      {BaseURL: "http://b.example.org/fhir"},
		"bad name": {BaseURL: "https://c.example.org/fhir"},
	}, openFake(&closed))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"bad": Config.BaseURL: must be https`)
	assert.Contains(t, err.Error(), `"bad name": not a valid upstream name`)
	assert.Equal(t, 1, closed, "what was opened is closed again")

	_, err = upstream.NewSet(nil, openFake(&closed))
	assert.EqualError(t, err, "upstream: NewSet: no upstreams")
}
