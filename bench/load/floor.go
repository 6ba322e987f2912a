package load

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/stu3"
	"github.com/patientsfhir/patientsfhir/stu3/stu3mem"
)

// Request is one request of a fixed set: what a floor answers.
type Request struct {
	// Method, URI (path and query) and Body are the request; ContentType
	// is the body's media type.
	Method, URI, Body, ContentType string
}

// key identifies a request to the floor.
func (r Request) key() string { return r.Method + " " + r.URI + "\n" + r.Body }

// answer is a captured response.
type answer struct {
	status int
	ctype  string
	body   []byte
}

// floor captures the service's answer to each request (in process, with a
// token from its own token endpoint) and returns the bare handler that
// writes those bytes back: the least any server can do to answer them.
func floor(ctx context.Context, s *Service, reqs []Request) (http.Handler, error) {
	tok, err := inProcessToken(s)
	if err != nil {
		return nil, err
	}
	answers := make(map[string]answer, len(reqs)+1)
	for _, rq := range reqs {
		r := httptest.NewRequestWithContext(ctx, rq.Method, rq.URI, strings.NewReader(rq.Body))
		if rq.ContentType != "" {
			r.Header.Set("Content-Type", rq.ContentType)
		}
		r.Header.Set("Authorization", "Bearer "+tok.access)
		r.Header.Set("Accept", "application/fhir+json")
		w := httptest.NewRecorder()
		s.Handler.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			return nil, fmt.Errorf("load: floor: %s %s: status %d: %s", rq.Method, rq.URI, w.Code, w.Body)
		}
		answers[rq.key()] = answer{w.Code, w.Header().Get("Content-Type"), w.Body.Bytes()}
	}
	answers[Request{Method: http.MethodPost, URI: "/token"}.key()] = answer{http.StatusOK, "application/json", tok.body}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.URL.Path == "/token" {
			_, _ = io.Copy(io.Discard, r.Body) // the token form is not part of the key
		} else if r.Method == http.MethodPost {
			body, _ = io.ReadAll(r.Body)
		}
		a, ok := answers[r.Method+" "+r.URL.RequestURI()+"\n"+string(body)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", a.ctype)
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}), nil
}

// token is a token response: the access token and the whole body.
type token struct {
	access string
	body   []byte
}

// inProcessToken asks the service's token endpoint for a token in process.
func inProcessToken(s *Service) (token, error) {
	c := &Client{clientID: s.ClientID, secret: s.Secret}
	r := httptest.NewRequest(http.MethodPost, "/token", strings.NewReader(c.form()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	s.Handler.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		return token{}, fmt.Errorf("load: token: status %d", w.Code)
	}
	access, err := accessToken(w.Body.Bytes())
	return token{access, bytes.Clone(w.Body.Bytes())}, err
}

// accessToken finds the access token in a token response.
func accessToken(body []byte) (string, error) {
	const key = `"access_token":"`
	i := bytes.Index(body, []byte(key))
	if i < 0 {
		return "", errors.New("load: token response without access_token")
	}
	rest := body[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", errors.New("load: token response without access_token")
	}
	return string(rest[:j]), nil
}

// memBackend loads every STU3 resource of the population into the
// module's in-memory engine.
func memBackend(pop *population.Population) (*stu3mem.Backend, error) {
	b := stu3mem.New()
	for i := range pop.Size() {
		for _, r := range pop.Patient(i).STU3() {
			data, err := stu3.Marshal(r)
			if err != nil {
				return nil, err
			}
			if err := b.Load(data); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}
