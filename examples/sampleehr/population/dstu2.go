package population

import (
	"fmt"

	"github.com/patientsfhir/patientsfhir/dstu2"
	"github.com/patientsfhir/patientsfhir/fhirjson"
)

// The DSTU2 (1.0.2) rendering of every part of a record: the same facts as
// the STU3 rendering, in DSTU2's elements (name.family is a list, the
// patient reference is "patient", MedicationOrder instead of
// MedicationRequest, no MedicationStatement in the Patients app's set).

func d2Coding(c Code) dstu2.Coding {
	return dstu2.Coding{System: c.System, Code: c.Code, Display: c.Display}
}

func d2Concept(c Code) *dstu2.CodeableConcept {
	cc := &dstu2.CodeableConcept{Text: c.Text}
	if c.Code != "" {
		cc.Coding = []dstu2.Coding{d2Coding(c)}
	}
	if cc.Text == "" {
		cc.Text = c.Display
	}
	return cc
}

func d2Ref(typ, id, display string) *dstu2.Reference {
	return &dstu2.Reference{Reference: typ + "/" + id, Display: display}
}

func (r *Record) d2Patient() *dstu2.Reference {
	return d2Ref("Patient", r.Patient.ID, r.Patient.Display())
}

func d2Practitioner(p *Practitioner) *dstu2.Reference {
	if p == nil {
		return nil
	}
	return d2Ref("Practitioner", p.ID, p.Display())
}

func d2Encounter(e *Encounter) *dstu2.Reference {
	if e == nil {
		return nil
	}
	return d2Ref("Encounter", e.ID, e.Type.Text+" on "+date(e.Start))
}

func (r *Record) d2Org() *dstu2.Reference { return &dstu2.Reference{Display: r.hospital.Name} }

func d2Quantity(value, unit, ucum string) *dstu2.Quantity {
	return &dstu2.Quantity{Value: fhirjson.MustDecimal(value), Unit: unit, System: UCUM, Code: ucum}
}

func d2Period(start, end string) *dstu2.Period {
	if start == "" && end == "" {
		return nil
	}
	return &dstu2.Period{Start: start, End: end}
}

// DSTU2Patient renders the patient.
func (r *Record) DSTU2Patient() *dstu2.Patient {
	p := &r.Patient
	pt := &dstu2.Patient{
		ID:   p.ID,
		Text: &dstu2.Narrative{Status: "generated", Div: div(fmt.Sprintf("%s, %s, born %s, MRN %s", p.Display(), p.Gender, p.BirthDateString(), p.MRN))},
		Identifier: []dstu2.Identifier{{
			Use:      "usual",
			Type:     &dstu2.CodeableConcept{Coding: []dstu2.Coding{{System: IdentifierType, Code: "MR", Display: "Medical record number"}}, Text: "Medical record number"},
			System:   r.hospital.MRNSystem,
			Value:    p.MRN,
			Assigner: r.d2Org(),
		}},
		Active:               ptr(true),
		Name:                 []dstu2.HumanName{{Use: "official", Text: p.fullName(), Family: []string{p.Family}, Given: p.Given, Prefix: nonEmpty(p.Prefix)}},
		Telecom:              []dstu2.ContactPoint{{System: "phone", Value: p.Phone, Use: "home"}},
		Gender:               dstu2.AdministrativeGender(p.Gender),
		BirthDate:            p.BirthDateString(),
		Address:              []dstu2.Address{{Use: "home", Line: []string{p.Line}, City: p.City, State: p.State, PostalCode: p.Postal, Country: "US"}},
		CareProvider:         []dstu2.Reference{*d2Practitioner(p.GP)},
		ManagingOrganization: r.d2Org(),
	}
	if p.Email != "" {
		pt.Telecom = append(pt.Telecom, dstu2.ContactPoint{System: "email", Value: p.Email, Use: "home"})
	}
	return pt
}

var d2VitalSigns = dstu2.CodeableConcept{Coding: []dstu2.Coding{{System: ObservationCategory, Code: "vital-signs", Display: "Vital Signs"}}, Text: "Vital Signs"}

// DSTU2Observation renders a vital sign.
func (r *Record) DSTU2Observation(v *Vital) *dstu2.Observation {
	cat := d2VitalSigns
	o := &dstu2.Observation{
		ID:                v.ID,
		Status:            "final",
		Category:          &cat,
		Code:              d2Concept(v.Kind.Code),
		Subject:           r.d2Patient(),
		Encounter:         d2Encounter(v.Encounter),
		EffectiveDateTime: dateTime(v.Time),
		Issued:            dateTime(v.Time),
		Performer:         []dstu2.Reference{*d2Practitioner(v.Performer)},
	}
	if v.Kind.Key == VitalBP.Key {
		o.Component = []dstu2.ObservationComponent{
			{Code: d2Concept(VitalSystolic.Code), ValueQuantity: d2Quantity(v.Systolic, VitalSystolic.Unit, VitalSystolic.UCUMCode)},
			{Code: d2Concept(VitalDiastolic.Code), ValueQuantity: d2Quantity(v.Diastolic, VitalDiastolic.Unit, VitalDiastolic.UCUMCode)},
		}
	} else {
		o.ValueQuantity = d2Quantity(v.Value, v.Kind.Unit, v.Kind.UCUMCode)
	}
	return o
}

