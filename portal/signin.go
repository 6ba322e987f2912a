package portal

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/patientsfhir/patientsfhir/auth"
)

// credentialFilePrefix starts the one line of a CredentialFile.
const credentialFilePrefix = "sha256:"

// credential returns the SHA-256 of the operator credential: the
// configured one, the one whose digest CredentialFile keeps, or a new one,
// printed once to Announce.
func (p *Portal) credential() ([32]byte, error) {
	if p.cfg.Credential != "" {
		return sha256.Sum256([]byte(p.cfg.Credential)), nil
	}
	file := p.cfg.CredentialFile
	if file != "" {
		b, err := os.ReadFile(file)
		switch {
		case err == nil:
			return parseCredentialFile(b, file)
		case !errors.Is(err, fs.ErrNotExist):
			return [32]byte{}, fmt.Errorf("%w: Config.CredentialFile: %v", ErrInvalidConfig, err)
		}
	}
	cred := random(32)
	sum := sha256.Sum256([]byte(cred))
	if file != "" {
		f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return [32]byte{}, fmt.Errorf("%w: Config.CredentialFile: %v", ErrInvalidConfig, err)
		}
		_, err = fmt.Fprintf(f, "%s%x\n", credentialFilePrefix, sum)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return [32]byte{}, fmt.Errorf("%w: Config.CredentialFile: %v", ErrInvalidConfig, err)
		}
	}
	where := p.cfg.Auth.Endpoints().Issuer + p.base + "/signin"
	keep := "It is shown only now; its digest is kept in " + file + " (delete the file for a new one)."
	if file == "" {
		keep = "It is shown only now and lasts until the process stops (set Credential or CredentialFile to keep one)."
	}
	_, err := fmt.Fprintf(p.cfg.Announce, "patientsfhir portal: sign in at %s with the operator credential\n\n    %s\n\n%s\n", where, cred, keep)
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: Config.Announce: %v", ErrInvalidConfig, err)
	}
	p.log.Warn("portal: generated an operator credential and printed it to Config.Announce (not to this log)", "credential_file", file)
	return sum, nil
}

func parseCredentialFile(b []byte, file string) ([32]byte, error) {
	var sum [32]byte
	s, ok := strings.CutPrefix(strings.TrimSpace(string(b)), credentialFilePrefix)
	d, err := hex.DecodeString(s)
	if !ok || err != nil || len(d) != len(sum) {
		return sum, fmt.Errorf("%w: Config.CredentialFile: %s does not hold %s<64 hex digits>", ErrInvalidConfig, file, credentialFilePrefix)
	}
	copy(sum[:], d)
	return sum, nil
}

// credentialOK compares a submitted credential with the operator's in
// constant time (both are hashed first, so lengths leak nothing either).
func (p *Portal) credentialOK(s string) bool {
	sum := sha256.Sum256([]byte(s))
	return subtle.ConstantTimeCompare(sum[:], p.cred[:]) == 1
}

// limiter is the per-address budget of sign-in attempts: each address has
// its own token bucket, so an address over its budget waits and every other
// address is served. Its memory is bounded.
type limiter struct {
	mu    sync.Mutex
	every rate.Limit
	burst int
	max   int
	m     map[string]*rate.Limiter
}

func newLimiter(every time.Duration, burst, max int) *limiter {
	lim := rate.Inf
	if every > 0 {
		lim = rate.Every(every)
	}
	return &limiter{every: lim, burst: burst, max: max, m: map[string]*rate.Limiter{}}
}

// allow takes one attempt from key's budget, or says how long to wait.
func (l *limiter) allow(key string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.m[key]
	if !ok {
		if len(l.m) >= l.max {
			l.pruneLocked(now)
		}
		lim = rate.NewLimiter(l.every, l.burst)
		l.m[key] = lim
	}
	if lim.AllowN(now, 1) {
		return 0, true
	}
	missing := 1 - lim.TokensAt(now)
	return time.Duration(math.Ceil(missing / float64(l.every) * float64(time.Second))), false
}

// pruneLocked forgets the addresses whose budget is whole again, and, if
// none is, an arbitrary tenth of them.
func (l *limiter) pruneLocked(now time.Time) {
	for k, lim := range l.m {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.m, k)
		}
	}
	for k := range l.m {
		if len(l.m) < l.max*9/10 {
			break
		}
		delete(l.m, k)
	}
}

