package population

import (
	"fmt"
	"html"
	"time"

	"github.com/patientsfhir/patientsfhir/fhirjson"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// The STU3 (3.0.1) rendering of every part of a record. Every resource
// passes its Validate method and the official JSON schema (tested).

// dateTime writes a FHIR dateTime/instant to the second with its offset.
func dateTime(t time.Time) string { return t.Format(time.RFC3339) }

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func div(text string) string {
	return `<div xmlns="http://www.w3.org/1999/xhtml">` + html.EscapeString(text) + `</div>`
}

func ptr[T any](v T) *T { return &v }

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func s3Coding(c Code) stu3.Coding {
	return stu3.Coding{System: c.System, Code: c.Code, Display: c.Display}
}

// s3Concept is c as a CodeableConcept; a code without system is text only.
func s3Concept(c Code) *stu3.CodeableConcept {
	cc := &stu3.CodeableConcept{Text: c.Text}
	if c.Code != "" {
		cc.Coding = []stu3.Coding{s3Coding(c)}
	}
	if cc.Text == "" {
		cc.Text = c.Display
	}
	return cc
}

func s3Ref(typ, id, display string) *stu3.Reference {
	return &stu3.Reference{Reference: typ + "/" + id, Display: display}
}

func (r *Record) s3Patient() *stu3.Reference {
	return s3Ref("Patient", r.Patient.ID, r.Patient.Display())
}

func s3Practitioner(p *Practitioner) *stu3.Reference {
	if p == nil {
		return nil
	}
	return s3Ref("Practitioner", p.ID, p.Display())
}

func s3Encounter(e *Encounter) *stu3.Reference {
	if e == nil {
		return nil
	}
	return s3Ref("Encounter", e.ID, e.Type.Text+" on "+date(e.Start))
}

func (r *Record) s3Org() *stu3.Reference { return &stu3.Reference{Display: r.hospital.Name} }

func s3Quantity(value, unit, ucum string) *stu3.Quantity {
	return &stu3.Quantity{Value: fhirjson.MustDecimal(value), Unit: unit, System: UCUM, Code: ucum}
}

func s3Period(start, end string) *stu3.Period {
	if start == "" && end == "" {
		return nil
	}
	return &stu3.Period{Start: start, End: end}
}

// STU3Patient renders the patient.
func (r *Record) STU3Patient() *stu3.Patient {
	p := &r.Patient
	pt := &stu3.Patient{
		ID:   p.ID,
		Text: &stu3.Narrative{Status: "generated", Div: div(fmt.Sprintf("%s, %s, born %s, MRN %s", p.Display(), p.Gender, p.BirthDateString(), p.MRN))},
		Identifier: []stu3.Identifier{{
			Use:      "usual",
			Type:     &stu3.CodeableConcept{Coding: []stu3.Coding{{System: IdentifierType, Code: "MR", Display: "Medical record number"}}, Text: "Medical record number"},
			System:   r.hospital.MRNSystem,
			Value:    p.MRN,
			Assigner: r.s3Org(),
		}},
		Active:               ptr(true),
		Name:                 []stu3.HumanName{{Use: "official", Text: p.fullName(), Family: p.Family, Given: p.Given, Prefix: nonEmpty(p.Prefix)}},
		Telecom:              []stu3.ContactPoint{{System: "phone", Value: p.Phone, Use: "home"}},
		Gender:               stu3.AdministrativeGender(p.Gender),
		BirthDate:            p.BirthDateString(),
		Address:              []stu3.Address{{Use: "home", Line: []string{p.Line}, City: p.City, State: p.State, PostalCode: p.Postal, Country: "US"}},
		GeneralPractitioner:  []stu3.Reference{*s3Practitioner(p.GP)},
		ManagingOrganization: r.s3Org(),
	}
	if p.Email != "" {
		pt.Telecom = append(pt.Telecom, stu3.ContactPoint{System: "email", Value: p.Email, Use: "home"})
	}
	return pt
}

func (p *Patient) fullName() string {
	s := ""
	for _, part := range append(nonEmpty(p.Prefix), append(p.Given, p.Family)...) {
		if s != "" {
			s += " "
		}
		s += part
	}
	return s
}

var s3VitalSigns = stu3.CodeableConcept{Coding: []stu3.Coding{{System: ObservationCategory, Code: "vital-signs", Display: "Vital Signs"}}, Text: "Vital Signs"}

// STU3Observation renders a vital sign.
func (r *Record) STU3Observation(v *Vital) *stu3.Observation {
	o := &stu3.Observation{
		ID:                v.ID,
		Status:            "final",
		Category:          []stu3.CodeableConcept{s3VitalSigns},
		Code:              s3Concept(v.Kind.Code),
		Subject:           r.s3Patient(),
		Context:           s3Encounter(v.Encounter),
		EffectiveDateTime: dateTime(v.Time),
		Issued:            dateTime(v.Time),
		Performer:         []stu3.Reference{*s3Practitioner(v.Performer)},
	}
	if v.Kind.Key == VitalBP.Key {
		o.Component = []stu3.ObservationComponent{
			{Code: s3Concept(VitalSystolic.Code), ValueQuantity: s3Quantity(v.Systolic, VitalSystolic.Unit, VitalSystolic.UCUMCode)},
			{Code: s3Concept(VitalDiastolic.Code), ValueQuantity: s3Quantity(v.Diastolic, VitalDiastolic.Unit, VitalDiastolic.UCUMCode)},
		}
	} else {
		o.ValueQuantity = s3Quantity(v.Value, v.Kind.Unit, v.Kind.UCUMCode)
	}
	return o
}

var s3Attender = stu3.CodeableConcept{Coding: []stu3.Coding{{System: "http://hl7.org/fhir/v3/ParticipationType", Code: "ATND", Display: "attender"}}, Text: "attender"}

// STU3Encounter renders a visit.
func (r *Record) STU3Encounter(e *Encounter) *stu3.Encounter {
	class := encounterClasses[e.Class]
	enc := &stu3.Encounter{
		ID:              e.ID,
		Identifier:      []stu3.Identifier{{Use: "official", System: r.hospital.EncounterSystem, Value: visitNumber(e)}},
		Status:          "finished",
		Class:           &stu3.Coding{System: class.System, Code: class.Code, Display: class.Display},
		Type:            []stu3.CodeableConcept{*s3Concept(e.Type)},
		Subject:         r.s3Patient(),
		Participant:     []stu3.EncounterParticipant{{Type: []stu3.CodeableConcept{s3Attender}, Individual: s3Practitioner(e.Practitioner)}},
		Period:          s3Period(dateTime(e.Start), dateTime(e.End)),
		Location:        []stu3.EncounterLocation{{Location: s3Ref("Location", e.Location.ID, e.Location.Name), Status: "completed"}},
		ServiceProvider: r.s3Org(),
	}
	if e.Reason != nil {
		enc.Reason = []stu3.CodeableConcept{*s3Concept(*e.Reason)}
	}
	return enc
}

func visitNumber(e *Encounter) string { return "V" + e.Start.Format("2006") + "-" + e.ID[len("enc-"):] }

var severities = map[string]Code{
	"mild":     {SNOMED, "255604002", "Mild", "Mild"},
	"moderate": {SNOMED, "6736007", "Moderate", "Moderate"},
	"severe":   {SNOMED, "24484000", "Severe", "Severe"},
}

// STU3Condition renders a condition.
func (r *Record) STU3Condition(c *Condition) *stu3.Condition {
	cat := Code{ConditionCategory, "encounter-diagnosis", "Encounter Diagnosis", "Encounter Diagnosis"}
	if c.ProblemList {
		cat = Code{ConditionCategory, "problem-list-item", "Problem List Item", "Problem List Item"}
	}
	out := &stu3.Condition{
		ID:                 c.ID,
		ClinicalStatus:     stu3.ConditionClinical(c.Clinical),
		VerificationStatus: stu3.ConditionVerStatus(c.Verification),
		Category:           []stu3.CodeableConcept{*s3Concept(cat)},
		Code:               s3Concept(c.Code),
		Subject:            r.s3Patient(),
		Context:            s3Encounter(c.Encounter),
		OnsetDateTime:      date(c.Onset),
		AbatementDateTime:  date(c.Abatement),
		AssertedDate:       date(c.Recorded),
		Asserter:           s3Practitioner(c.Asserter),
	}
	if s, ok := severities[c.Severity]; ok {
		out.Severity = s3Concept(s)
	}
	return out
}

// STU3AllergyIntolerance renders an allergy.
func (r *Record) STU3AllergyIntolerance(a *Allergy) *stu3.AllergyIntolerance {
	out := &stu3.AllergyIntolerance{
		ID:                 a.ID,
		Text:               &stu3.Narrative{Status: "generated", Div: div(a.narrative())},
		ClinicalStatus:     "active",
		VerificationStatus: stu3.AllergyVerificationStatus(a.Verification),
		Type:               stu3.AllergyIntoleranceType(a.Kind),
		Category:           []stu3.AllergyIntoleranceCategory{stu3.AllergyIntoleranceCategory(a.Category)},
		Criticality:        stu3.AllergyIntoleranceCriticality(a.Criticality),
		Code:               s3Concept(a.Substance),
		Patient:            r.s3Patient(),
		OnsetDateTime:      fmt.Sprint(a.OnsetYear),
		AssertedDate:       dateTime(a.Asserted),
		Recorder:           s3Practitioner(a.Recorder),
		Reaction: []stu3.AllergyIntoleranceReaction{{
			Substance:     s3Concept(a.Substance),
			Manifestation: []stu3.CodeableConcept{*s3Concept(a.Reaction)},
			Severity:      stu3.ReactionEventSeverity(a.Severity),
		}},
	}
	if a.Note != "" {
		out.Note = []stu3.Annotation{{Text: a.Note}}
	}
	return out
}

func (a *Allergy) narrative() string {
	return fmt.Sprintf("%s %s (%s, %s criticality): %s", a.Substance.Text, a.Kind, a.Verification, a.Criticality, a.Reaction.Text)
}

func (m *Medication) name() string {
	if m.Code.Text != "" {
		return m.Code.Text
	}
	return m.Code.Display
}

func s3Dosage(m Medication) stu3.Dosage {
	return stu3.Dosage{
		Text:         m.Dosage,
		Timing:       &stu3.Timing{Repeat: &stu3.TimingRepeat{Frequency: ptr(m.Frequency), Period: fhirjson.DecimalFromInt(int64(m.Period)), PeriodUnit: "d"}},
		DoseQuantity: &stu3.SimpleQuantity{Value: fhirjson.MustDecimal(m.Dose), Unit: m.DoseUnit},
	}
}

// STU3MedicationRequest renders a prescription.
func (r *Record) STU3MedicationRequest(o *Order) *stu3.MedicationRequest {
	out := &stu3.MedicationRequest{
		ID:                        o.ID,
		Text:                      &stu3.Narrative{Status: "generated", Div: div(fmt.Sprintf("%s: %s (%s)", o.Medication.name(), o.Medication.Dosage, o.Status))},
		Status:                    stu3.MedicationRequestStatus(o.Status),
		Intent:                    "order",
		MedicationCodeableConcept: s3Concept(o.Medication.Code),
		Subject:                   r.s3Patient(),
		Context:                   s3Encounter(o.Encounter),
		AuthoredOn:                dateTime(o.Authored),
		Requester:                 &stu3.MedicationRequestRequester{Agent: s3Practitioner(o.Prescriber), OnBehalfOf: r.s3Org()},
		DosageInstruction:         []stu3.Dosage{s3Dosage(o.Medication)},
	}
	if o.Reason != nil {
		out.ReasonReference = []stu3.Reference{*s3Ref("Condition", o.Reason.ID, o.Reason.Code.Text)}
	}
	return out
}

// STU3MedicationStatement renders what the patient reports taking.
func (r *Record) STU3MedicationStatement(s *Statement) *stu3.MedicationStatement {
	out := &stu3.MedicationStatement{
		ID:                        s.ID,
		Status:                    stu3.MedicationStatementStatus(s.Status),
		MedicationCodeableConcept: s3Concept(s.Medication.Code),
		DateAsserted:              dateTime(s.Asserted),
		Subject:                   r.s3Patient(),
		Taken:                     "y",
		Dosage:                    []stu3.Dosage{{Text: s.Medication.Dosage}},
	}
	if s.End.IsZero() {
		out.EffectiveDateTime = date(s.Start)
	} else {
		out.EffectivePeriod = s3Period(date(s.Start), date(s.End))
	}
	if s.BasedOn != nil {
		out.BasedOn = []stu3.Reference{*s3Ref("MedicationRequest", s.BasedOn.ID, s.BasedOn.Medication.name())}
	}
	if s.FromPatient || s.BasedOn == nil {
		out.InformationSource = r.s3Patient()
	} else {
		out.InformationSource = s3Practitioner(s.BasedOn.Prescriber)
	}
	return out
}

var (
	extendedHealthcare = Code{ActCode, "EHCPOL", "extended healthcare", "extended healthcare"}
	relationshipSelf   = Code{"http://hl7.org/fhir/policyholder-relationship", "self", "Self", "Self"}
)

// STU3Coverage renders a coverage.
func (r *Record) STU3Coverage(c *Coverage) *stu3.Coverage {
	return &stu3.Coverage{
		ID:           c.ID,
		Identifier:   []stu3.Identifier{{System: c.MemberSys, Value: c.MemberID}},
		Status:       "active",
		Type:         s3Concept(extendedHealthcare),
		PolicyHolder: r.s3Patient(),
		Subscriber:   r.s3Patient(),
		SubscriberID: c.MemberID,
		Beneficiary:  r.s3Patient(),
		Relationship: s3Concept(relationshipSelf),
		Period:       s3Period(date(c.Start), date(c.End)),
		Payor:        []stu3.Reference{{Display: c.Payer}},
		Grouping:     &stu3.CoverageGrouping{Group: c.Group, GroupDisplay: c.GroupDisplay, Plan: c.Plan, PlanDisplay: c.PlanDisplay},
		Order:        ptr(c.Order),
	}
}

// STU3 renders the practitioner.
func (p *Practitioner) STU3() *stu3.Practitioner {
	return &stu3.Practitioner{
		ID:         p.ID,
		Identifier: []stu3.Identifier{{System: NPI, Value: p.NPI}},
		Active:     ptr(true),
		Name:       []stu3.HumanName{{Use: "official", Text: p.Display(), Family: p.Family, Given: []string{p.Given}, Prefix: []string{"Dr."}}},
		Telecom:    []stu3.ContactPoint{{System: "phone", Value: p.Phone, Use: "work"}},
		Gender:     stu3.AdministrativeGender(p.Gender),
	}
}

var physicalTypes = map[string]string{"ro": "Room", "wa": "Ward"}

// STU3 renders the location of hospital h.
func (l *Location) STU3(h Hospital) *stu3.Location {
	return &stu3.Location{
		ID:                   l.ID,
		Status:               "active",
		Name:                 l.Name,
		Description:          l.Description,
		Mode:                 "instance",
		Type:                 s3Concept(l.Type),
		Telecom:              []stu3.ContactPoint{{System: "phone", Value: l.Phone, Use: "work"}},
		Address:              &stu3.Address{Use: "work", Line: []string{"1 Hospital Plaza"}, City: "Springfield", State: "IL", PostalCode: "62701", Country: "US"},
		PhysicalType:         s3Concept(Code{"http://hl7.org/fhir/location-physical-type", l.Physical, physicalTypes[l.Physical], physicalTypes[l.Physical]}),
		ManagingOrganization: &stu3.Reference{Display: h.Name},
	}
}

// STU3 renders every resource of the record (patient first).
func (r *Record) STU3() []stu3.Resource {
	out := []stu3.Resource{r.STU3Patient()}
	for _, e := range r.Encounters {
		out = append(out, r.STU3Encounter(e))
	}
	for _, v := range r.Vitals {
		out = append(out, r.STU3Observation(v))
	}
	for _, c := range r.Conditions {
		out = append(out, r.STU3Condition(c))
	}
	for _, a := range r.Allergies {
		out = append(out, r.STU3AllergyIntolerance(a))
	}
	for _, o := range r.Orders {
		out = append(out, r.STU3MedicationRequest(o))
	}
	for _, s := range r.Statements {
		out = append(out, r.STU3MedicationStatement(s))
	}
	for _, c := range r.Coverages {
		out = append(out, r.STU3Coverage(c))
	}
	return out
}
