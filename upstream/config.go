package upstream

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"golang.org/x/oauth2"
)

// Defaults of the zero fields of [Config].
const (
	// DefaultTimeout bounds each upstream request.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxConns bounds the connections open to one upstream.
	DefaultMaxConns = 16
	// DefaultMaxResponseBytes bounds an upstream response body.
	DefaultMaxResponseBytes = 8 << 20
)

// Config describes one upstream FHIR server: where it is, how this server
// authenticates to it, and the limits that keep a slow or misbehaving
// upstream from hurting anyone else. An upstream serves one FHIR version
// (its base URL is a DSTU2 or an STU3 endpoint); open it with that
// version's package: stu3proxy.New or dstu2proxy.New.
//
// Every zero field takes the default documented on it. The constructors
// check the whole value and fail naming the field ("Config.BaseURL: ...").
type Config struct {
	// Name names the upstream in logs (never in responses), e.g.
	// "hospital-a". Default: the host of BaseURL; a [Set] uses the map key.
	Name string `validate:"omitempty,max=64"`
	// BaseURL is the upstream's FHIR base, e.g.
	// "https://fhir.hospital-a.org/api/FHIR/STU3": no query, no fragment.
	// It must be https unless its host is a loopback address or AllowHTTP
	// is set. Required.
	BaseURL string `validate:"required,url"`
	// AllowHTTP permits a plain http BaseURL on a host that is not a
	// loopback address: a private network you trust. Tokens and patient
	// data then travel in clear.
	AllowHTTP bool
	// LinkBases are other base URLs the upstream writes in its links and
	// references, e.g. its internal address behind a reverse proxy
	// ("http://hapi:8080/fhir"). They are read as BaseURL: a next link
	// under one of them is followed at BaseURL, never at its own host.
	// Links under any other base are refused (502).
	LinkBases []string `validate:"omitempty,dive,url"`
	// Auth authenticates this server to the upstream: nil (no
	// authentication), [Bearer], [ClientCredentials] or [TokenSource].
	Auth Auth `validate:"-"`
	// Timeout bounds each upstream request, from the connection to the
	// last byte of the body (default DefaultTimeout). An upstream that does
	// not answer in time gets the client a 504 OperationOutcome.
	Timeout time.Duration `validate:"gte=0"`
	// MaxConns bounds the connections open to the upstream at once
	// (default DefaultMaxConns); further requests wait for one, within
	// Timeout. Each upstream has its own pool, so a slow one cannot take
	// the connections of the others.
	MaxConns int `validate:"gte=0"`
	// MaxResponseBytes bounds an upstream response body (default
	// DefaultMaxResponseBytes). A larger response is cut off and the client
	// gets a 502 OperationOutcome.
	MaxResponseBytes int64 `validate:"gte=0"`
	// SortSyntax is how _sort is written to the upstream (default: the
	// syntax of the upstream's FHIR version). Clients may use either syntax
	// with this server whatever the upstream reads.
	SortSyntax SortSyntax `validate:"gte=0,lte=2"`
	// Params renames search parameters for the upstream, as
	// "Type.param": "upstream-param", e.g. {"Coverage.patient":
	// "beneficiary"} for an STU3 server that lacks the Patients app's
	// Coverage?patient. Without an entry the parameter keeps the name the
	// Patients app uses (patient, family, ...).
	Params map[string]string `validate:"-"`
	// SearchByPost sends searches as POST [type]/_search with a form body,
	// so that names and birth dates stay out of the upstream's URL logs.
	// Default: GET [type]?... (which every server supports). Next pages are
	// always fetched with GET, as the upstream wrote them.
	SearchByPost bool
	// Header holds extra headers sent with every upstream request (e.g.
	// "Epic-Client-ID"). Authorization, Cookie, Host, Forwarded, X-Forwarded-*,
	// Prefer, Accept and hop-by-hop headers are refused.
	Header http.Header `validate:"-"`
	// TLS configures TLS to the upstream and to its token endpoint
	// (private CAs, client certificates). Nil uses the system roots; TLS 1.2
	// is the minimum either way.
	TLS *tls.Config `validate:"-"`
	// CursorKey is the 32-byte key that encrypts upstream next links inside
	// this server's page cursors. Share it between the nodes that serve the
	// same tenants (a cursor issued by one node then works on the others).
	// Default: a random key per process (cursors end with a restart).
	CursorKey []byte `validate:"omitempty,len=32"`
	// Logger receives upstream failures (the upstream's Name, the
	// operation, the HTTP status and a reason: never URLs, query strings,
	// bodies, tokens or secrets). Default slog.Default().
	Logger *slog.Logger `validate:"-"`
}

