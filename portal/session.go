package portal

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
)

// cookieName is the session cookie. The __Host- prefix makes browsers
// accept it only when Secure, for Path=/ and without a Domain, so no other
// host or path can plant one.
const cookieName = "__Host-patientsfhir-portal"

// shownSecret is a secret waiting to be shown once, on the page the
// browser is sent to after it was created.
type shownSecret struct {
	clientID string
	secret   string
	info     auth.SecretInfo
	newID    bool // the client was just created
	at       time.Time
}

// shownSecretTTL bounds how long a secret waits for its page.
const shownSecretTTL = 2 * time.Minute

// session is a signed-in operator's state: sessions exist only from a
// successful sign-in on (the sign-in form needs none, see signin.go), so
// nobody can fill the store without the credential. csrf and key never
// change; the other fields are guarded by the store's mutex.
type session struct {
	key     [32]byte // SHA-256 of the cookie value: the store never holds the value
	csrf    string
	created time.Time
	seen    time.Time
	shown   *shownSecret
	notice  string
}

// sessions is the in-memory session store.
type sessions struct {
	mu     sync.Mutex
	byKey  map[[32]byte]*session
	max    int
	idle   time.Duration
	maxAge time.Duration
	now    func() time.Time
}

func newSessions(max int, idle, maxAge time.Duration, now func() time.Time) *sessions {
	return &sessions{byKey: map[[32]byte]*session{}, max: max, idle: idle, maxAge: maxAge, now: now}
}

// random returns n random bytes, base64url-encoded.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// sessionState is what a request's cookie names.
type sessionState int

const (
	noSession sessionState = iota
	expiredSession
	liveSession
)

// create starts a signed-in session and returns the cookie value.
func (s *sessions) create() (string, *session) {
	value := random(32)
	now := s.now()
	sess := &session{key: sha256.Sum256([]byte(value)), csrf: random(32), created: now, seen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byKey) >= s.max {
		s.evictLocked(now)
	}
	s.byKey[sess.key] = sess
	return value, sess
}

// evictLocked drops expired sessions and, if the store is still full, the
// one used least recently.
func (s *sessions) evictLocked(now time.Time) {
	var oldest *session
	for k, x := range s.byKey {
		if s.expired(x, now) {
			delete(s.byKey, k)
			continue
		}
		if oldest == nil || x.seen.Before(oldest.seen) {
			oldest = x
		}
	}
	if len(s.byKey) >= s.max && oldest != nil {
		delete(s.byKey, oldest.key)
	}
}

func (s *sessions) expired(x *session, now time.Time) bool {
	return now.Sub(x.seen) >= s.idle || now.Sub(x.created) >= s.maxAge
}

// lookup finds the session of r's cookie and marks it used.
func (s *sessions) lookup(r *http.Request) (*session, sessionState) {
	c, err := r.Cookie(cookieName)
	if err != nil || len(c.Value) != 43 {
		return nil, noSession
	}
	key := sha256.Sum256([]byte(c.Value))
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	x, ok := s.byKey[key]
	switch {
	case !ok:
		return nil, noSession
	case s.expired(x, now):
		delete(s.byKey, key)
		return nil, expiredSession
	}
	x.seen = now
	return x, liveSession
}

// end forgets a session.
func (s *sessions) end(x *session) {
	s.mu.Lock()
	delete(s.byKey, x.key)
	s.mu.Unlock()
}

// csrfOK compares a form's token with the session's in constant time.
func (s *sessions) csrfOK(x *session, token string) bool {
	s.mu.Lock()
	want := x.csrf
	s.mu.Unlock()
	return subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1
}

// token returns the session's CSRF token.
func (s *sessions) token(x *session) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return x.csrf
}

// flash is what a page shows once: a status notice and a new secret.
type flash struct {
	notice string
	shown  *shownSecret
}

// take returns the session's notice and new secret and forgets both: the
// page about to be rendered is the only one that shows them.
func (s *sessions) take(x *session) flash {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := flash{notice: x.notice, shown: x.shown}
	x.notice, x.shown = "", nil
	if f.shown != nil && s.now().Sub(f.shown.at) >= shownSecretTTL {
		f.shown = nil
	}
	return f
}

// say sets the notice the next page shows.
func (s *sessions) say(x *session, notice string) {
	s.mu.Lock()
	x.notice = notice
	s.mu.Unlock()
}

// show keeps a new secret for the next page.
func (s *sessions) show(x *session, sh *shownSecret) {
	sh.at = s.now()
	s.mu.Lock()
	x.shown = sh
	s.mu.Unlock()
}

// setCookie sends the session cookie, expiring with the session's maximum
// age.
func (s *sessions) setCookie(w http.ResponseWriter, value string) {
	setCookie(w, cookieName, value, s.maxAge)
}

// setCookie sends a cookie: Secure, HttpOnly, SameSite=Strict, for the
// whole host (required by the __Host- prefix); a negative age removes it.
func setCookie(w http.ResponseWriter, name, value string, age time.Duration) {
	maxAge := int(age / time.Second)
	if age < 0 {
		maxAge = -1
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// clearCookie removes the session cookie from the browser.
func clearCookie(w http.ResponseWriter) { setCookie(w, cookieName, "", -1) }
