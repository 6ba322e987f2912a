package memehr

import (
	"context"
	"slices"
)

// scanSearch is the engine as it was before the indexes: it filters every
// resource of the type and sorts the matches. The tests hold Search to it
// (same items, order, totals and cursors) and the benchmarks run both.
func (s *Store) scanSearch(ctx context.Context, req Request) (Result, error) {
	c, err := s.prepare(req)
	if err != nil {
		return Result{}, err
	}
	s.mu.RLock()
	var all []*Item
	if td := s.types[req.Type]; td != nil {
		all = make([]*Item, 0, len(td.byID))
		for _, it := range td.byID {
			all = append(all, it)
		}
	}
	s.mu.RUnlock()

	matches := all[:0]
	for i, it := range all {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return Result{}, err
			}
		}
		if matchAll(it, c.filters) {
			matches = append(matches, it)
		}
	}
	sortItems(matches, c.keys, s.loc)

	res := Result{Total: len(matches)}
	if req.Query.CountOnly() || c.offset >= len(matches) {
		return res, nil
	}
	end := min(c.offset+req.Query.Count, len(matches))
	res.Items = slices.Clone(matches[c.offset:end])
	if end < len(matches) {
		res.Next = sealCursor(end)
	}
	return res, nil
}
