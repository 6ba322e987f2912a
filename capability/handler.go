package capability

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/internal/rest"
)

// Handler serves the statement built by [Build] at GET [base]/metadata. It
// needs no token: mount it outside the authentication middleware. The body
// is rendered once; responses carry a weak ETag and If-None-Match gets 304.
type Handler struct {
	version *fhir.Version
	body    []byte
	etag    string
}

// JSON returns the rendered statement (compact JSON). Do not modify it.
func (h *Handler) JSON() []byte { return h.body }

// ETag returns the entity tag of the statement.
func (h *Handler) ETag() string { return h.etag }

// ServeHTTP implements http.Handler for GET and HEAD.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		rest.WriteError(w, r, h.version, fhir.NewError(fhir.ErrMethodNotAllow, "The capability statement is read with GET."))
		return
	}
	f, err := rest.Negotiate(r, h.version)
	if err != nil {
		rest.WriteError(w, r, h.version, err)
		return
	}
	w.Header().Set("ETag", h.etag)
	w.Header().Set("Vary", "Accept")
	if etagMatch(r.Header.Values("If-None-Match"), h.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", f.ContentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(h.body)))
		w.WriteHeader(http.StatusOK)
		return
	}
	rest.WriteJSON(w, r, h.version, http.StatusOK, h.body)
}

// etagMatch implements the weak comparison of If-None-Match.
func etagMatch(headers []string, etag string) bool {
	want := strings.TrimPrefix(etag, "W/")
	for _, h := range headers {
		for _, t := range strings.Split(h, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == want {
				return true
			}
		}
	}
	return false
}
