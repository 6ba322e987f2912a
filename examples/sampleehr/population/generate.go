package population

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// historyYears is how far back encounters go.
const historyYears = 8

// Patient returns the record of the i-th patient (0 <= i < Size()); the
// same i gives the same record every time. Patient(0) is the designated
// patient.
func (p *Population) Patient(i int) *Record {
	r := p.rng(uint64(i))
	n := strconv.Itoa(i + 1)
	rec := &Record{hospital: &p.hospital}
	pt := &rec.Patient
	pt.ID, pt.MRN, pt.Designated = PatientID(i), p.mrn(i), i == 0

	asOf := p.opts.AsOf
	age := 1 + r.IntN(92)
	if pt.Designated {
		d := designated[p.seed%uint64(len(designated))]
		pt.Family, pt.Given, pt.Gender = d.family, []string{d.given}, d.gender
		age = 58 + r.IntN(12)
	} else {
		switch x := r.IntN(100); {
		case x < 49:
			pt.Gender = "female"
		case x < 98:
			pt.Gender = "male"
		case x < 99:
			pt.Gender = "other"
		default:
			pt.Gender = "unknown"
		}
		pt.Family = pick(r, families)
		pt.Given = []string{givenName(r, pt.Gender)}
		if r.IntN(10) < 3 {
			if g := givenName(r, pt.Gender); g != pt.Given[0] {
				pt.Given = append(pt.Given, g)
			}
		}
	}
	if age >= 18 {
		switch {
		case pt.Gender == "male":
			pt.Prefix = "Mr."
		case pt.Gender == "female" && r.IntN(2) == 0:
			pt.Prefix = "Ms."
		case pt.Gender == "female":
			pt.Prefix = "Mrs."
		}
	}
	pt.BirthDate = time.Date(asOf.Year()-age, time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -r.IntN(365))
	c := pick(r, cities)
	pt.Line = strconv.Itoa(1+r.IntN(999)) + " " + pick(r, streets)
	pt.City, pt.State, pt.Postal = c.city, c.state, fmt.Sprintf("%s%02d", c.postal, r.IntN(100))
	pt.Phone = phone(r)
	if r.IntN(2) == 0 || pt.Designated {
		pt.Email = fmt.Sprintf("patient%s@example.com", n)
	}
	pt.GP = p.practitioners[r.IntN(2)+10*r.IntN(len(p.practitioners)/10)] // family or internal medicine

	g := &gen{p: p, r: r, rec: rec, n: n}
	g.encounters()
	g.vitals()
	g.conditions()
	g.orders()
	g.statements()
	g.allergies()
	g.coverages()
	return rec
}

// gen generates one record.
type gen struct {
	p   *Population
	r   *rand.Rand
	rec *Record
	n   string
}

func (g *gen) ageAt(t time.Time) int {
	b := g.rec.Patient.BirthDate
	a := t.Year() - b.Year()
	if t.YearDay() < b.YearDay() {
		a--
	}
	return a
}

// day returns a random day in [from, to) at a clinic hour in the tenant's
// zone.
func (g *gen) clinicTime(from, to time.Time) time.Time {
	days := int(to.Sub(from).Hours() / 24)
	if days < 1 {
		days = 1
	}
	d := from.AddDate(0, 0, g.r.IntN(days))
	return time.Date(d.Year(), d.Month(), d.Day(), 8+g.r.IntN(9), 5*g.r.IntN(12), 0, 0, g.p.zone)
}

func (g *gen) practitioner(loc int) *Practitioner {
	ps := g.p.practitioners
	for range 8 {
		if pr := ps[g.r.IntN(len(ps))]; loc < 0 || pr.Location == g.p.locations[loc] {
			return pr
		}
	}
	for _, pr := range ps {
		if pr.Location == g.p.locations[loc] {
			return pr
		}
	}
	return ps[0]
}

