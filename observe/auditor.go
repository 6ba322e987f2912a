package observe

import (
	"context"

	"github.com/patientsfhir/patientsfhir/auth"
)

// Auditor returns an auth.Auditor that passes every event on to next (nil:
// none) after counting token and bearer events in m (nil: not counted) and
// noting a token request's client and tenant in the request's [Info], so
// that the access log line of POST /token names them. Give it to
// auth.Config.Auditor; package patientsfhir does when Config.Ops.Observer
// has Metrics.
func Auditor(next auth.Auditor, m *Metrics) auth.Auditor {
	return &auditor{next: next, m: m}
}

type auditor struct {
	next auth.Auditor
	m    *Metrics
}

// Record implements auth.Auditor.
func (a *auditor) Record(ctx context.Context, e auth.Event) {
	switch e.Type {
	case auth.EventTokenIssued, auth.EventTokenDenied:
		outcome, reason := "issued", ""
		if e.Type == auth.EventTokenDenied {
			outcome, reason = "denied", reasonLabel(e.Reason)
		}
		if a.m != nil {
			a.m.Tokens.WithLabelValues(outcome, reason).Inc()
		}
		if i := InfoFrom(ctx); i != nil {
			i.Interaction, i.Client, i.Tenant = InteractionToken, e.ClientID, e.Tenant
		}
	case auth.EventBearerRejected:
		if a.m != nil {
			a.m.BearerRejected.WithLabelValues(reasonLabel(e.Reason)).Inc()
		}
	}
	if a.next != nil {
		a.next.Record(ctx, e)
	}
}
