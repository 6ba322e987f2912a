package ehr

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhir"
	"github.com/patientsfhir/patientsfhir/fhirsql"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// The JSON column of each version.
const (
	colSTU3  = "stu3"
	colDSTU2 = "dstu2"
)

// read reads one resource of the tenant: fhir.ErrNotFound when the tenant
// has no such id (another tenant's row is never seen: the key is part of
// the statement).
func read[P any](ctx context.Context, db *DB, t *fhirsql.Table, col, tenant, id string, decode func([]byte) (P, error)) (P, error) {
	var zero P
	key, err := db.tenantKey(ctx, tenant)
	if err != nil {
		return zero, err
	}
	q, args, err := t.ReadSQL(db.d, []string{col}, id, key)
	if err != nil {
		return zero, err
	}
	var b []byte
	switch err := db.querier().QueryRowContext(ctx, q, args...).Scan(&b); {
	case errors.Is(err, sql.ErrNoRows):
		return zero, fhir.ErrNotFound
	case err != nil:
		if cerr := ctx.Err(); cerr != nil {
			err = cerr
		}
		return zero, fmt.Errorf("ehr: read %s: %w", t.Name, err)
	}
	return decode(b)
}

// search runs one search of the tenant; where adds the typed query's
// parameters.
func search[P any](ctx context.Context, db *DB, t *fhirsql.Table, col, tenant string, s fhir.Search,
	where func(*fhirsql.Select), decode func([]byte) (P, error)) (fhir.Page[P], error) {
	key, err := db.tenantKey(ctx, tenant)
	if err != nil {
		return fhir.Page[P]{}, err
	}
	sel, err := fhirsql.NewSelect(db.d, t, s, key)
	if err != nil {
		return fhir.Page[P]{}, err
	}
	where(sel)
	return fhirsql.Run(ctx, db.querier(), sel, []string{col}, func(row func(...any) error) (P, error) {
		var b []byte
		if err := row(&b); err != nil {
			var zero P
			return zero, err
		}
		return decode(b)
	})
}

// decodeSTU3 and decodeDSTU2 decode a stored resource (strictly: the
// database holds only what the seeder wrote).
func decodeSTU3[T any, P interface {
	*T
	stu3.Model
}](b []byte) (P, error) {
	p := P(new(T))
	if err := stu3.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("ehr: stored STU3 resource: %w", err)
	}
	return p, nil
}

func decodeDSTU2[T any, P interface {
	*T
	dstu2.Model
}](b []byte) (P, error) {
	p := P(new(T))
	if err := dstu2.Unmarshal(b, p); err != nil {
		return nil, fmt.Errorf("ehr: stored DSTU2 resource: %w", err)
	}
	return p, nil
}

// The parameters of each type, shared by both versions (their typed
// queries carry the same value types).

func patientWhere(name, family, given fhir.StringParam, birthdate fhir.DateParam, gender, identifier fhir.TokenParam) func(*fhirsql.Select) {
	return func(s *fhirsql.Select) {
		s.String("name", name)
		s.String("family", family)
		s.String("given", given)
		s.Date("birthdate", birthdate)
		s.Token("gender", gender)
		s.Token("identifier", identifier)
	}
}

func observationWhere(patient string, category, code fhir.TokenParam, date fhir.DateParam, status fhir.TokenParam) func(*fhirsql.Select) {
	return func(s *fhirsql.Select) {
		s.Equal("patient", patient)
		s.Token("category", category)
		s.Token("code", code)
		s.Date("date", date)
		s.Token("status", status)
	}
}

func encounterWhere(patient string, date fhir.DateParam, status, typ fhir.TokenParam) func(*fhirsql.Select) {
	return func(s *fhirsql.Select) {
		s.Equal("patient", patient)
		s.Date("date", date)
		s.Token("status", status)
		s.Token("type", typ)
	}
}

// conditionWhere takes the version's names of the clinical-status and
// onset parameters.
func conditionWhere(patient string, category fhir.TokenParam, clinicalName string, clinical fhir.TokenParam,
	onsetName string, onset fhir.DateParam) func(*fhirsql.Select) {
	return func(s *fhirsql.Select) {
		s.Equal("patient", patient)
		s.Token("category", category)
		s.Token(clinicalName, clinical)
		s.Date(onsetName, onset)
	}
}

func patientOnly(patient string) func(*fhirsql.Select) {
	return func(s *fhirsql.Select) { s.Equal("patient", patient) }
}

func withStatus(patient string, status fhir.TokenParam) func(*fhirsql.Select) {
	return func(s *fhirsql.Select) {
		s.Equal("patient", patient)
		s.Token("status", status)
	}
}

func coverageWhere(patient string, identifier, typ fhir.TokenParam) func(*fhirsql.Select) {
	return func(s *fhirsql.Select) {
		s.Equal("patient", patient)
		s.Token("identifier", identifier)
		s.Token("type", typ)
	}
}

// stored is search's decode for the JSON searchers: the row's JSON as it
// is (database/sql copied it out of the row).
func stored(b []byte) (json.RawMessage, error) { return b, nil }

// decoded returns a function that decodes a page of stored JSON with
// decode: the typed searchers are the JSON ones, decoded.
func decoded[P any](decode func([]byte) (P, error)) func(fhir.Page[json.RawMessage], error) (fhir.Page[P], error) {
	return func(p fhir.Page[json.RawMessage], err error) (fhir.Page[P], error) {
		if err != nil {
			return fhir.Page[P]{}, err
		}
		out := fhir.Page[P]{Total: p.Total, TotalKnown: p.TotalKnown, Next: p.Next}
		for _, b := range p.Resources {
			r, err := decode(b)
			if err != nil {
				return fhir.Page[P]{}, err
			}
			out.Resources = append(out.Resources, r)
		}
		return out, nil
	}
}
