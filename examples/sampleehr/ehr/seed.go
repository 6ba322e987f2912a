package ehr

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/sync/errgroup"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/examples/sampleehr/population"
	"github.com/patientsfhir/patientsfhir/fhirsql"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// ErrSeeded is returned by Seed for a tenant that is already seeded.
var ErrSeeded = errors.New("ehr: tenant already seeded")

// SeedStats reports one seeding.
type SeedStats struct {
	// Patients is the number of patients written.
	Patients int
	// Resources is the number of resources written (each in both
	// versions, MedicationStatement in STU3 only).
	Resources int
	// Rows is the number of rows written, search index rows included.
	Rows int
	// Duration is the wall time of the seeding.
	Duration time.Duration
}

// ResourcesPerSecond is the seeding rate.
func (s SeedStats) ResourcesPerSecond() float64 { return float64(s.Resources) / s.Duration.Seconds() }

// PatientsPerSecond is the seeding rate in patients.
func (s SeedStats) PatientsPerSecond() float64 { return float64(s.Patients) / s.Duration.Seconds() }

// seedBatch is the number of patients written per transaction.
const seedBatch = 250

// The data tables (dataTables) and their insert statements, in the order
// of row's table indexes.
const (
	insPatient = iota
	insName
	insSuffix
	insObservation
	insEncounter
	insCondition
	insAllergy
	insMedicationRequest
	insMedicationStatement
	insCoverage
	insLocation
	insPractitioner
	insCount
)

// row is one insert.
type row struct {
	stmt int
	args []any
}

// batch is the rows of some patients, and how many resources they hold.
type batch struct {
	rows      []row
	resources int
	patients  int
}