func (g *gen) encounters() {
	asOf := g.p.opts.AsOf
	start := asOf.AddDate(-historyYears, 0, 0)
	if b := g.rec.Patient.BirthDate.AddDate(0, 1, 0); b.After(start) {
		start = b
	}
	var types []encounterType
	if g.rec.Patient.Designated {
		for range historyYears {
			types = append(types, visitCheckUp)
		}
		types = append(types, visitFollowUp, visitFollowUp, visitProblem, visitEmergency)
	} else {
		types = append(types, visitCheckUp)
		for k := g.r.IntN(4); k > 0; k-- {
			switch x := g.r.IntN(100); {
			case x < 50:
				types = append(types, visitFollowUp)
			case x < 80:
				types = append(types, visitProblem)
			case x < 95:
				types = append(types, visitEmergency)
			default:
				types = append(types, visitInpatient)
			}
		}
	}
	span := asOf.Sub(start)
	for k, t := range types {
		from, to := start, asOf.AddDate(0, 0, -7)
		if g.rec.Patient.Designated && k < historyYears {
			// One check-up a year, the last one this year.
			from = start.Add(span * time.Duration(k) / historyYears)
			to = start.Add(span * time.Duration(k+1) / historyYears)
		}
		s := g.clinicTime(from, to)
		if t.class != "outpatient" {
			s = s.Add(time.Duration(g.r.IntN(10)-5) * time.Hour)
		}
		minutes := t.minutes + g.r.IntN(t.maxMinutes-t.minutes+1)
		e := &Encounter{Start: s, End: s.Add(time.Duration(minutes/5*5) * time.Minute), Class: t.class, Type: t.code}
		if t.location >= 0 {
			e.Location = g.p.locations[t.location]
			e.Practitioner = g.practitioner(t.location)
		} else {
			e.Practitioner = g.rec.Patient.GP
			if t == visitProblem && g.r.IntN(2) == 0 {
				e.Practitioner = g.practitioner(-1)
			}
			e.Location = e.Practitioner.Location
		}
		g.rec.Encounters = append(g.rec.Encounters, e)
	}
	slices.SortFunc(g.rec.Encounters, func(a, b *Encounter) int { return a.Start.Compare(b.Start) })
	for k, e := range g.rec.Encounters {
		e.ID = "enc-" + g.n + "-" + strconv.Itoa(k+1)
	}
}

// vitals records vital signs at each encounter, drifting around the
// patient's own baseline.
func (g *gen) vitals() {
	r := g.r
	female := g.rec.Patient.Gender == "female"
	adultHeight := 163.0 + r.NormFloat64()*7
	if !female {
		adultHeight += 13
	}
	bmi := 22 + r.Float64()*10
	hr := 62 + r.Float64()*20
	sys := 108 + r.Float64()*35
	dia := 66 + r.Float64()*22
	for k, e := range g.rec.Encounters {
		at := e.Start.Add(10 * time.Minute)
		age := g.ageAt(at)
		height := adultHeight
		if age < 18 {
			height = adultHeight * (0.45 + 0.55*float64(age)/18)
		}
		b := bmi - max(0, float64(16-age))*0.4
		weight := b * height * height / 10000 * (1 + r.NormFloat64()*0.02)
		emergency := e.Class == "emergency"
		all := k == 0 || e.Type == visitCheckUp.code || e.Class != "outpatient"
		add := func(kind VitalKind, value string) {
			g.rec.Vitals = append(g.rec.Vitals, &Vital{ID: "obs-" + g.n + "-" + strconv.Itoa(k+1) + "-" + kind.Key, Kind: kind,
				Value: value, Time: at, Encounter: e, Performer: e.Practitioner})
		}
		v := &Vital{ID: "obs-" + g.n + "-" + strconv.Itoa(k+1) + "-bp", Kind: VitalBP, Time: at, Encounter: e, Performer: e.Practitioner,
			Systolic: f0(sys + r.NormFloat64()*6 + boolf(emergency)*10), Diastolic: f0(dia + r.NormFloat64()*4)}
		g.rec.Vitals = append(g.rec.Vitals, v)
		pulse := hr + r.NormFloat64()*5 + boolf(emergency)*20 + max(0, float64(12-age))*4
		add(VitalHR, f0(pulse))
		if all || r.IntN(3) == 0 {
			add(VitalRR, f0(14+r.Float64()*4+boolf(emergency)*6+max(0, float64(10-age))))
		}
		if all || r.IntN(2) == 0 {
			add(VitalTemp, f1(36.4+r.Float64()*0.8+boolf(emergency && r.IntN(2) == 0)*1.5))
		}
		add(VitalWeight, f1(weight))
		if all {
			add(VitalHeight, f1(height))
			add(VitalBMI, f1(weight/(height/100)/(height/100)))
		}
		if all || r.IntN(3) == 0 {
			add(VitalSpO2, f0(min(100, 95+r.Float64()*4-boolf(emergency)*3)))
		}
	}
}

