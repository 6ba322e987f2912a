package population

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// DefaultAsOf is the day the generated histories end at when Options.AsOf
// is zero: a fixed date, so that a population is the same on every run.
var DefaultAsOf = time.Date(2025, time.June, 30, 0, 0, 0, 0, time.UTC)

// Options choose a population.
type Options struct {
	// Tenant is the tenant the population belongs to (its GUID); it seeds
	// every random choice, so two tenants have different populations.
	Tenant string
	// Patients is the number of patients (at least 1).
	Patients int
	// AsOf is the day the histories end at (DefaultAsOf when zero).
	AsOf time.Time
}

// Population is one tenant's synthetic population. Patients are generated
// on demand and independently of each other (Patient(i) costs the same for
// any i), so a population of any size streams in constant memory. It is
// safe for concurrent use.
type Population struct {
	opts          Options
	seed          uint64
	zone          *time.Location
	hospital      Hospital
	practitioners []*Practitioner
	locations     []*Location
}

// Hospital is the tenant's organisation.
type Hospital struct {
	// Name is the organisation's name.
	Name string
	// MRNSystem is the system of its medical record numbers.
	MRNSystem string
	// EncounterSystem is the system of its visit numbers.
	EncounterSystem string
}

// Practitioner is a clinician of the hospital.
type Practitioner struct {
	// ID is the logical id, "prac-<n>".
	ID string
	// NPI is the national provider identifier.
	NPI string
	// Family, Given and Gender are the clinician's name and gender.
	Family, Given, Gender string
	// Specialty is the SNOMED CT specialty.
	Specialty Code
	// Location is where the clinician works.
	Location *Location
	// Phone is the work phone number.
	Phone string
}

// Display is how references show the practitioner: "Dr. Jane Doe".
func (p *Practitioner) Display() string { return "Dr. " + p.Given + " " + p.Family }

// Location is a place of the hospital.
type Location struct {
	// ID is the logical id, e.g. "loc-er"; Name and Description say what
	// the place is.
	ID, Name, Description string
	// Type is the v3 RoleCode service delivery location type.
	Type Code
	// Physical is the location-physical-type code: ro (room) or wa (ward).
	Physical string
	// Phone is the place's phone number.
	Phone string
}

// Record is everything about one patient, version-neutral: the rendering
// methods (STU3*, DSTU2*) turn each part into a resource.
type Record struct {
	// Patient is the person.
	Patient Patient
	// Encounters are the visits, oldest first.
	Encounters []*Encounter
	// Vitals are the vital signs measured at the visits.
	Vitals []*Vital
	// Conditions are the problems and diagnoses, oldest first.
	Conditions []*Condition
	// Allergies are the allergies and intolerances.
	Allergies []*Allergy
	// Orders are the prescriptions.
	Orders []*Order
	// Statements are what the patient reports taking.
	Statements []*Statement
	// Coverages are the insurances.
	Coverages []*Coverage
	hospital  *Hospital
}

// Patient is a person's demographics.
type Patient struct {
	// ID is the logical id, "pat-<n>" for the n-th patient (from 1): the
	// same ids in every tenant.
	ID string
	// MRN is the medical record number (unique in the tenant).
	MRN string
	// Family, Prefix ("Mr.", "" for children) and Given are the name.
	Family, Prefix string
	Given          []string
	// Gender is male, female, other or unknown.
	Gender string
	// BirthDate is the day of birth (UTC midnight).
	BirthDate time.Time
	// Phone, Email and the address are the contact details.
	Phone, Email  string
	Line, City    string
	State, Postal string
	// GP is the patient's general practitioner.
	GP *Practitioner
	// Designated reports that the patient is the tenant's designated one
	// (it has every kind of record).
	Designated bool
}

// Display is how references show the patient: "Mr. Hugh Chau".
func (p *Patient) Display() string {
	s := p.Given[0] + " " + p.Family
	if p.Prefix != "" {
		s = p.Prefix + " " + s
	}
	return s
}

// BirthDateString is the birth date as FHIR writes it.
func (p *Patient) BirthDateString() string { return p.BirthDate.Format(time.DateOnly) }

// Encounter is a visit.
type Encounter struct {
	// ID is the logical id, "enc-<patient>-<k>".
	ID string
	// Start and End bound the visit (in the tenant's time zone).
	Start, End time.Time
	// Class is the DSTU2 class: outpatient, inpatient or emergency.
	Class string
	// Type is the SNOMED CT type of visit.
	Type Code
	// Reason is the reason for the visit, if any.
	Reason *Code
	// Location and Practitioner are where and with whom.
	Location     *Location
	Practitioner *Practitioner
}

