package portal

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/patientsfhir/patientsfhir/internal/testsupport"
)

func TestConfigErrorsNameTheField(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no auth", func(c *Config) { c.Auth = nil }, "Config.Auth: required"},
		{"short credential", func(c *Config) { c.Credential = "short" }, "Config.Credential: must satisfy min=16"},
		{"base path", func(c *Config) { c.BasePath = "/portal/" }, "Config.BasePath"},
		{"base path pattern", func(c *Config) { c.BasePath = "/{x}" }, "Config.BasePath"},
		{"idle", func(c *Config) { c.SessionIdle = time.Second }, "Config.SessionIdle: must satisfy gte=1m"},
		{"max below idle", func(c *Config) { c.SessionIdle, c.SessionMax = time.Hour, 30*time.Minute }, "Config.SessionMax: must be at least SessionIdle"},
		{"provider", func(c *Config) { c.Providers = []string{"ok", "not ok"} }, `Config.Providers: "not ok" is not a backend name`},
		{"burst", func(c *Config) { c.SignInBurst = 1000 }, "Config.SignInBurst: must satisfy lte=100"},
	} {
		cfg := Config{Auth: e.auth, Credential: testCredential}
		c.mutate(&cfg)
		_, err := New(cfg)
		require.ErrorIs(t, err, ErrInvalidConfig, c.name)
		assert.Contains(t, err.Error(), c.want, c.name)
	}
}

var announced = regexp.MustCompile(`\n    (\S+)\n`)

// Without a configured credential one is generated at the first start,
// printed once (not logged), and its digest kept for the next starts.
func TestGeneratedCredential(t *testing.T) {
	e := newEnv(t, nil)
	file := filepath.Join(t.TempDir(), "operator.sha256")
	announce := &testsupport.Buffer{}
	cfg := Config{Auth: e.auth, CredentialFile: file, Announce: announce, Logger: e.portal.log}
	p, err := New(cfg)
	require.NoError(t, err)
	m := announced.FindStringSubmatch(announce.String())
	require.NotNil(t, m, "announced: %s", announce.String())
	cred := m[1]
	assert.Len(t, cred, 43, "256 random bits")
	assert.True(t, p.credentialOK(cred))
	assert.False(t, p.credentialOK(cred+"x"))
	assert.Contains(t, announce.String(), e.ts.URL+"/portal/signin")
	assert.NotContains(t, e.logs.String(), cred, "the credential is printed, not logged")
	assert.Contains(t, e.logs.String(), "generated an operator credential")
	st, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), "sha256:"))
	assert.NotContains(t, string(b), cred)

	// The next start reads the digest and prints nothing.
	again := &testsupport.Buffer{}
	cfg.Announce = again
	p2, err := New(cfg)
	require.NoError(t, err)
	assert.Empty(t, again.String())
	assert.True(t, p2.credentialOK(cred))

	// A configured credential wins over the file.
	cfg.Credential = testCredential
	p3, err := New(cfg)
	require.NoError(t, err)
	assert.True(t, p3.credentialOK(testCredential))
	assert.False(t, p3.credentialOK(cred))

	// A damaged file is an error naming the field.
	require.NoError(t, os.WriteFile(file, []byte("sha256:nothex\n"), 0o600))
	cfg.Credential = ""
	_, err = New(cfg)
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Contains(t, err.Error(), "Config.CredentialFile")

	// Without a file: a new credential at every start.
	cfg.CredentialFile, cfg.Announce = "", &testsupport.Buffer{}
	p4, err := New(cfg)
	require.NoError(t, err)
	m = announced.FindStringSubmatch(cfg.Announce.(*testsupport.Buffer).String())
	require.NotNil(t, m)
	assert.NotEqual(t, cred, m[1])
	assert.True(t, p4.credentialOK(m[1]))
}
