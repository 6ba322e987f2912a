package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
)

// Kind is one operation of the Patients app.
type Kind int

// The operations of the mix. Each starts, as the app does, with a token
// request (same client, secret and tenant every time).
const (
	// Search is POST /stu3/Patient/_search with family and given (the
	// app's contains reading) of a patient of the population.
	Search Kind = iota
	// Read is GET /stu3/Patient/{id}.
	Read
	// Batch is POST /stu3 with the six clinical searches of a patient's
	// page as one batch Bundle: vital signs newest first, conditions
	// (_count=10), the latest encounter, allergies, medication requests
	// (_count=10) and coverage.
	Batch
	kinds
)

// String names the kind.
func (k Kind) String() string {
	return [...]string{"search", "read", "batch"}[k]
}

// Weights is the mix: how often each kind is sent. The default, one search
// for two reads and two batches, is the app's pattern of searching a
// patient and opening the pages of a list of patients (each page a read
// and a batch).
type Weights [kinds]int

// DefaultWeights is search 1, read 2, batch 2.
var DefaultWeights = Weights{Search: 1, Read: 2, Batch: 2}

// subject is a patient the mix asks for.
type subject struct {
	id, family, given string
}

// Client sends the Patients app's requests to a service. It is safe for
// concurrent use.
type Client struct {
	base, clientID, secret string
	http                   *http.Client
	subjects               []subject
	weights                Weights
	total                  int
	tokenForm              string
}

// NewClient returns a client of the service at base (its URL), with
// credentials, asking for patients drawn from pop (up to 500 of them,
// spread over the population), with at most conns connections.
func NewClient(base, clientID, secret string, pop *population.Population, conns int, w Weights) *Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	c := &Client{base: base, clientID: clientID, secret: secret, weights: w,
		http: &http.Client{Transport: tr, Timeout: time.Minute}}
	for _, n := range w {
		c.total += n
	}
	n := min(pop.Size(), 500)
	for i := range n {
		rec := pop.Patient(i * pop.Size() / n)
		c.subjects = append(c.subjects, subject{id: rec.Patient.ID, family: rec.Patient.Family, given: rec.Patient.Given[0]})
	}
	c.tokenForm = c.form()
	return c
}

// form is the token request's body.
func (c *Client) form() string {
	return url.Values{"grant_type": {"client_credentials"}, "client_id": {c.clientID}, "client_secret": {c.secret},
		"scope": {Tenant}}.Encode()
}

// Close closes the client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// pick draws an operation and its patient.
func (c *Client) pick(r *rand.Rand) (Kind, subject) {
	x := r.IntN(c.total)
	k := Kind(0)
	for ; x >= c.weights[k]; k++ {
		x -= c.weights[k]
	}
	return k, c.subjects[r.IntN(len(c.subjects))]
}

// StatusError is a response other than 200.
type StatusError struct {
	// Step is "token" or the kind.
	Step string
	// Status is the HTTP status.
	Status int
}

func (e *StatusError) Error() string { return fmt.Sprintf("load: %s: status %d", e.Step, e.Status) }

// Do runs one operation of kind k for patient s: a token, then the call.
func (c *Client) do(ctx context.Context, k Kind, s subject) error {
	tok, err := c.Token(ctx)
	if err != nil {
		return err
	}
	var req *http.Request
	switch k {
	case Search:
		form := url.Values{"family": {s.family}, "given": {s.given}}.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/stu3/Patient/_search", strings.NewReader(form))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	case Read:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/stu3/Patient/"+s.id, nil)
	case Batch:
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/stu3", strings.NewReader(BatchBody(s.id)))
		if err == nil {
			req.Header.Set("Content-Type", "application/fhir+json")
		}
	}
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/fhir+json")
	_, err = c.send(req, k.String())
	return err
}

// BatchBody is the batch Bundle of the six clinical searches of a patient's
// page.
func BatchBody(patient string) string {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Bundle","type":"batch","entry":[`)
	for i, q := range ClinicalSearches {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"request":{"method":"GET","url":"`)
		b.WriteString(strings.ReplaceAll(q, "{id}", patient))
		b.WriteString(`"}}`)
	}
	b.WriteString(`]}`)
	return b.String()
}

// ClinicalSearches are the six searches of a patient's page, as the
// Patients app sends them ({id} is the patient's id).
var ClinicalSearches = []string{
	"Observation?patient={id}&_sort:desc=date&category=vital-signs",
	"Condition?patient={id}&_count=10",
	"Encounter?patient={id}&_sort:desc=date&_count=1",
	"AllergyIntolerance?patient={id}",
	"MedicationRequest?patient={id}&_count=10",
	"Coverage?patient={id}",
}

// Token asks the token endpoint for a token, as the app does before every
// call.
func (c *Client) Token(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/token", strings.NewReader(c.tokenForm))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	body, err := c.send(req, "token")
	if err != nil {
		return "", err
	}
	return accessToken(body)
}

// send sends req and reads the whole answer; a status other than 200 is a
// *StatusError.
func (c *Client) send(req *http.Request, step string) ([]byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, &StatusError{Step: step, Status: resp.StatusCode}
	}
	return body, nil
}

// Check runs each operation once for the population's first patient and
// reports what went wrong: a quick test that the service answers the mix.
func (c *Client) Check(ctx context.Context) error {
	for k := range kinds {
		if err := c.do(ctx, k, c.subjects[0]); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

// errorKey names an error for the counts of a Result.
func errorKey(err error) string {
	var se *StatusError
	switch {
	case errors.As(err, &se):
		return se.Step + " " + strconv.Itoa(se.Status)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	default:
		return "transport"
	}
}