// Seed writes the population p as tenant p.Tenant(): its practitioners and
// locations, then its patients in transactions of a few hundred, rendered
// by parallel workers while one connection writes. A seeding that was
// interrupted is cleared and redone; a tenant already seeded is refused
// (ErrSeeded). The tenant's data becomes visible to the backends when the
// seeding completes.
func (db *DB) Seed(ctx context.Context, p *population.Population) (SeedStats, error) {
	start := time.Now()
	var stats SeedStats
	key, err := db.beginSeed(ctx, p.Tenant())
	if err != nil {
		return stats, err
	}
	first := &batch{}
	h := p.Hospital()
	for _, l := range p.Locations() {
		first.add(insLocation, key, l.ID, marshal3(l.STU3(h)), marshal2(l.DSTU2(h)))
	}
	for _, pr := range p.Practitioners() {
		first.add(insPractitioner, key, pr.ID, marshal3(pr.STU3()), marshal2(pr.DSTU2(h)))
	}
	first.resources = len(first.rows)

	// One producer of patient ranges, workers that render them, one
	// writer: rendering runs in parallel with the (single) writer.
	g, gctx := errgroup.WithContext(ctx)
	next := make(chan int)
	batches := make(chan *batch, 4)
	g.Go(func() error {
		defer close(next)
		for i := 0; i < p.Size(); i += seedBatch {
			select {
			case next <- i:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	var workers sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		workers.Add(1)
		g.Go(func() error {
			defer workers.Done()
			for i := range next {
				b := &batch{}
				for j := i; j < min(i+seedBatch, p.Size()); j++ {
					b.patient(key, p.Patient(j))
				}
				select {
				case batches <- b:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		workers.Wait()
		close(batches)
		return nil
	})
	g.Go(func() error {
		if err := db.write(gctx, first, &stats); err != nil {
			return err
		}
		for b := range batches {
			if err := db.write(gctx, b, &stats); err != nil {
				return err
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return stats, fmt.Errorf("ehr: seed %s: %w", p.Tenant(), err)
	}
	if stats.Patients != p.Size() {
		return stats, fmt.Errorf("ehr: seed %s: wrote %d of %d patients", p.Tenant(), stats.Patients, p.Size())
	}
	// Statistics for the query planner (sampled: quick at any size).
	if _, err := db.w.ExecContext(ctx, db.q.analyze); err != nil {
		return stats, fmt.Errorf("ehr: analyze: %w", err)
	}
	if _, err := db.w.ExecContext(ctx, db.q.seeded,
		p.Size(), time.Now().UTC().Format(time.RFC3339), key); err != nil {
		return stats, fmt.Errorf("ehr: seed %s: %w", p.Tenant(), err)
	}
	stats.Duration = time.Since(start)
	return stats, nil
}

// beginSeed registers the tenant (not yet visible) and returns its key.
func (db *DB) beginSeed(ctx context.Context, guid string) (int64, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("ehr: seed %s: %w", guid, err)
	}
	defer tx.Rollback()
	var key int64
	var seeded string
	switch err := tx.QueryRowContext(ctx, db.q.findTenant, guid).Scan(&key, &seeded); {
	case errors.Is(err, sql.ErrNoRows):
		if err := tx.QueryRowContext(ctx, db.q.addTenant, guid).Scan(&key); err != nil {
			return 0, fmt.Errorf("ehr: seed %s: %w", guid, err)
		}
	case err != nil:
		return 0, fmt.Errorf("ehr: seed %s: %w", guid, err)
	case seeded != "":
		return 0, fmt.Errorf("%w: %s", ErrSeeded, guid)
	default:
		for _, q := range db.q.clear {
			if _, err := tx.ExecContext(ctx, q, key); err != nil {
				return 0, fmt.Errorf("ehr: clear interrupted seeding of %s: %w", guid, err)
			}
		}
	}
	return key, tx.Commit()
}

// write writes one batch in one transaction.
func (db *DB) write(ctx context.Context, b *batch, stats *SeedStats) error {
	write := db.insertBatch
	if db.d == fhirsql.PostgreSQL {
		write = db.copyBatch
	}
	if err := write(ctx, b); err != nil {
		return err
	}
	stats.Patients += b.patients
	stats.Resources += b.resources
	stats.Rows += len(b.rows)
	if db.afterBatch != nil {
		db.afterBatch()
	}
	return nil
}

// insertBatch writes a batch with prepared inserts (SQLite: an insert is
// a function call, no round trip).
func (db *DB) insertBatch(ctx context.Context, b *batch) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var stmts [insCount]*sql.Stmt
	for _, r := range b.rows {
		st := stmts[r.stmt]
		if st == nil {
			if st, err = tx.PrepareContext(ctx, db.q.insert[r.stmt]); err != nil {
				return err
			}
			defer st.Close()
			stmts[r.stmt] = st
		}
		if _, err := st.ExecContext(ctx, r.args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// copyBatch writes a batch with one COPY per table (PostgreSQL: one round
// trip per table instead of one per row), in one transaction on a pgx
// connection of the writer pool.
func (db *DB) copyBatch(ctx context.Context, b *batch) error {
	var rows [insCount][][]any
	for _, r := range b.rows {
		rows[r.stmt] = append(rows[r.stmt], r.args)
	}
	conn, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		tx, err := dc.(*stdlib.Conn).Conn().Begin(ctx)
		if err != nil {
			return err
		}
		// A failed rollback closes the connection, which the pool then
		// drops: it is never reused inside a transaction.
		defer tx.Rollback(context.WithoutCancel(ctx))
		for i, rs := range rows {
			if len(rs) == 0 {
				continue
			}
			t := &dataTables[i]
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.columns(), pgx.CopyFromRows(rs)); err != nil {
				return fmt.Errorf("copy into %s: %w", t.name, err)
			}
		}
		return tx.Commit(ctx)
	})
}

func (b *batch) add(stmt int, args ...any) { b.rows = append(b.rows, row{stmt, args}) }

// resource adds a resource row (it counts as a resource).
func (b *batch) resource(stmt int, args ...any) {
	b.add(stmt, args...)
	b.resources++
}

func marshal3(r stu3.Model) []byte {
	out, _ := stu3.Marshal(r)
	return out
}

func marshal2(r dstu2.Model) []byte {
	out, _ := dstu2.Marshal(r)
	return out
}

func micro(t time.Time) int64 { return t.UnixMicro() }

// second is the implicit range of a dateTime written to the second.
const second = time.Second

// day returns the range of a date.
func day(t time.Time) (int64, int64) { return micro(t), micro(t.AddDate(0, 0, 1)) }

// patient adds every row of one patient: the resources in both versions
// and the search columns, taken from the same version-neutral record.
func (b *batch) patient(key int64, rec *population.Record) {
	pt := &rec.Patient
	bs, be := day(pt.BirthDate)
	b.resource(insPatient, key, pt.ID, fhirsql.Normalize(pt.Family), fhirsql.Normalize(pt.Given[0]),
		pt.Gender, pt.Gender, bs, be, rec.STU3Patient().Identifier[0].System, pt.MRN, fhirsql.Normalize("Medical record number"),
		marshal3(rec.STU3Patient()), marshal2(rec.DSTU2Patient()))
	parts := map[string][]string{"family": {pt.Family}, "given": pt.Given}
	if pt.Prefix != "" {
		parts["prefix"] = []string{pt.Prefix}
	}
	for _, part := range []string{"family", "given", "prefix"} {
		for _, v := range parts[part] {
			b.add(insName, key, pt.ID, part, v, fhirsql.Normalize(v))
		}
		for _, s := range fhirsql.Suffixes(parts[part]...) {
			b.add(insSuffix, key, part, s, pt.ID)
		}
	}
	for _, e := range rec.Encounters {
		b.resource(insEncounter, key, e.ID, pt.ID, "finished", population.SNOMED, e.Type.Code, fhirsql.Normalize(e.Type.Text),
			micro(e.Start), micro(e.End.Add(second)), marshal3(rec.STU3Encounter(e)), marshal2(rec.DSTU2Encounter(e)))
	}
	for _, v := range rec.Vitals {
		k := v.Kind.Code
		b.resource(insObservation, key, v.ID, pt.ID, population.ObservationCategory, "vital-signs", fhirsql.Normalize("Vital Signs"),
			k.System, k.Code, fhirsql.Normalize(k.Text), "final", micro(v.Time), micro(v.Time.Add(second)),
			marshal3(rec.STU3Observation(v)), marshal2(rec.DSTU2Observation(v)))
	}
	for _, c := range rec.Conditions {
		s3, d2 := rec.STU3Condition(c), rec.DSTU2Condition(c)
		os, oe := day(c.Onset)
		b.resource(insCondition, key, c.ID, pt.ID, c.Clinical, s3.Category[0].Coding[0].System, s3.Category[0].Coding[0].Code,
			d2.Category.Coding[0].System, d2.Category.Coding[0].Code, os, oe, micro(c.Recorded), marshal3(s3), marshal2(d2))
	}
	for _, a := range rec.Allergies {
		b.resource(insAllergy, key, a.ID, pt.ID, micro(a.Asserted),
			marshal3(rec.STU3AllergyIntolerance(a)), marshal2(rec.DSTU2AllergyIntolerance(a)))
	}
	for _, o := range rec.Orders {
		b.resource(insMedicationRequest, key, o.ID, pt.ID, o.Status, micro(o.Authored),
			marshal3(rec.STU3MedicationRequest(o)), marshal2(rec.DSTU2MedicationOrder(o)))
	}
	for _, s := range rec.Statements {
		b.resource(insMedicationStatement, key, s.ID, pt.ID, s.Status, micro(s.Asserted), marshal3(rec.STU3MedicationStatement(s)))
	}
	for _, c := range rec.Coverages {
		b.resource(insCoverage, key, c.ID, pt.ID, c.MemberSys, c.MemberID, population.ActCode, "EHCPOL", micro(c.Start),
			marshal3(rec.STU3Coverage(c)), marshal2(rec.DSTU2Coverage(c)))
	}
	b.patients++
}