// Vital is one vital-sign observation; a blood pressure has Systolic and
// Diastolic instead of Value.
type Vital struct {
	// ID is the logical id, "obs-<patient>-<visit>-<kind>".
	ID string
	// Kind is what was measured.
	Kind VitalKind
	// Value is the measurement, a decimal as written.
	Value string
	// Systolic and Diastolic are a blood pressure's components.
	Systolic, Diastolic string
	// Time is when it was measured (to the second).
	Time time.Time
	// Encounter and Performer are the visit and the clinician.
	Encounter *Encounter
	Performer *Practitioner
}

// Condition is a problem or diagnosis.
type Condition struct {
	// ID is the logical id, "cond-<patient>-<k>".
	ID string
	// Code is the SNOMED CT condition.
	Code Code
	// Clinical is active, resolved or remission; Verification confirmed
	// or provisional.
	Clinical, Verification string
	// ProblemList tells a problem-list item from an encounter diagnosis.
	ProblemList bool
	// Severity is mild, moderate, severe or "".
	Severity string
	// Onset and Abatement (zero while active) are days; Recorded is the
	// day it was recorded.
	Onset, Abatement, Recorded time.Time
	// Encounter is the visit it was found at, if any; Asserter who found it.
	Encounter *Encounter
	Asserter  *Practitioner
}

// Allergy is an allergy or intolerance.
type Allergy struct {
	// ID is the logical id, "alg-<patient>-<k>".
	ID string
	// Substance is what the patient reacts to.
	Substance Code
	// Kind is allergy or intolerance; Category food, medication or
	// environment; Criticality low or high; Verification confirmed or
	// unconfirmed.
	Kind, Category, Criticality, Verification string
	// OnsetYear is the year of the first reaction; Asserted when it was
	// recorded.
	OnsetYear int
	Asserted  time.Time
	// Note is a free-text note ("" for none).
	Note string
	// Reaction is the SNOMED CT manifestation and Severity its severity.
	Reaction Code
	Severity string
	// Recorder is who recorded it.
	Recorder *Practitioner
}

// Order is a prescription: DSTU2 MedicationOrder, STU3 MedicationRequest.
type Order struct {
	// ID is the logical id, "medrx-<patient>-<k>".
	ID string
	// Medication is the drug and its dosage.
	Medication Medication
	// Status is active, completed or stopped.
	Status string
	// Authored is when it was written; Ended the day it ended (zero while
	// active).
	Authored, Ended time.Time
	// Prescriber wrote it, at Encounter (if any), for Reason (if any).
	Prescriber *Practitioner
	Encounter  *Encounter
	Reason     *Condition
}

// Statement is what the patient reports taking (STU3 MedicationStatement).
type Statement struct {
	// ID is the logical id, "medstmt-<patient>-<k>".
	ID string
	// Medication is the drug and its dosage.
	Medication Medication
	// Status is active or completed.
	Status string
	// Start and End (zero while taken) are days; Asserted is when the
	// patient said so.
	Start, End, Asserted time.Time
	// BasedOn is the prescription, if any.
	BasedOn *Order
	// FromPatient reports that the patient is the source (otherwise the
	// prescriber).
	FromPatient bool
}

// Coverage is an insurance coverage.
type Coverage struct {
	// ID is the logical id, "cov-<patient>-<k>".
	ID string
	// Payer is the insurer's name.
	Payer string
	// Group and Plan are codes, with the names shown.
	Group, GroupDisplay string
	Plan, PlanDisplay   string
	// MemberID is the subscriber id, in the payer's system MemberSys.
	MemberID, MemberSys string
	// Start and End (zero when open) are days.
	Start, End time.Time
	// Order is the coverage's rank among the patient's current ones.
	Order int
}

// ErrOptions reports invalid Options.
var ErrOptions = errors.New("population: invalid options")

