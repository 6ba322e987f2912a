package ehr

// schema creates the tables. Every table has a tenant column (the key of
// the tenant table) and every index starts with it, so no query can read
// another tenant's rows cheaply, let alone by mistake. A resource table
// keeps, besides the resource's JSON in each version (what reads and
// searches return), the columns its searches filter and sort on:
// normalised names and their suffixes (fhirsql.Normalize, fhirsql.Suffixes),
// codes, and dates as [start, end) ranges in Unix microseconds. Sort
// columns are NOT NULL.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS tenant (
		id INTEGER PRIMARY KEY,
		guid TEXT NOT NULL UNIQUE,
		patients INTEGER NOT NULL,
		seeded_at TEXT NOT NULL)`,

	`CREATE TABLE IF NOT EXISTS patient (
		tenant INTEGER NOT NULL, id TEXT NOT NULL,
		family_sort TEXT NOT NULL, given_sort TEXT NOT NULL,
		gender TEXT NOT NULL, gender_text TEXT NOT NULL,
		birth_start INTEGER NOT NULL, birth_end INTEGER NOT NULL,
		mrn_system TEXT NOT NULL, mrn TEXT NOT NULL, mrn_text TEXT NOT NULL,
		stu3 BLOB NOT NULL, dstu2 BLOB NOT NULL,
		PRIMARY KEY (tenant, id))`,
	`CREATE INDEX IF NOT EXISTS patient_mrn ON patient (tenant, mrn)`,
	`CREATE INDEX IF NOT EXISTS patient_birth ON patient (tenant, birth_start)`,
	`CREATE INDEX IF NOT EXISTS patient_gender ON patient (tenant, gender, family_sort, given_sort, id)`,
	`CREATE INDEX IF NOT EXISTS patient_order ON patient (tenant, family_sort, given_sort, id)`,
	// One row per name part (family, given, prefix) of a patient.
	`CREATE TABLE IF NOT EXISTS patient_name (
		tenant INTEGER NOT NULL, patient TEXT NOT NULL, part TEXT NOT NULL,
		value TEXT NOT NULL, norm TEXT NOT NULL)`,
	`CREATE INDEX IF NOT EXISTS patient_name_norm ON patient_name (tenant, part, norm)`,
	`CREATE INDEX IF NOT EXISTS patient_name_value ON patient_name (tenant, part, value)`,
	// One row per distinct suffix of a patient's normalised name parts:
	// :contains is a range on it.
	`CREATE TABLE IF NOT EXISTS patient_name_suffix (
		tenant INTEGER NOT NULL, part TEXT NOT NULL, suffix TEXT NOT NULL, patient TEXT NOT NULL,
		PRIMARY KEY (tenant, part, suffix, patient)) WITHOUT ROWID`,

	`CREATE TABLE IF NOT EXISTS observation (
		tenant INTEGER NOT NULL, id TEXT NOT NULL, patient TEXT NOT NULL,
		category_system TEXT NOT NULL, category TEXT NOT NULL, category_text TEXT NOT NULL,
		code_system TEXT NOT NULL, code TEXT NOT NULL, code_text TEXT NOT NULL,
		status TEXT NOT NULL,
		date_start INTEGER NOT NULL, date_end INTEGER NOT NULL,
		stu3 BLOB NOT NULL, dstu2 BLOB NOT NULL,
		PRIMARY KEY (tenant, id))`,
	`CREATE INDEX IF NOT EXISTS observation_patient ON observation (tenant, patient, category, date_end, id)`,

	`CREATE TABLE IF NOT EXISTS encounter (
		tenant INTEGER NOT NULL, id TEXT NOT NULL, patient TEXT NOT NULL,
		status TEXT NOT NULL, type_system TEXT NOT NULL, type TEXT NOT NULL, type_text TEXT NOT NULL,
		date_start INTEGER NOT NULL, date_end INTEGER NOT NULL,
		stu3 BLOB NOT NULL, dstu2 BLOB NOT NULL,
		PRIMARY KEY (tenant, id))`,
	`CREATE INDEX IF NOT EXISTS encounter_patient ON encounter (tenant, patient, date_end, id)`,

	// Condition categories differ by version (STU3 problem-list-item,
	// DSTU2 Argonaut problem): one column pair each.
	`CREATE TABLE IF NOT EXISTS condition (
		tenant INTEGER NOT NULL, id TEXT NOT NULL, patient TEXT NOT NULL,
		clinical_status TEXT NOT NULL,
		category3_system TEXT NOT NULL, category3 TEXT NOT NULL,
		category2_system TEXT NOT NULL, category2 TEXT NOT NULL,
		onset_start INTEGER NOT NULL, onset_end INTEGER NOT NULL, recorded INTEGER NOT NULL,
		stu3 BLOB NOT NULL, dstu2 BLOB NOT NULL,
		PRIMARY KEY (tenant, id))`,
	`CREATE INDEX IF NOT EXISTS condition_patient ON condition (tenant, patient, recorded, id)`,

	`CREATE TABLE IF NOT EXISTS allergy (
		tenant INTEGER NOT NULL, id TEXT NOT NULL, patient TEXT NOT NULL, asserted INTEGER NOT NULL,
		stu3 BLOB NOT NULL, dstu2 BLOB NOT NULL,
		PRIMARY KEY (tenant, id))`,
	`CREATE INDEX IF NOT EXISTS allergy_patient ON allergy (tenant, patient, asserted, id)`,

	// STU3 MedicationRequest and DSTU2 MedicationOrder.
	`CREATE TABLE IF NOT EXISTS medication_request (
		tenant INTEGER NOT NULL, id TEXT NOT NULL, patient TEXT NOT NULL,
		status TEXT NOT NULL, authored INTEGER NOT NULL,
		stu3 BLOB NOT NULL, dstu2 BLOB NOT NULL,
		PRIMARY KEY (tenant, id))`,
	`CREATE INDEX IF NOT EXISTS medication_request_patient ON medication_request (tenant, patient, authored, id)`,

	// STU3 only.
	`CREATE TABLE IF NOT EXISTS medication_statement (
		tenant INTEGER NOT NULL, id TEXT NOT NULL, patient TEXT NOT NULL,
		status TEXT NOT NULL, asserted INTEGER NOT NULL,
		stu3 BLOB NOT NULL,
		PRIMARY KEY (tenant, id))`,
	`CREATE INDEX IF NOT EXISTS medication_statement_patient ON medication_statement (tenant, patient, asserted, id)`,

	`CREATE TABLE IF NOT EXISTS coverage (
		tenant INTEGER NOT NULL, id TEXT NOT NULL, patient TEXT NOT NULL,
		identifier_system TEXT NOT NULL, identifier TEXT NOT NULL,
		type_system TEXT NOT NULL, type TEXT NOT NULL,
		period_start INTEGER NOT NULL,
		stu3 BLOB NOT NULL, dstu2 BLOB NOT NULL,
		PRIMARY KEY (tenant, id))`,
	`CREATE INDEX IF NOT EXISTS coverage_patient ON coverage (tenant, patient, period_start, id)`,

	`CREATE TABLE IF NOT EXISTS location (
		tenant INTEGER NOT NULL, id TEXT NOT NULL, stu3 BLOB NOT NULL, dstu2 BLOB NOT NULL,
		PRIMARY KEY (tenant, id))`,
	`CREATE TABLE IF NOT EXISTS practitioner (
		tenant INTEGER NOT NULL, id TEXT NOT NULL, stu3 BLOB NOT NULL, dstu2 BLOB NOT NULL,
		PRIMARY KEY (tenant, id))`,
}
