package rest

import (
	"context"
	"net/http"

	"github.com/patientsfhir/patientsfhir/fhir"
)

// SearchFunc runs one page of a search: q is the parsed query (q.Count is the
// page size, q.CountOnly() asks for the total alone) and cursor the backend's
// own token for the page ("" for the first page).
type SearchFunc func(ctx context.Context, q *fhir.Query, cursor string) (Page, error)

// ServeSearch is the whole search interaction of one resource type, GET or
// POST _search: negotiate the format, parse the request with p, resume the
// page cursor (bound to o.Tenant), run search, derive total and links, and
// stream the searchset Bundle. Every failure is answered with an
// OperationOutcome; o.Offset is taken from the cursor.
func ServeSearch(w http.ResponseWriter, r *http.Request, p *fhir.Parser, o SearchOptions, search SearchFunc) {
	v := p.Version()
	if _, err := Negotiate(r, v); err != nil {
		WriteError(w, r, v, err)
		return
	}
	q, err := p.ParseRequest(r)
	if err != nil {
		WriteError(w, r, v, err)
		return
	}
	var st CursorState
	if q.Cursor != "" {
		if o.Cursors == nil {
			WriteError(w, r, v, errCursor)
			return
		}
		if st, err = o.Cursors.Resume(q, o.Tenant); err != nil {
			WriteError(w, r, v, err)
			return
		}
	}
	o.Offset = st.Offset
	page, err := search(r.Context(), q, st.Backend)
	if err != nil {
		WriteError(w, r, v, err)
		return
	}
	if len(page.Entries) > q.Count && !q.CountOnly() {
		// A backend that returns more than asked would break paging.
		WriteError(w, r, v, fhir.NewError(fhir.ErrInternal, "The backend returned more entries than the page size."))
		return
	}
	s, err := BuildSearchset(r.Context(), q, page, o)
	if err != nil {
		WriteError(w, r, v, err)
		return
	}
	WriteSearchset(w, r, v, s)
}