// New returns the population of opts.
func New(opts Options) (*Population, error) {
	if opts.Tenant == "" {
		return nil, fmt.Errorf("%w: Tenant is empty", ErrOptions)
	}
	if opts.Patients < 1 || opts.Patients > 100_000_000 {
		return nil, fmt.Errorf("%w: Patients %d is not in 1..100000000", ErrOptions, opts.Patients)
	}
	if opts.AsOf.IsZero() {
		opts.AsOf = DefaultAsOf
	}
	h := fnv.New64a()
	h.Write([]byte(opts.Tenant))
	p := &Population{opts: opts, seed: h.Sum64()}
	r := p.rng(math.MaxUint64)
	// A US zone without daylight saving rules, so times read the same
	// everywhere.
	p.zone = time.FixedZone("", -[]int{5, 6, 7, 8}[r.IntN(4)]*3600)
	hs := hospitals[r.IntN(len(hospitals))]
	p.hospital = Hospital{Name: hs.name, MRNSystem: "http://" + hs.slug + ".example.org/mrn",
		EncounterSystem: "http://" + hs.slug + ".example.org/encounter"}
	for _, t := range locationTemplates {
		p.locations = append(p.locations, &Location{ID: t.id, Name: t.name, Description: t.description, Type: t.role,
			Physical: t.physical, Phone: phone(r)})
	}
	n := 10 + opts.Patients/250
	for i := range n {
		sp := specialties[i%len(specialties)]
		gender := []string{"female", "male"}[r.IntN(2)]
		p.practitioners = append(p.practitioners, &Practitioner{
			ID: "prac-" + strconv.Itoa(i+1), NPI: strconv.Itoa(1_003_000_000 + int(p.seed%500_000)*10 + i),
			Family: pick(r, families), Given: givenName(r, gender), Gender: gender,
			Specialty: Code{SNOMED, sp.code, sp.display, sp.display}, Location: p.locations[sp.location], Phone: phone(r),
		})
	}
	return p, nil
}

func (p *Population) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(p.seed, stream))
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func givenName(r *rand.Rand, gender string) string {
	if gender == "male" || gender == "other" && r.IntN(2) == 0 {
		return pick(r, givenMale)
	}
	return pick(r, givenFemale)
}

func phone(r *rand.Rand) string { return fmt.Sprintf("+1-555-%04d", r.IntN(10000)) }

// Tenant returns the tenant of the population.
func (p *Population) Tenant() string { return p.opts.Tenant }

// Size returns the number of patients.
func (p *Population) Size() int { return p.opts.Patients }

// AsOf returns the day the histories end at.
func (p *Population) AsOf() time.Time { return p.opts.AsOf }

// Hospital returns the tenant's organisation.
func (p *Population) Hospital() Hospital { return p.hospital }

// Practitioners returns the hospital's clinicians.
func (p *Population) Practitioners() []*Practitioner { return p.practitioners }

// Locations returns the hospital's places.
func (p *Population) Locations() []*Location { return p.locations }

// PatientID returns the logical id of the i-th patient (from 0).
func PatientID(i int) string { return "pat-" + strconv.Itoa(i+1) }

// Summary names the designated patient as the conformance kits'
// TestData and the sample service's credentials file do.
type Summary struct {
	ID        string `json:"id"`
	Family    string `json:"family"`
	Given     string `json:"given"`
	BirthDate string `json:"birth_date"`
	Gender    string `json:"gender"`
	MRN       string `json:"mrn"`
	MRNSystem string `json:"mrn_system"`
}

// Designated returns the designated patient of the tenant: the first one,
// with a name no other patient's name contains, and every kind of record
// (vitals of every kind over years, encounters, conditions, allergies,
// orders, statements, coverages).
func (p *Population) Designated() Summary {
	rec := p.Patient(0)
	pt := rec.Patient
	return Summary{ID: pt.ID, Family: pt.Family, Given: pt.Given[0], BirthDate: pt.BirthDateString(), Gender: pt.Gender,
		MRN: pt.MRN, MRNSystem: p.hospital.MRNSystem}
}

// Each calls fn with every patient's record in order, stopping at the
// first error or when ctx is done. Only one record is in memory at a time
// (fn may keep it).
func (p *Population) Each(ctx context.Context, fn func(*Record) error) error {
	for i := range p.opts.Patients {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(p.Patient(i)); err != nil {
			return err
		}
	}
	return nil
}

// mrn returns a unique 8-digit medical record number for patient i: an
// affine permutation of 0..10^8-1, so the numbers look random.
func (p *Population) mrn(i int) string {
	const m = 100_000_000
	a := uint64(48271) // coprime with 10^8
	b := p.seed % m
	return fmt.Sprintf("%08d", (a*uint64(i)+b)%m)
}