// signinCookie holds the random nonce the sign-in form's CSRF token is
// bound to. The sign-in form keeps no state on the server, so requests for
// it, however many, cannot push anything out of the session store.
const signinCookie = "__Host-patientsfhir-signin"

// signinCookieAge bounds how long a sign-in form stays usable.
const signinCookieAge = time.Hour

// signinNonce returns the browser's sign-in nonce, setting a new one when
// it has none.
func (p *Portal) signinNonce(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(signinCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	nonce := random(32)
	setCookie(w, signinCookie, nonce, signinCookieAge)
	return nonce
}

// signinToken is the sign-in form's CSRF token: an HMAC of the nonce in
// the browser's cookie, under a key that lives only in this process.
func (p *Portal) signinToken(nonce string) string {
	m := hmac.New(sha256.New, p.signinKey[:])
	m.Write([]byte(nonce))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// signinTokenOK checks a posted sign-in token against the cookie's nonce
// in constant time.
func (p *Portal) signinTokenOK(r *http.Request) (string, bool) {
	c, err := r.Cookie(signinCookie)
	if err != nil || len(c.Value) != 43 {
		return "", false
	}
	want := p.signinToken(c.Value)
	return c.Value, subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(want)) == 1
}

// signinPage is the sign-in form's data.
type signinPage struct {
	Form  *form
	Token string // the form's CSRF token
}

// signinForm renders the sign-in form; a signed-in operator goes to the
// clients.
func (p *Portal) signinForm(w http.ResponseWriter, r *http.Request) {
	sess, state := p.sessions.lookup(r)
	if sess != nil {
		http.Redirect(w, r, p.path("clients"), http.StatusSeeOther)
		return
	}
	notice := ""
	if state == expiredSession || r.URL.Query().Get("ended") == "1" {
		notice = "Your session has ended. Sign in again."
	}
	if state == expiredSession {
		clearCookie(w)
	}
	token := p.signinToken(p.signinNonce(w, r))
	p.render(w, r, http.StatusOK, nil, "signin", "Sign in", "", notice, signinPage{Form: newForm(), Token: token})
}

// signin checks the form's token, then the credential under the address's
// budget and, when it is right, starts a new session for the operator.
func (p *Portal) signin(w http.ResponseWriter, r *http.Request) {
	if !p.readForm(w, r) {
		return
	}
	nonce, ok := p.signinTokenOK(r)
	if !ok {
		p.badToken(w, r)
		return
	}
	page := signinPage{Form: newForm(), Token: p.signinToken(nonce)}
	ip, key := p.cfg.Auth.ClientAddress(r)
	if wait, ok := p.limiter.allow(key, p.cfg.Now()); !ok {
		secs := max(1, int(math.Ceil(wait.Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		page.Form.fail("credential", fmt.Sprintf("Too many sign-in attempts from your address. Wait %d seconds, then try again.", secs))
		p.audit.Record(r.Context(), auth.Event{Type: auth.EventAdminDenied, Reason: "portal_signin_rate_limited", RemoteIP: ip, Path: r.URL.Path, Actor: "portal"})
		p.render(w, r, http.StatusTooManyRequests, nil, "signin", "Sign in", "", "", page)
		return
	}
	if !p.credentialOK(r.PostFormValue("credential")) {
		page.Form.fail("credential", "This is not the operator credential.")
		p.audit.Record(r.Context(), auth.Event{Type: auth.EventAdminDenied, Reason: "portal_signin", RemoteIP: ip, Path: r.URL.Path, Actor: "portal"})
		p.log.WarnContext(r.Context(), "portal: sign-in refused", "remote_ip", ip)
		p.render(w, r, http.StatusUnauthorized, nil, "signin", "Sign in", "", "", page)
		return
	}
	// A session starts here, with a new identifier and CSRF token: an
	// identifier planted in the browser before is never adopted.
	if old, _ := p.sessions.lookup(r); old != nil {
		p.sessions.end(old)
	}
	value, sess := p.sessions.create()
	p.sessions.setCookie(w, value)
	setCookie(w, signinCookie, "", -1)
	p.sessions.say(sess, "Signed in.")
	p.log.InfoContext(r.Context(), "portal: operator signed in", "remote_ip", ip)
	http.Redirect(w, r, p.path("clients"), http.StatusSeeOther)
}

// signout ends the session.
func (p *Portal) signout(w http.ResponseWriter, r *http.Request, sess *session) {
	p.sessions.end(sess)
	clearCookie(w)
	http.Redirect(w, r, p.path("signin"), http.StatusSeeOther)
}
