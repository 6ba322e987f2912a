package sqlstore

import "context"

// Ping reports whether the database answers (a round trip on the read
// pool): readiness probes ask it (observe.Pinger). An unreachable database
// gives an error wrapping auth.ErrUnavailable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.r.PingContext(ctx); err != nil {
		return wrap(s.d, ctx, "ping", err)
	}
	return nil
}
