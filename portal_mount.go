package patientsfhir

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/patientsfhir/patientsfhir/auth"
	"github.com/patientsfhir/patientsfhir/portal"
)

// portalActivity prepares the operator portal's activity ring when
// Config.Portal is set: Config.Portal.Activity, or a new one, gets every
// audit event of the authorization server, and so does the configured
// Auditor (default: the log). It returns nil when there is no portal or no
// authorization server.
func portalActivity(cfg *Config, ac *auth.Config) *portal.Activity {
	if cfg.Portal == nil || cfg.Open {
		return nil
	}
	next := ac.Auditor
	if next == nil {
		next = auth.SlogAuditor{Logger: ac.Logger}
	}
	if act := cfg.Portal.Activity; act != nil {
		ac.Auditor = tee{act, next}
		return act
	}
	act := portal.NewActivity(0, next)
	ac.Auditor = act
	return act
}

// tee passes an event to two auditors.
type tee [2]auth.Auditor

// Record implements auth.Auditor.
func (t tee) Record(ctx context.Context, e auth.Event) {
	t[0].Record(ctx, e)
	t[1].Record(ctx, e)
}

// mountPortal mounts the operator portal (Config.Portal) at its BasePath,
// over the authorization server New built.
func (s *Server) mountPortal(cfg *Config, act *portal.Activity, versions []*mount) error {
	if cfg.Portal == nil {
		return nil
	}
	if s.auth == nil {
		return fmt.Errorf("%w: Config.Portal: needs the authorization server; not with Open", ErrInvalidConfig)
	}
	pc := *cfg.Portal
	if pc.Auth != nil {
		return fmt.Errorf("%w: Config.Portal.Auth: leave empty (it is the server's authorization server)", ErrInvalidConfig)
	}
	pc.Auth, pc.Activity = s.auth, act
	if pc.Logger == nil {
		pc.Logger = s.log
	}
	if pc.BasePath == "" {
		pc.BasePath = portal.DefaultBasePath
	}
	base := pc.BasePath
	for _, other := range append([]string{AdminPath, "/.well-known"}, basePaths(versions)...) {
		if base == other || strings.HasPrefix(base, other+"/") || strings.HasPrefix(other, base+"/") {
			return fmt.Errorf("%w: Config.Portal.BasePath: %q overlaps %q", ErrInvalidConfig, base, other)
		}
	}
	p, err := portal.New(pc)
	if errors.Is(err, portal.ErrInvalidConfig) {
		return renamed(err, "portal: invalid configuration: ", "Config.Portal")
	} else if err != nil {
		return err
	}
	s.mux.Handle(base+"/", p)
	s.mux.Handle(base, p)
	s.log.Info("patientsfhir: operator portal mounted", "path", base, "tenants", pc.Tenants != nil)
	return nil
}

// basePaths lists the mounted FHIR bases.
func basePaths(versions []*mount) []string {
	out := make([]string, 0, len(versions))
	for _, v := range versions {
		out = append(out, *v.basePath)
	}
	return out
}
