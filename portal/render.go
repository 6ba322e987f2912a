package portal

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/routing"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// maxFormBytes bounds a form post's body.
const maxFormBytes = 64 << 10

// page is what every template gets: the layout's data and the page's.
type page struct {
	Title    string
	Nav      string // the section the page belongs to, for aria-current
	Notice   string // a one-time status message
	CSRF     string // the session's CSRF token for the page's forms
	SignedIn bool
	Data     any
}

// form holds a submitted form's values and the errors found in it, in the
// order they were found.
type form struct {
	values map[string]string
	errs   map[string]string
	order  []string
}

func newForm() *form { return &form{values: map[string]string{}, errs: map[string]string{}} }

// formFrom copies the named fields of a parsed request.
func formFrom(r *http.Request, names ...string) *form {
	f := newForm()
	for _, n := range names {
		f.values[n] = r.PostFormValue(n)
	}
	return f
}

// fail records an error for a field (the first one per field wins).
func (f *form) fail(name, msg string) {
	if _, dup := f.errs[name]; dup {
		return
	}
	f.errs[name] = msg
	f.order = append(f.order, name)
}

func (f *form) failed() bool { return len(f.order) > 0 }

// Error returns the error of a field, or "".
func (f *form) Error(name string) string { return f.errs[name] }

// fieldError is one line of the error summary.
type fieldError struct {
	ID      string // the field's element id, for the summary's link
	Message string
}

// Summary lists the errors in the order they were found.
func (f *form) Summary() []fieldError {
	out := make([]fieldError, 0, len(f.order))
	for _, n := range f.order {
		out = append(out, fieldError{ID: fieldID(n), Message: f.errs[n]})
	}
	return out
}

func fieldID(name string) string { return "f-" + name }