func boolf(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func f0(x float64) string { return strconv.FormatFloat(x, 'f', 0, 64) }
func f1(x float64) string { return strconv.FormatFloat(x, 'f', 1, 64) }

// encounterNear returns the first encounter within 60 days from t.
func (g *gen) encounterNear(t time.Time) *Encounter {
	for _, e := range g.rec.Encounters {
		if !e.Start.Before(t) && e.Start.Before(t.AddDate(0, 0, 60)) {
			return e
		}
	}
	return nil
}

func (g *gen) conditions() {
	r, asOf, pt := g.r, g.p.opts.AsOf, &g.rec.Patient
	age := g.ageAt(asOf)
	var chosen []int
	for k, pr := range problems {
		if age >= pr.minAge && r.IntN(100) < pr.pct {
			chosen = append(chosen, k)
		}
	}
	if pt.Designated {
		chosen = []int{0, 1, 2, 10, 12} // hypertension, diabetes, cholesterol, hay fever, bronchitis
	}
	for _, k := range chosen {
		pr := problems[k]
		earliest := pt.BirthDate.AddDate(pr.minAge, 0, 1)
		if lim := asOf.AddDate(-15, 0, 0); pr.chronic && earliest.Before(lim) {
			earliest = lim
		} else if lim := asOf.AddDate(-historyYears, 0, 0); !pr.chronic && earliest.Before(lim) {
			earliest = lim
		}
		onset := g.clinicTime(earliest, asOf.AddDate(0, 0, -30))
		c := &Condition{Code: pr.code, Clinical: "active", Verification: "confirmed", ProblemList: pr.chronic,
			Severity: []string{"mild", "moderate", "severe", ""}[r.IntN(4)], Onset: dateOf(onset),
			Recorded: dateOf(onset.AddDate(0, 0, r.IntN(20))), Encounter: g.encounterNear(onset), Asserter: pt.GP}
		if c.Encounter != nil {
			c.Asserter = c.Encounter.Practitioner
			c.Recorded = dateOf(c.Encounter.Start)
		}
		if !pr.chronic {
			c.Clinical = "resolved"
			c.Abatement = c.Onset.AddDate(0, 0, 14+r.IntN(30))
		} else if r.IntN(10) == 0 {
			c.Clinical = "remission"
		}
		if r.IntN(20) == 0 && !pt.Designated {
			c.Verification = "provisional"
		}
		g.rec.Conditions = append(g.rec.Conditions, c)
	}
	slices.SortFunc(g.rec.Conditions, func(a, b *Condition) int { return a.Recorded.Compare(b.Recorded) })
	for k, c := range g.rec.Conditions {
		c.ID = "cond-" + g.n + "-" + strconv.Itoa(k+1)
	}
}

func dateOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func (g *gen) orders() {
	r := g.r
	for _, c := range g.rec.Conditions {
		meds := problemOf(c.Code).medications
		if len(meds) == 0 {
			continue
		}
		o := &Order{Medication: pick(r, meds), Status: "active", Prescriber: c.Asserter, Encounter: c.Encounter, Reason: c}
		at := time.Date(c.Recorded.Year(), c.Recorded.Month(), c.Recorded.Day(), 9+r.IntN(8), 5*r.IntN(12), 0, 0, g.p.zone)
		if c.Encounter != nil {
			at = c.Encounter.End.Add(-5 * time.Minute)
		}
		o.Authored = at
		switch {
		case c.Clinical == "resolved":
			o.Status, o.Ended = "completed", dateOf(at.AddDate(0, 0, 10))
		case c.Clinical == "remission" || r.IntN(12) == 0 && !g.rec.Patient.Designated:
			o.Status, o.Ended = "stopped", dateOf(at.AddDate(0, 2+r.IntN(20), 0))
			if o.Ended.After(g.p.opts.AsOf) {
				o.Status, o.Ended = "active", time.Time{}
			}
		}
		g.rec.Orders = append(g.rec.Orders, o)
	}
	for k, o := range g.rec.Orders {
		o.ID = "medrx-" + g.n + "-" + strconv.Itoa(k+1)
	}
}

func problemOf(c Code) *problem {
	for i := range problems {
		if problems[i].code.Code == c.Code {
			return &problems[i]
		}
	}
	panic("population: unknown problem " + c.Code)
}

// statements: what the patient says they take, at the last visit.
func (g *gen) statements() {
	r := g.r
	last := g.p.opts.AsOf.AddDate(0, 0, -1)
	if n := len(g.rec.Encounters); n > 0 {
		last = g.rec.Encounters[n-1].Start.Add(20 * time.Minute)
	}
	for _, o := range g.rec.Orders {
		if !g.rec.Patient.Designated && r.IntN(2) == 0 {
			continue
		}
		s := &Statement{Medication: o.Medication, Status: "active", Start: dateOf(o.Authored.AddDate(0, 0, 1)), Asserted: last, BasedOn: o}
		if o.Status != "active" {
			s.Status, s.End = "completed", o.Ended
		}
		if s.Asserted.Before(s.Start) {
			s.Asserted = s.Start.Add(12 * time.Hour)
		}
		g.rec.Statements = append(g.rec.Statements, s)
	}
	if g.rec.Patient.Designated || g.ageAt(last) > 50 && r.IntN(5) == 0 {
		start := dateOf(last.AddDate(-1-r.IntN(5), 0, 0))
		g.rec.Statements = append(g.rec.Statements, &Statement{Medication: medAspirin, Status: "active", Start: start,
			Asserted: last, FromPatient: true})
	}
	for k, s := range g.rec.Statements {
		s.ID = "medstmt-" + g.n + "-" + strconv.Itoa(k+1)
	}
}

func (g *gen) allergies() {
	r, pt := g.r, &g.rec.Patient
	n := 0
	switch x := r.IntN(100); {
	case pt.Designated:
		n = 2
	case x < 5:
		n = 2
	case x < 30:
		n = 1
	}
	first := r.IntN(len(allergens))
	for k := range n {
		a := allergens[(first+k*3)%len(allergens)]
		onset := pt.BirthDate.Year() + 1 + r.IntN(max(1, g.p.opts.AsOf.Year()-pt.BirthDate.Year()-1))
		asserted := g.clinicTime(g.p.opts.AsOf.AddDate(-historyYears, 0, 0), g.p.opts.AsOf.AddDate(0, 0, -1))
		if e := g.rec.Encounters; len(e) > 0 {
			asserted = e[r.IntN(len(e))].Start.Add(15 * time.Minute)
		}
		if asserted.Year() < onset {
			onset = asserted.Year()
		}
		al := &Allergy{ID: "alg-" + g.n + "-" + strconv.Itoa(k+1), Substance: a.code, Kind: a.kind, Category: a.category,
			Criticality: a.criticality, Verification: "confirmed", OnsetYear: onset, Asserted: asserted,
			Reaction: a.reaction, Severity: a.severity, Recorder: pt.GP}
		if r.IntN(10) == 0 && !pt.Designated {
			al.Verification = "unconfirmed"
			al.Note = "Reported by the patient, not tested."
		} else if r.IntN(3) == 0 || pt.Designated && k == 0 {
			al.Note = a.reaction.Text + " after exposure in " + strconv.Itoa(onset) + "."
		}
		g.rec.Allergies = append(g.rec.Allergies, al)
	}
}

func (g *gen) coverages() {
	r, pt, asOf := g.r, &g.rec.Patient, g.p.opts.AsOf
	age := g.ageAt(asOf)
	if !pt.Designated && r.IntN(100) < 8 {
		return // uninsured
	}
	eligible := func(a int) []plan {
		var out []plan
		for _, pl := range plans {
			if a >= pl.minAge && a <= pl.maxAge {
				out = append(out, pl)
			}
		}
		return out
	}
	cur := pick(r, eligible(age))
	start := dateOf(asOf.AddDate(-1-r.IntN(6), -r.IntN(12), 0))
	start = time.Date(start.Year(), start.Month(), 1, 0, 0, 0, 0, time.UTC)
	if start.Before(pt.BirthDate) {
		start = dateOf(pt.BirthDate)
	}
	add := func(pl plan, from, to time.Time) {
		k := strconv.Itoa(len(g.rec.Coverages) + 1)
		g.rec.Coverages = append(g.rec.Coverages, &Coverage{ID: "cov-" + g.n + "-" + k, Payer: pl.payer,
			Group: pl.group, GroupDisplay: pl.groupDisplay, Plan: pl.plan, PlanDisplay: pl.planDisplay,
			MemberID: pl.memberPrefix + "-" + pt.MRN + "-0" + k, MemberSys: "http://" + slug(pl.payer) + ".example.org/member",
			Start: from, End: to, Order: 1})
	}
	add(cur, start, time.Time{})
	if pt.Designated || r.IntN(4) == 0 {
		oldAge := g.ageAt(start.AddDate(0, 0, -1))
		if el := eligible(oldAge); len(el) > 0 && start.After(pt.BirthDate.AddDate(1, 0, 0)) {
			from := start.AddDate(-2-r.IntN(8), 0, 0)
			if from.Before(pt.BirthDate) {
				from = dateOf(pt.BirthDate)
			}
			add(pick(r, el), from, start.AddDate(0, 0, -1))
		}
	}
}

// slug makes a host name part of a payer's name.
func slug(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s) && s[i] != ' '; i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out = append(out, c)
	}
	return string(out)
}