var d2Attender = dstu2.CodeableConcept{Coding: []dstu2.Coding{{System: "http://hl7.org/fhir/v3/ParticipationType", Code: "ATND", Display: "attender"}}, Text: "attender"}

// DSTU2Encounter renders a visit.
func (r *Record) DSTU2Encounter(e *Encounter) *dstu2.Encounter {
	enc := &dstu2.Encounter{
		ID:              e.ID,
		Identifier:      []dstu2.Identifier{{Use: "official", System: r.hospital.EncounterSystem, Value: visitNumber(e)}},
		Status:          "finished",
		Class:           dstu2.EncounterClass(e.Class),
		Type:            []dstu2.CodeableConcept{*d2Concept(e.Type)},
		Patient:         r.d2Patient(),
		Participant:     []dstu2.EncounterParticipant{{Type: []dstu2.CodeableConcept{d2Attender}, Individual: d2Practitioner(e.Practitioner)}},
		Period:          d2Period(dateTime(e.Start), dateTime(e.End)),
		Location:        []dstu2.EncounterLocation{{Location: d2Ref("Location", e.Location.ID, e.Location.Name), Status: "completed"}},
		ServiceProvider: r.d2Org(),
	}
	if e.Reason != nil {
		enc.Reason = []dstu2.CodeableConcept{*d2Concept(*e.Reason)}
	}
	return enc
}

// DSTU2Condition renders a condition.
func (r *Record) DSTU2Condition(c *Condition) *dstu2.Condition {
	cat := Code{ConditionCategory, "diagnosis", "Diagnosis", "Diagnosis"}
	if c.ProblemList {
		cat = Code{Argonaut, "problem", "Problem", "Problem"}
	}
	out := &dstu2.Condition{
		ID:                 c.ID,
		Patient:            r.d2Patient(),
		Encounter:          d2Encounter(c.Encounter),
		Asserter:           d2Practitioner(c.Asserter),
		DateRecorded:       date(c.Recorded),
		Code:               d2Concept(c.Code),
		Category:           d2Concept(cat),
		ClinicalStatus:     c.Clinical,
		VerificationStatus: dstu2.ConditionVerStatus(c.Verification),
		OnsetDateTime:      date(c.Onset),
		AbatementDateTime:  date(c.Abatement),
	}
	if s, ok := severities[c.Severity]; ok {
		out.Severity = d2Concept(s)
	}
	return out
}

var d2Criticality = map[string]dstu2.AllergyIntoleranceCriticality{"low": "CRITL", "high": "CRITH"}

// DSTU2AllergyIntolerance renders an allergy.
func (r *Record) DSTU2AllergyIntolerance(a *Allergy) *dstu2.AllergyIntolerance {
	out := &dstu2.AllergyIntolerance{
		ID:           a.ID,
		Text:         &dstu2.Narrative{Status: "generated", Div: div(a.narrative())},
		Onset:        fmt.Sprint(a.OnsetYear),
		RecordedDate: dateTime(a.Asserted),
		Recorder:     d2Practitioner(a.Recorder),
		Patient:      r.d2Patient(),
		Substance:    d2Concept(a.Substance),
		Status:       dstu2.AllergyIntoleranceStatus(a.Verification),
		Criticality:  d2Criticality[a.Criticality],
		Type:         dstu2.AllergyIntoleranceType(a.Kind),
		Category:     dstu2.AllergyIntoleranceCategory(a.Category),
		Reaction: []dstu2.AllergyIntoleranceReaction{{
			Substance:     d2Concept(a.Substance),
			Manifestation: []dstu2.CodeableConcept{*d2Concept(a.Reaction)},
			Severity:      dstu2.ReactionEventSeverity(a.Severity),
		}},
	}
	if a.Note != "" {
		out.Note = &dstu2.Annotation{Text: a.Note}
	}
	return out
}