// String describes the upstream without its secrets (Auth's secrets and
// CursorKey).
func (c Config) String() string {
	return fmt.Sprintf("upstream.Config{Name: %q, BaseURL: %q, Auth: %v}", c.Name, c.BaseURL, c.Auth)
}

// GoString implements fmt.GoStringer as String does.
func (c Config) GoString() string { return c.String() }

// SortSyntax says how _sort is written to an upstream.
type SortSyntax int

const (
	// SortVersion writes the syntax of the upstream's FHIR version: the
	// prefix syntax for STU3, the modifier syntax for DSTU2. The default.
	SortVersion SortSyntax = iota
	// SortPrefix writes "_sort=-date,name".
	SortPrefix
	// SortModifier writes "_sort:desc=date&_sort:asc=name".
	SortModifier
)

// Auth says how this server authenticates to an upstream: [Bearer],
// [ClientCredentials] or [TokenSource]; a nil Auth sends no credentials.
// The values print without their secrets.
type Auth interface {
	// validate reports what is missing or wrong.
	validate() error
}

// Bearer sends one fixed access token with every request.
type Bearer struct {
	// Token is the access token. Required.
	Token string
}

func (b Bearer) validate() error {
	if b.Token == "" {
		return errors.New("Auth.Token: required")
	}
	if strings.ContainsAny(b.Token, " \r\n\t") {
		return errors.New("Auth.Token: must not contain white space")
	}
	return nil
}

// String implements fmt.Stringer without the token.
func (b Bearer) String() string { return "upstream.Bearer{Token: [redacted]}" }

// GoString implements fmt.GoStringer without the token.
func (b Bearer) GoString() string { return b.String() }

// LogValue implements slog.LogValuer without the token.
func (b Bearer) LogValue() slog.Value { return slog.StringValue(b.String()) }

// ClientCredentials gets access tokens with the OAuth2 client-credentials
// grant (golang.org/x/oauth2/clientcredentials). Each upstream has one
// token source: a token is fetched on the first request, reused until it
// expires and fetched again then; an upstream that answers 401 gets one
// retry with a fresh token.
type ClientCredentials struct {
	// TokenURL is the upstream's token endpoint. Required; https unless
	// its host is a loopback address or Config.AllowHTTP is set.
	TokenURL string
	// ClientID is this server's client id at the upstream. Required.
	ClientID string
	// ClientSecret is its secret. Take it from a secret manager or the
	// environment, never from the tenant registry.
	ClientSecret string
	// Scopes are the scopes asked for, e.g. "system/*.read".
	Scopes []string
	// EndpointParams are extra parameters of the token request.
	EndpointParams url.Values
	// AuthStyle says how the client id and secret are sent (default:
	// detected on the first request).
	AuthStyle oauth2.AuthStyle
}