// fieldView is one labelled form control with its hint and error.
type fieldView struct {
	ID, Name, Label, Hint, Error, Value, Type, Autocomplete string
	Autofocus                                               bool
	Options                                                 []option
}

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// DescribedBy is the aria-describedby value: the hint and the error.
func (v fieldView) DescribedBy() string {
	var ids []string
	if v.Hint != "" {
		ids = append(ids, v.ID+"-hint")
	}
	if v.Error != "" {
		ids = append(ids, v.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// field builds the view of a control; kind is an input type, "textarea" or
// "select". The first field in error gets the focus.
func field(f *form, name, label, hint, kind string) fieldView {
	v := fieldView{ID: fieldID(name), Name: name, Label: label, Hint: hint, Type: kind, Autocomplete: "off"}
	if f != nil {
		v.Value, v.Error = f.values[name], f.errs[name]
		v.Autofocus = len(f.order) > 0 && f.order[0] == name
	}
	if kind == "password" {
		v.Autocomplete = "current-password"
		v.Value = "" // a credential is never sent back
	}
	return v
}

// choice builds a select from values (each its own label) or labelled
// options.
func choice(f *form, name, label, hint string, opts []option) fieldView {
	v := field(f, name, label, hint, "select")
	for _, o := range opts {
		o.Selected = o.Value == v.Value
		v.Options = append(v.Options, o)
	}
	return v
}

// staticFiles serves the embedded CSS and script; versions are their
// content hashes, so a page always loads the files it was made with.
type staticFiles struct {
	handler  http.Handler
	versions map[string]string
}

func newStaticFiles(prefix string) staticFiles {
	sub, _ := fs.Sub(staticFS, "static")
	s := staticFiles{versions: map[string]string{}}
	entries, _ := fs.ReadDir(sub, ".")
	for _, e := range entries {
		b, _ := fs.ReadFile(sub, e.Name())
		sum := sha256.Sum256(b)
		s.versions[e.Name()] = hex.EncodeToString(sum[:6])
	}
	files := http.StripPrefix(prefix, http.FileServerFS(sub))
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, prefix)
		if _, ok := s.versions[name]; !ok {
			http.NotFound(w, r)
			return
		}
		if ct := mime.TypeByExtension(path.Ext(name)); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
	return s
}

// parseTemplates parses the layout with each page, once per portal (the
// functions know its base path).
func (p *Portal) parseTemplates(static staticFiles) (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"path":   p.path,
		"static": func(name string) string { return p.path("static", name) + "?v=" + static.versions[name] },
		"date":   formatDate,
		"when":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
		"iso":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"days":   func(d time.Duration) string { return formatDays(d) },
		"field":  field,
		"choice": choice,
		"last":   func(s string, n int) string { return s[max(0, len(s)-n):] },
	}
	base, err := template.New("layout").Funcs(funcs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	pages, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, name := range pages {
		short := strings.TrimSuffix(path.Base(name), ".html")
		if short == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFS, name)
		if err != nil {
			return nil, err
		}
		out[short] = t
	}
	return out, nil
}

// formatDate renders a time for people, in UTC; the zero time is "—".
func formatDate(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// formatDays renders a duration in days, hours or minutes.
func formatDays(d time.Duration) string {
	plural := func(n int64, unit string) string {
		if n == 1 {
			return "1 " + unit
		}
		return fmt.Sprintf("%d %ss", n, unit)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return plural(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int64(d/time.Hour), "hour")
	default:
		return plural(int64(d/time.Minute), "minute")
	}
}

// path joins the base path and escaped segments.
func (p *Portal) path(segs ...string) string {
	var b strings.Builder
	b.WriteString(p.base)
	for _, s := range segs {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// render writes a page. It takes the session's one-time notice (and
// forgets any secret waiting to be shown, unless the handler took it
// first): the page rendered is the one that shows them.
func (p *Portal) render(w http.ResponseWriter, r *http.Request, status int, sess *session, tmpl, title, nav, notice string, data any) {
	pg := page{Title: title, Nav: nav, Notice: notice, Data: data}
	if sess != nil {
		fl := p.sessions.take(sess)
		if pg.Notice == "" {
			pg.Notice = fl.notice
		}
		pg.CSRF = p.sessions.token(sess)
		pg.SignedIn = true
	}
	var buf bytes.Buffer
	if err := p.templates[tmpl].ExecuteTemplate(&buf, "layout", pg); err != nil {
		p.log.ErrorContext(r.Context(), "portal: rendering a page failed", "page", tmpl, "error", err.Error())
		http.Error(w, "The page could not be rendered.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// problemPage is the data of a refusal or error page.
type problemPage struct {
	Message string
	Back    string // where to go from here
	BackTo  string // its label
}

// refuse answers a request the portal will not serve (no session, a bad
// CSRF token, a cross-origin post) with a page saying why, audited as
// admin.denied with the reason.
func (p *Portal) refuse(w http.ResponseWriter, r *http.Request, status int, reason, msg string) {
	ip, _ := p.cfg.Auth.ClientAddress(r)
	p.audit.Record(r.Context(), auth.Event{Type: auth.EventAdminDenied, Reason: "portal_" + reason, RemoteIP: ip, Path: r.URL.Path, Actor: "portal"})
	sess, _ := p.sessions.lookup(r)
	data := problemPage{Message: msg, Back: p.path("signin"), BackTo: "Sign in"}
	if sess != nil {
		data.Back, data.BackTo = p.path("clients"), "Back to the clients"
	}
	p.render(w, r, status, sess, "problem", "Request refused", "", "", data)
}

// notFound answers a page or record that does not exist.
func (p *Portal) notFound(w http.ResponseWriter, r *http.Request, sess *session, what string) {
	data := problemPage{Message: what, Back: p.path("clients"), BackTo: "Back to the clients"}
	p.render(w, r, http.StatusNotFound, sess, "problem", "Not found", "", "", data)
}

// unavailable answers when a store cannot be reached; the cause is logged,
// never shown.
func (p *Portal) unavailable(w http.ResponseWriter, r *http.Request, sess *session, err error) {
	p.log.ErrorContext(r.Context(), "portal: a store could not be reached", "path", r.URL.Path, "error", err.Error())
	data := problemPage{Message: "The registry could not be reached. Try again in a moment.", Back: r.URL.Path, BackTo: "Try again"}
	p.render(w, r, http.StatusServiceUnavailable, sess, "problem", "Temporarily unavailable", "", "", data)
}

// failed answers a request whose record could not be read or changed: a
// 404 page saying missing when it does not exist (or cannot: a tenant id
// that is no GUID), else 503. It reports whether err was an error.
func (p *Portal) failed(w http.ResponseWriter, r *http.Request, sess *session, err error, missing string) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, auth.ErrNotFound), errors.Is(err, routing.ErrTenantNotFound), errors.Is(err, routing.ErrInvalidTenant):
		p.notFound(w, r, sess, missing)
	default:
		p.unavailable(w, r, sess, err)
	}
	return true
}

// readForm reads a form post (url-encoded, at most maxFormBytes);
// otherwise it refuses the request.
func (p *Portal) readForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" || r.ParseForm() != nil {
		p.refuse(w, r, http.StatusBadRequest, "bad_form", "The form could not be read.")
		return false
	}
	return true
}

// badToken refuses a form whose CSRF token is missing or not the one
// bound to the session (or to the sign-in form).
func (p *Portal) badToken(w http.ResponseWriter, r *http.Request) {
	p.refuse(w, r, http.StatusForbidden, "csrf", "This form has expired or did not come from this session, so nothing was changed. Go back, reload the page and try again.")
}

// formOK reads a form post and checks its CSRF token against the
// session's; otherwise it refuses the request.
func (p *Portal) formOK(w http.ResponseWriter, r *http.Request, sess *session) bool {
	if !p.readForm(w, r) {
		return false
	}
	if !p.sessions.csrfOK(sess, r.PostFormValue("csrf")) {
		p.badToken(w, r)
		return false
	}
	return true
}

// page registers a GET page for signed-in operators; others are sent to
// the sign-in page.
func (p *Portal) page(pattern string, h func(http.ResponseWriter, *http.Request, *session)) {
	p.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sess, state := p.sessions.lookup(r)
		if sess == nil {
			target := p.path("signin")
			if state == expiredSession {
				clearCookie(w)
				target += "?ended=1"
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		h(w, r, sess)
	})
}

// action registers a form post for signed-in operators, with a valid CSRF
// token; anything else is refused and changes nothing.
func (p *Portal) action(pattern string, h func(http.ResponseWriter, *http.Request, *session)) {
	p.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sess, state := p.sessions.lookup(r)
		switch {
		case state == expiredSession:
			clearCookie(w)
			p.refuse(w, r, http.StatusForbidden, "session_expired", "Your session has ended, so nothing was changed. Sign in again.")
			return
		case sess == nil:
			p.refuse(w, r, http.StatusForbidden, "no_session", "You are not signed in, so nothing was changed.")
			return
		}
		if !p.formOK(w, r, sess) {
			return
		}
		h(w, r, sess)
	})
}

// done ends a successful action: the notice for the next page, and a 303
// to it (so reloading it does not post the form again).
func (p *Portal) done(w http.ResponseWriter, r *http.Request, sess *session, notice, to string) {
	p.sessions.say(sess, notice)
	http.Redirect(w, r, to, http.StatusSeeOther)
}
