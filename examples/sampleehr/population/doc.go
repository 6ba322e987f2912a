// Package population generates a deterministic synthetic population per
// tenant for the sample EHR (examples/sampleehr) and its benchmarks: N
// patients with what the Microsoft Teams Patients app shows (names, birth
// dates, genders, MR identifiers, a general practitioner; vital-sign series
// over years with LOINC codes and UCUM units; SNOMED CT conditions;
// encounters with locations and practitioners; allergies; RxNorm
// prescriptions and medication statements; coverage), rendered as DSTU2
// and STU3 resources of packages dstu2 and stu3.
//
// Everything is seeded by the tenant id: the same tenant always gets the
// same population, and patient i is generated on its own (Patient(i)), so
// a population of 100,000 patients streams in constant memory. Patient
// ids are "pat-1" ... "pat-N" in every tenant. The first patient is the
// tenant's designated patient (Designated): it has every kind of record,
// and a family and given name that no other patient's name contains, so
// that searches for it (what the conformance kits send) find it alone.
package population
