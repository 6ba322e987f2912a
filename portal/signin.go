package portal

import (
	"crypto/sha256"
	"crypto/subtle"
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

// signinPage is the sign-in form's data.
type signinPage struct {
	Form *form
}

// signinForm renders the sign-in form in a fresh pending session when the
// browser has none.
func (p *Portal) signinForm(w http.ResponseWriter, r *http.Request) {
	sess, state := p.sessions.lookup(r)
	if sess != nil && sess.operator {
		http.Redirect(w, r, p.path("clients"), http.StatusSeeOther)
		return
	}
	notice := ""
	if sess == nil {
		if state == expiredSession || r.URL.Query().Get("ended") == "1" {
			notice = "Your session has ended. Sign in again."
		}
		var value string
		value, sess = p.sessions.create(false)
		p.sessions.setCookie(w, value, false)
	}
	p.render(w, r, http.StatusOK, sess, "signin", "Sign in", "", notice, signinPage{Form: newForm()})
}

// signin checks the credential under the address's budget and, when it is
// right, replaces the pending session with a signed-in one.
func (p *Portal) signin(w http.ResponseWriter, r *http.Request) {
	sess, _ := p.sessions.lookup(r)
	if sess == nil {
		p.refuse(w, r, http.StatusForbidden, "no_session", "The sign-in form has expired. Open the sign-in page again.")
		return
	}
	if !p.formOK(w, r, sess) {
		return
	}
	ip, key := p.cfg.Auth.ClientAddress(r)
	if wait, ok := p.limiter.allow(key, p.cfg.Now()); !ok {
		secs := max(1, int(math.Ceil(wait.Seconds())))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		f := newForm()
		f.fail("credential", fmt.Sprintf("Too many sign-in attempts from your address. Wait %d seconds, then try again.", secs))
		p.audit.Record(r.Context(), auth.Event{Type: auth.EventAdminDenied, Reason: "portal_signin_rate_limited", RemoteIP: ip, Path: r.URL.Path, Actor: "portal"})
		p.render(w, r, http.StatusTooManyRequests, sess, "signin", "Sign in", "", "", signinPage{Form: f})
		return
	}
	if !p.credentialOK(r.PostFormValue("credential")) {
		f := newForm()
		f.fail("credential", "This is not the operator credential.")
		p.audit.Record(r.Context(), auth.Event{Type: auth.EventAdminDenied, Reason: "portal_signin", RemoteIP: ip, Path: r.URL.Path, Actor: "portal"})
		p.log.WarnContext(r.Context(), "portal: sign-in refused", "remote_ip", ip)
		p.render(w, r, http.StatusUnauthorized, sess, "signin", "Sign in", "", "", signinPage{Form: f})
		return
	}
	// A new session (new identifier, new CSRF token) for the operator, so
	// that a session planted before sign-in is worth nothing.
	p.sessions.end(sess)
	value, op := p.sessions.create(true)
	p.sessions.setCookie(w, value, true)
	p.sessions.say(op, "Signed in.")
	p.log.InfoContext(r.Context(), "portal: operator signed in", "remote_ip", ip)
	http.Redirect(w, r, p.path("clients"), http.StatusSeeOther)
}

// signout ends the session.
func (p *Portal) signout(w http.ResponseWriter, r *http.Request, sess *session) {
	p.sessions.end(sess)
	clearCookie(w)
	http.Redirect(w, r, p.path("signin"), http.StatusSeeOther)
}
