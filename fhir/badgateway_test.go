package fhir

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

// An upstream server's failure is a 502 transient issue with a generic
// text; the upstream's own words never reach the client.
func TestBadGateway(t *testing.T) {
	o := Classify(fmt.Errorf("upstream said: %w", ErrBadGateway))
	assert.Equal(t, Outcome{Status: http.StatusBadGateway, Code: IssueTransient, Diagnostics: "The upstream server failed."}, o)
	assert.Equal(t, http.StatusBadGateway, StatusOf(NewError(ErrBadGateway, "The hospital's FHIR server failed.")))
}
