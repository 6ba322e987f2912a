package stu3mem

import (
	"context"

	"github.com/patientsfhir/patientsfhir/internal/memehr"
	"github.com/patientsfhir/patientsfhir/stu3"
)

// MedicationStatement exists in STU3 only; the rest of this package is
// also generated into dstu2mem (see internal/versiongen).

var _ stu3.MedicationStatementSearcher = (*Backend)(nil)

// typed lists the types with a typed interface; the others are generic.
var typed = []string{"Patient", "Observation", "Condition", "Encounter", "AllergyIntolerance",
	"MedicationRequest", "MedicationStatement", "Coverage", "Location", "Practitioner"}

// ReadMedicationStatement implements stu3.MedicationStatementReader.
func (b *Backend) ReadMedicationStatement(ctx context.Context, id string) (*stu3.MedicationStatement, error) {
	return memehr.ReadAs[*stu3.MedicationStatement](ctx, b.s, "MedicationStatement", id)
}

// SearchMedicationStatements implements stu3.MedicationStatementSearcher.
func (b *Backend) SearchMedicationStatements(ctx context.Context, q stu3.MedicationStatementQuery) (stu3.Page[*stu3.MedicationStatement], error) {
	return memehr.SearchAs[*stu3.MedicationStatement](ctx, b.s, "MedicationStatement", stu3.MedicationStatementParams, q.Search)
}