// DSTU2MedicationOrder renders a prescription.
func (r *Record) DSTU2MedicationOrder(o *Order) *dstu2.MedicationOrder {
	m := o.Medication
	out := &dstu2.MedicationOrder{
		ID:                        o.ID,
		Text:                      &dstu2.Narrative{Status: "generated", Div: div(fmt.Sprintf("%s: %s (%s)", m.name(), m.Dosage, o.Status))},
		DateWritten:               dateTime(o.Authored),
		Status:                    dstu2.MedicationOrderStatus(o.Status),
		DateEnded:                 date(o.Ended),
		Patient:                   r.d2Patient(),
		Prescriber:                d2Practitioner(o.Prescriber),
		Encounter:                 d2Encounter(o.Encounter),
		MedicationCodeableConcept: d2Concept(m.Code),
		DosageInstruction: []dstu2.MedicationOrderDosageInstruction{{
			Text:         m.Dosage,
			Timing:       &dstu2.Timing{Repeat: &dstu2.TimingRepeat{Frequency: ptr(m.Frequency), Period: fhirjson.DecimalFromInt(int64(m.Period)), PeriodUnits: "d"}},
			DoseQuantity: &dstu2.SimpleQuantity{Value: fhirjson.MustDecimal(m.Dose), Unit: m.DoseUnit},
		}},
	}
	if o.Reason != nil {
		out.ReasonReference = d2Ref("Condition", o.Reason.ID, o.Reason.Code.Text)
	}
	return out
}

// DSTU2Coverage renders a coverage: DSTU2 has no payor, grouping or
// beneficiary, so the payer is the issuer, group and plan are display
// strings, and the Patients app's patient parameter is the subscriber.
func (r *Record) DSTU2Coverage(c *Coverage) *dstu2.Coverage {
	t := d2Coding(extendedHealthcare)
	return &dstu2.Coverage{
		ID:           c.ID,
		Issuer:       &dstu2.Reference{Display: c.Payer},
		Period:       d2Period(date(c.Start), date(c.End)),
		Type:         &t,
		SubscriberID: &dstu2.Identifier{System: c.MemberSys, Value: c.MemberID},
		Identifier:   []dstu2.Identifier{{System: c.MemberSys, Value: c.MemberID}},
		Group:        c.GroupDisplay,
		Plan:         c.PlanDisplay,
		Sequence:     ptr(c.Order),
		Subscriber:   r.d2Patient(),
	}
}

// DSTU2 renders the practitioner (DSTU2 keeps the role inside it).
func (p *Practitioner) DSTU2(h Hospital) *dstu2.Practitioner {
	return &dstu2.Practitioner{
		ID:         p.ID,
		Identifier: []dstu2.Identifier{{System: NPI, Value: p.NPI}},
		Active:     ptr(true),
		Name:       &dstu2.HumanName{Use: "official", Text: p.Display(), Family: []string{p.Family}, Given: []string{p.Given}, Prefix: []string{"Dr."}},
		Telecom:    []dstu2.ContactPoint{{System: "phone", Value: p.Phone, Use: "work"}},
		Gender:     dstu2.AdministrativeGender(p.Gender),
		PractitionerRole: []dstu2.PractitionerPractitionerRole{{
			ManagingOrganization: &dstu2.Reference{Display: h.Name},
			Role:                 d2Concept(Code{"http://hl7.org/fhir/practitioner-role", "doctor", "Doctor", "Doctor"}),
			Specialty:            []dstu2.CodeableConcept{*d2Concept(p.Specialty)},
			Location:             []dstu2.Reference{*d2Ref("Location", p.Location.ID, p.Location.Name)},
		}},
	}
}

// DSTU2 renders the location of hospital h.
func (l *Location) DSTU2(h Hospital) *dstu2.Location {
	return &dstu2.Location{
		ID:                   l.ID,
		Status:               "active",
		Name:                 l.Name,
		Description:          l.Description,
		Mode:                 "instance",
		Type:                 d2Concept(l.Type),
		Telecom:              []dstu2.ContactPoint{{System: "phone", Value: l.Phone, Use: "work"}},
		Address:              &dstu2.Address{Use: "work", Line: []string{"1 Hospital Plaza"}, City: "Springfield", State: "IL", PostalCode: "62701", Country: "US"},
		PhysicalType:         d2Concept(Code{"http://hl7.org/fhir/location-physical-type", l.Physical, physicalTypes[l.Physical], physicalTypes[l.Physical]}),
		ManagingOrganization: &dstu2.Reference{Display: h.Name},
	}
}

// DSTU2 renders every resource of the record (patient first; DSTU2 has no
// MedicationStatement in the Patients app's set, so statements are left
// out).
func (r *Record) DSTU2() []dstu2.Resource {
	out := []dstu2.Resource{r.DSTU2Patient()}
	for _, e := range r.Encounters {
		out = append(out, r.DSTU2Encounter(e))
	}
	for _, v := range r.Vitals {
		out = append(out, r.DSTU2Observation(v))
	}
	for _, c := range r.Conditions {
		out = append(out, r.DSTU2Condition(c))
	}
	for _, a := range r.Allergies {
		out = append(out, r.DSTU2AllergyIntolerance(a))
	}
	for _, o := range r.Orders {
		out = append(out, r.DSTU2MedicationOrder(o))
	}
	for _, c := range r.Coverages {
		out = append(out, r.DSTU2Coverage(c))
	}
	return out
}
