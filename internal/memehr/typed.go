package memehr

import (
	"context"
	"errors"
	"fmt"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// Decoder decodes one resource of a version into its typed model, checks
// it (Validate) and returns it with its resource type.
type Decoder func(data []byte) (value any, err error)

// ErrWrongType is returned when a stored value is not of the type asked for.
var ErrWrongType = errors.New("memehr: stored value has another Go type")

// Load decodes data with decode and stores it; a resource that does not
// decode or validate is refused.
func (s *Store) Load(data []byte, decode Decoder) (*Item, error) {
	v, err := decode(data)
	if err != nil {
		return nil, err
	}
	return s.Put(data, v)
}

// ReadAs reads a resource and returns its typed value.
func ReadAs[T any](ctx context.Context, s *Store, typ, id string) (T, error) {
	var zero T
	it, err := s.Read(ctx, typ, id)
	if err != nil {
		return zero, err
	}
	v, ok := it.Value.(T)
	if !ok {
		return zero, fmt.Errorf("%w: %s/%s is %T", ErrWrongType, typ, id, it.Value)
	}
	return v, nil
}

// SearchAs runs a typed query of the dstu2/stu3 packages: it evaluates
// srch.Query against params, with the page size, sort and cursor of srch
// (which the server may have set from its profile), and string parameters
// read through srch.Strings, which applies the profile's contains reading.
func SearchAs[T any](ctx context.Context, s *Store, typ string, params []fhir.SearchParam, srch fhir.Search) (fhir.Page[T], error) {
	var page fhir.Page[T]
	if srch.Query == nil {
		return page, errors.New("memehr: typed query without its parsed Query")
	}
	q := *srch.Query
	q.Count, q.Sort = srch.Count, srch.Sort
	if srch.CountOnly {
		q.Count = 0
	}
	res, err := s.Search(ctx, Request{Type: typ, Params: params, Query: &q, Cursor: srch.Cursor})
	if err != nil {
		return page, err
	}
	page.Total, page.TotalKnown, page.Next = res.Total, true, res.Next
	page.Resources = make([]T, 0, len(res.Items))
	for _, it := range res.Items {
		v, ok := it.Value.(T)
		if !ok {
			return page, fmt.Errorf("%w: %s/%s is %T", ErrWrongType, it.Type, it.ID, it.Value)
		}
		page.Resources = append(page.Resources, v)
	}
	return page, nil
}