func (c ClientCredentials) validate() error {
	var bad []string
	if c.ClientID == "" {
		bad = append(bad, "Auth.ClientID: required")
	}
	if _, err := url.ParseRequestURI(c.TokenURL); err != nil || c.TokenURL == "" {
		bad = append(bad, "Auth.TokenURL: must be an absolute URL")
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

// String implements fmt.Stringer without the secret.
func (c ClientCredentials) String() string {
	return fmt.Sprintf("upstream.ClientCredentials{TokenURL: %q, ClientID: %q, ClientSecret: [redacted], Scopes: %q}", c.TokenURL, c.ClientID, c.Scopes)
}

// GoString implements fmt.GoStringer without the secret.
func (c ClientCredentials) GoString() string { return c.String() }

// LogValue implements slog.LogValuer without the secret.
func (c ClientCredentials) LogValue() slog.Value { return slog.StringValue(c.String()) }

// TokenSource takes access tokens from your own oauth2.TokenSource, e.g. a
// JWT-assertion flow (SMART Backend Services with private_key_jwt, as Epic
// asks). It must cache its tokens (wrap it with oauth2.ReuseTokenSource).
type TokenSource struct {
	// Source gives the tokens. Required.
	Source oauth2.TokenSource
}

func (t TokenSource) validate() error {
	if t.Source == nil {
		return errors.New("Auth.Source: required")
	}
	return nil
}

// String implements fmt.Stringer.
func (t TokenSource) String() string { return "upstream.TokenSource{...}" }

var validate = validator.New(validator.WithRequiredStructEnabled())

// refusedHeaders may not be set through Config.Header: credentials, the
// proxy's own negotiation, forwarding headers and hop-by-hop headers.
var refusedHeaders = []string{
	"Authorization", "Proxy-Authorization", "Cookie", "Host", "Forwarded", "Prefer", "Accept",
	"Accept-Encoding", "Content-Type", "Content-Length", "Connection", "Keep-Alive", "Proxy-Connection",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// Validate checks c and returns an error naming every field at fault
// ("Config.BaseURL: ..."). The constructors call it.
func (c *Config) Validate() error {
	var bad []string
	if err := validate.Struct(c); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			return fmt.Errorf("upstream: Config: %w", err)
		}
		for _, fe := range verrs {
			m := "Config." + fe.StructNamespace()[strings.IndexByte(fe.StructNamespace(), '.')+1:] + ": must satisfy " + fe.Tag()
			if fe.Param() != "" {
				m += "=" + fe.Param()
			}
			bad = append(bad, m)
		}
	}
	if c.BaseURL != "" {
		if err := checkURL(c.BaseURL, c.AllowHTTP); err != nil {
			bad = append(bad, "Config.BaseURL: "+err.Error())
		}
	}
	for i, l := range c.LinkBases {
		if u, err := url.Parse(l); err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			bad = append(bad, fmt.Sprintf("Config.LinkBases[%d]: must be an absolute base URL without query or fragment", i))
		}
	}
	if nilAuth(c.Auth) {
		bad = append(bad, "Config.Auth: a nil pointer (leave Auth nil for no authentication)")
	} else if c.Auth != nil {
		if err := c.Auth.validate(); err != nil {
			bad = append(bad, "Config."+err.Error())
		}
		tokenURL := ""
		switch cc := c.Auth.(type) {
		case ClientCredentials:
			tokenURL = cc.TokenURL
		case *ClientCredentials:
			tokenURL = cc.TokenURL
		}
		if tokenURL != "" {
			if err := checkURL(tokenURL, c.AllowHTTP); err != nil {
				bad = append(bad, "Config.Auth.TokenURL: "+err.Error())
			}
		}
	}
	for name := range c.Header {
		ck := http.CanonicalHeaderKey(name)
		if slices.Contains(refusedHeaders, ck) || strings.HasPrefix(ck, "X-Forwarded-") {
			bad = append(bad, fmt.Sprintf("Config.Header: %s may not be set", ck))
		}
	}
	for k, v := range c.Params {
		typ, param, ok := strings.Cut(k, ".")
		if !ok || typ == "" || param == "" || !validName(param) || !validName(v) {
			bad = append(bad, fmt.Sprintf("Config.Params[%q]: want \"Type.param\": \"upstream-param\"", k))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		return errors.New("upstream: " + strings.Join(bad, "; "))
	}
	return nil
}

// nilAuth reports whether a is a nil pointer to one of the Auth types.
func nilAuth(a Auth) bool {
	switch p := a.(type) {
	case *Bearer:
		return p == nil
	case *ClientCredentials:
		return p == nil
	case *TokenSource:
		return p == nil
	}
	return false
}

// checkURL requires an absolute http(s) URL without query or fragment,
// https unless the host is loopback or allowHTTP.
func checkURL(s string, allowHTTP bool) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return errors.New("must be an absolute URL")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("must have no query, fragment or user info")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowHTTP && !isLoopback(u.Hostname()) {
			return errors.New("must be https (or set AllowHTTP for a trusted private network)")
		}
	default:
		return errors.New("must be http or https")
	}
	return nil
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
