package population

// The vocabulary of the population. Names and places are invented or
// common; codes are real LOINC, SNOMED CT, RxNorm, NDF-RT and HL7 codes.

// Code systems.
const (
	LOINC               = "http://loinc.org"
	SNOMED              = "http://snomed.info/sct"
	RxNorm              = "http://www.nlm.nih.gov/research/umls/rxnorm"
	NDFRT               = "http://rxnav.nlm.nih.gov/REST/Ndfrt"
	UCUM                = "http://unitsofmeasure.org"
	NPI                 = "http://hl7.org/fhir/sid/us-npi"
	IdentifierType      = "http://hl7.org/fhir/v2/0203"
	ActCode             = "http://hl7.org/fhir/v3/ActCode"
	ObservationCategory = "http://hl7.org/fhir/observation-category"
	ConditionCategory   = "http://hl7.org/fhir/condition-category"
	Argonaut            = "http://argonaut.hl7.org"
)

// Code is a coded concept: system, code, display and the text shown.
type Code struct {
	// System, Code and Display are the coding; Text is the text shown
	// (the concept's text). A text-only concept has no Code.
	System, Code, Display, Text string
}

// families are the family names drawn at random. Designated patients use
// designatedFamilies, none of which shares its inner part with these (a
// test checks it), so the conformance kit's substring searches find them.
var families = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
	"Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
	"Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
	"Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
	"Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
	"Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
	"Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler", "Henderson", "Barnes",
	"Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan", "Patterson", "Alexander", "Hamilton", "Graham",
	"Reynolds", "Griffin", "Wallace", "Moreno", "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson",
	"Ellis", "Tran", "Medina", "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens",
	"Harrison", "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry", "Chen",
	"Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson", "Porter", "Hunter",
	"Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon", "Munoz", "Hunt", "Hicks",
	"Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd", "Rose", "Stone", "Salazar", "Fox",
	"Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza", "Daniels", "Ferguson", "Nichols", "Stephens",
	"Soto", "Weaver", "Ryan", "Gardner", "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins",
	"Okafor", "Adeyemi", "Mensah", "Kowalski", "Nowak", "Novak", "Horvat", "Müller", "Schneider", "Fischer",
	"Weber", "Becker", "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Dubois", "Durand", "Lefebvre",
	"Moreau", "Laurent", "Jansen", "Visser", "Bakker", "Larsen", "Hansen", "Johansson", "Lindqvist", "Virtanen",
	"Ivanova", "Petrov", "Popescu", "Nagy", "Yilmaz", "Kaya", "Haddad", "Khalil", "Cohen", "Levi",
	"Sato", "Suzuki", "Tanaka", "Watanabe", "Wang", "Li", "Zhang", "Liu", "Huang", "Zhao",
	"Singh", "Kumar", "Sharma", "Gupta", "Das", "Rahman", "Hossain", "Santos", "Oliveira", "Pereira",
}

var givenMale = []string{
	"James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Charles",
	"Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew", "Joshua",
	"Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan",
	"Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
	"Benjamin", "Samuel", "Gregory", "Alexander", "Frank", "Patrick", "Raymond", "Jack", "Dennis", "Jerry",
	"Tyler", "Aaron", "Jose", "Adam", "Nathan", "Henry", "Douglas", "Zachary", "Peter", "Kyle",
	"Noah", "Ethan", "Jeremy", "Walter", "Christian", "Keith", "Roger", "Terry", "Austin", "Sean",
	"Hugh", "Carlos", "Luis", "Ahmed", "Omar", "Wei", "Hiroshi", "Raj", "Chinedu", "Mateo",
}

var givenFemale = []string{
	"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
	"Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
	"Carol", "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia",
	"Kathleen", "Amy", "Angela", "Shirley", "Anna", "Brenda", "Pamela", "Emma", "Nicole", "Helen",
	"Samantha", "Katherine", "Christine", "Debra", "Rachel", "Carolyn", "Janet", "Catherine", "Maria", "Heather",
	"Diane", "Ruth", "Julie", "Olivia", "Joyce", "Virginia", "Victoria", "Kelly", "Lauren", "Christina",
	"Joan", "Evelyn", "Judith", "Megan", "Andrea", "Cheryl", "Hannah", "Jacqueline", "Martha", "Gloria",
	"Sofia", "Camila", "Aisha", "Fatima", "Mei", "Yuki", "Priya", "Ngozi", "Ines", "Ingrid",
}

// designated are the names of the designated patients: one per tenant,
// chosen by the tenant's seed.
var designated = []struct{ family, given, gender string }{
	{"Thistlewood", "Philippa", "female"},
	{"Nakagawa", "Thaddeus", "male"},
	{"Quennell", "Marisol", "female"},
	{"Abernathy", "Ignatius", "male"},
	{"Zabrowski", "Wilhelmina", "female"},
	{"Delacroix", "Evander", "male"},
	{"Villanueva", "Rosalind", "female"},
	{"Haverbrook", "Cosimo", "male"},
	{"Okonkwo", "Anneliese", "female"},
	{"Marchetti", "Bartholomew", "male"},
}

// hospitals are the tenants' organisations.
var hospitals = []struct{ name, slug string }{
	{"Northwind Regional Medical Center", "northwind"},
	{"Contoso General Hospital", "contoso"},
	{"Fabrikam Community Health", "fabrikam"},
	{"Tailspin Valley Hospital", "tailspin"},
	{"Woodgrove Medical Center", "woodgrove"},
	{"Adventure Works Health", "adventureworks"},
	{"Wingtip Memorial Hospital", "wingtip"},
	{"Proseware Health Partners", "proseware"},
}

var streets = []string{"Maple Avenue", "Oak Street", "Cedar Lane", "Harbour View Road", "Elm Street", "Pine Road",
	"Main Street", "Church Street", "Orchard Lane", "Lakeview Drive", "Hillcrest Road", "River Road", "Park Avenue", "Mill Lane"}

var cities = []struct{ city, state, postal string }{
	{"Springfield", "IL", "627"}, {"Chatham", "IL", "626"}, {"Riverton", "IL", "625"}, {"Decatur", "IL", "625"},
	{"Peoria", "IL", "616"}, {"Bloomington", "IL", "617"}, {"Champaign", "IL", "618"}, {"Jacksonville", "IL", "626"},
}

// specialty is a practitioner's specialty and the place they work.
type specialty struct {
	code, display string // SNOMED CT
	location      int    // index in locationTemplates
}

var specialties = []specialty{
	{"419772000", "Family practice", 0},
	{"419192003", "Internal medicine", 1},
	{"418960008", "Otolaryngology", 2},
	{"773568002", "Emergency medicine", 3},
	{"394537008", "Pediatric specialty", 4},
	{"394579002", "Cardiology", 5},
	{"394801008", "Trauma and orthopedics", 6},
	{"394585009", "Obstetrics and gynecology", 7},
	{"394582007", "Dermatology", 8},
	{"419192003", "Internal medicine", 9},
}

// locationTemplate is a place of every tenant's hospital.
type locationTemplate struct {
	id, name, description string
	role                  Code // v3 RoleCode type, may be empty
	physical              string
}

var locationTemplates = []locationTemplate{
	{"loc-fam", "Family Medicine Clinic", "Family medicine outpatient clinic, building A, ground floor", Code{"http://hl7.org/fhir/v3/RoleCode", "PC", "primary care clinic", "Primary care clinic"}, "ro"},
	{"loc-gim", "Internal Medicine Clinic", "General internal medicine outpatient clinic, building A, 1st floor", Code{"http://hl7.org/fhir/v3/RoleCode", "GIM", "General internal medicine clinic", "General internal medicine clinic"}, "ro"},
	{"loc-ent", "Clinic - ENT", "Ear, nose and throat outpatient clinic, building A, 2nd floor", Code{"http://hl7.org/fhir/v3/RoleCode", "ENT", "Otorhinolaryngology clinic", "Otorhinolaryngology clinic"}, "ro"},
	{"loc-er", "Emergency Department", "Emergency department, building C, ground floor", Code{"http://hl7.org/fhir/v3/RoleCode", "ER", "Emergency room", "Emergency room"}, "wa"},
	{"loc-peds", "Pediatrics Clinic", "Pediatric outpatient clinic, building D, 1st floor", Code{"http://hl7.org/fhir/v3/RoleCode", "PEDC", "Pediatrics clinic", "Pediatrics clinic"}, "ro"},
	{"loc-card", "Cardiology Clinic", "Cardiology outpatient clinic, building B, 3rd floor", Code{"http://hl7.org/fhir/v3/RoleCode", "CARD", "Ambulatory Health Care Facilities; Clinic/Center; Rehabilitation: Cardiac Facilities", "Cardiology clinic"}, "ro"},
	{"loc-ortho", "Orthopedics Clinic", "Orthopedic outpatient clinic, building B, 2nd floor", Code{"http://hl7.org/fhir/v3/RoleCode", "ORTHO", "Orthopedics clinic", "Orthopedics clinic"}, "ro"},
	{"loc-womens", "Women's Health Clinic", "Obstetrics and gynecology clinic, building D, 2nd floor", Code{"http://hl7.org/fhir/v3/RoleCode", "GYN", "Gynecology clinic", "Gynecology clinic"}, "ro"},
	{"loc-derm", "Dermatology Clinic", "Dermatology outpatient clinic, building A, 3rd floor", Code{"http://hl7.org/fhir/v3/RoleCode", "DERM", "Dermatology clinic", "Dermatology clinic"}, "ro"},
	{"loc-ward", "Ward 4B - General Medicine", "Inpatient general medicine ward, building B, 4th floor", Code{"http://hl7.org/fhir/v3/RoleCode", "HU", "Hospital unit", "Hospital unit"}, "wa"},
}

// VitalKind is one kind of vital sign: its LOINC code and UCUM unit.
type VitalKind struct {
	// Key names the kind in resource ids ("bp", "hr", ...).
	Key string
	// Code is the LOINC coding, with the text shown.
	Code Code
	// Unit is the unit as shown and UCUMCode its UCUM code.
	Unit, UCUMCode string
}

// The vital signs recorded.
var (
	VitalBP        = VitalKind{"bp", Code{LOINC, "55284-4", "Blood pressure systolic and diastolic", "Blood pressure"}, "", ""}
	VitalSystolic  = VitalKind{"sys", Code{LOINC, "8480-6", "Systolic blood pressure", "Systolic blood pressure"}, "mmHg", "mm[Hg]"}
	VitalDiastolic = VitalKind{"dia", Code{LOINC, "8462-4", "Diastolic blood pressure", "Diastolic blood pressure"}, "mmHg", "mm[Hg]"}
	VitalHR        = VitalKind{"hr", Code{LOINC, "8867-4", "Heart rate", "Heart rate"}, "beats/minute", "/min"}
	VitalRR        = VitalKind{"rr", Code{LOINC, "9279-1", "Respiratory rate", "Respiratory rate"}, "breaths/minute", "/min"}
	VitalTemp      = VitalKind{"temp", Code{LOINC, "8310-5", "Body temperature", "Body temperature"}, "C", "Cel"}
	VitalWeight    = VitalKind{"weight", Code{LOINC, "29463-7", "Body weight", "Body weight"}, "kg", "kg"}
	VitalHeight    = VitalKind{"height", Code{LOINC, "8302-2", "Body height", "Body height"}, "cm", "cm"}
	VitalBMI       = VitalKind{"bmi", Code{LOINC, "39156-5", "Body mass index (BMI) [Ratio]", "BMI"}, "kg/m2", "kg/m2"}
	VitalSpO2      = VitalKind{"spo2", Code{LOINC, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "SpO2"}, "%", "%"}
)

// VitalKinds lists the vital signs, BP first.
var VitalKinds = []VitalKind{VitalBP, VitalHR, VitalRR, VitalTemp, VitalWeight, VitalHeight, VitalBMI, VitalSpO2}

// encounterType is a kind of visit.
type encounterType struct {
	code                 Code
	class                string // DSTU2 Encounter.class: outpatient, inpatient, emergency
	minutes, maxMinutes  int
	location             int // -1: the practitioner's own
	allVitals, vitalsPct int
}

var (
	visitCheckUp   = encounterType{Code{SNOMED, "185349003", "Encounter for check up", "Annual check-up"}, "outpatient", 20, 45, -1, 100, 100}
	visitFollowUp  = encounterType{Code{SNOMED, "185389009", "Follow-up visit", "Follow-up visit"}, "outpatient", 15, 30, -1, 0, 100}
	visitProblem   = encounterType{Code{SNOMED, "185347001", "Encounter for problem", "Problem visit"}, "outpatient", 15, 40, -1, 0, 90}
	visitEmergency = encounterType{Code{SNOMED, "50849002", "Emergency room admission", "Emergency visit"}, "emergency", 120, 420, 3, 100, 100}
	visitInpatient = encounterType{Code{SNOMED, "32485007", "Hospital admission", "Inpatient admission"}, "inpatient", 2 * 24 * 60, 6 * 24 * 60, 9, 100, 100}
)

// encounterClasses maps a DSTU2 class to the STU3 v3 ActCode coding.
var encounterClasses = map[string]Code{
	"outpatient": {ActCode, "AMB", "ambulatory", ""},
	"inpatient":  {ActCode, "IMP", "inpatient encounter", ""},
	"emergency":  {ActCode, "EMER", "emergency", ""},
}

// problem is a condition and what is prescribed for it.
type problem struct {
	code        Code
	chronic     bool // stays active; otherwise resolved after some weeks
	minAge      int
	pct         int // chance in percent for a patient old enough
	medications []Medication
}

// Medication is a drug as prescribed: its RxNorm coding (Code.Code empty
// for a text-only medication) and the dosage.
type Medication struct {
	// Code is the RxNorm coding and the text shown.
	Code Code
	// Dosage is the instruction as written.
	Dosage string
	// Frequency times per Period days.
	Frequency, Period int
	// Dose and DoseUnit are one dose.
	Dose, DoseUnit string
}

var (
	medLisinopril   = Medication{Code{RxNorm, "314077", "Lisinopril 20 MG Oral Tablet", "Lisinopril 20 mg tablet"}, "1 tablet by mouth once daily", 1, 1, "1", "tablet"}
	medAmlodipine   = Medication{Code{RxNorm, "197361", "Amlodipine 5 MG Oral Tablet", "Amlodipine 5 mg tablet"}, "1 tablet by mouth once daily", 1, 1, "1", "tablet"}
	medHCTZ         = Medication{Code{RxNorm, "310798", "Hydrochlorothiazide 25 MG Oral Tablet", "Hydrochlorothiazide 25 mg tablet"}, "1 tablet by mouth every morning", 1, 1, "1", "tablet"}
	medMetformin    = Medication{Code{RxNorm, "861007", "Metformin hydrochloride 500 MG Oral Tablet", "Metformin 500 mg tablet"}, "1 tablet by mouth twice daily with meals", 2, 1, "1", "tablet"}
	medGabapentin   = Medication{Code{RxNorm, "310431", "Gabapentin 300 MG Oral Capsule", "Gabapentin 300 mg capsule"}, "1 capsule by mouth three times daily", 3, 1, "1", "capsule"}
	medAzithromycin = Medication{Code{RxNorm, "141962", "Azithromycin 250 MG Oral Tablet", "Azithromycin 250 mg tablet"}, "2 tablets on day 1, then 1 tablet daily for 4 days", 1, 1, "1", "tablet"}
	medAlbuterol    = Medication{Code{RxNorm, "745679", "200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", "Albuterol inhaler"}, "2 puffs every 4 to 6 hours as needed for wheezing", 6, 1, "2", "puff"}
	medWarfarin     = Medication{Code{RxNorm, "855332", "Warfarin Sodium 5 MG Oral Tablet", "Warfarin 5 mg tablet"}, "1 tablet by mouth once daily in the evening; dose per INR", 1, 1, "1", "tablet"}
	medAtorvastatin = Medication{Code{RxNorm, "259255", "Atorvastatin 80 MG Oral Tablet", "Atorvastatin 80 mg tablet"}, "1 tablet by mouth at bedtime", 1, 1, "1", "tablet"}
	medSimvastatin  = Medication{Code{RxNorm, "312961", "Simvastatin 20 MG Oral Tablet", "Simvastatin 20 mg tablet"}, "1 tablet by mouth at bedtime", 1, 1, "1", "tablet"}
	medLevothyrox   = Medication{Code{RxNorm, "966222", "Levothyroxine Sodium 0.075 MG Oral Tablet", "Levothyroxine 75 mcg tablet"}, "1 tablet by mouth every morning before breakfast", 1, 1, "1", "tablet"}
	medSertraline   = Medication{Code{RxNorm, "312938", "Sertraline 100 MG Oral Tablet", "Sertraline 100 mg tablet"}, "1 tablet by mouth once daily", 1, 1, "1", "tablet"}
	medIbuprofen    = Medication{Code{RxNorm, "310965", "Ibuprofen 200 MG Oral Tablet", "Ibuprofen 200 mg tablet"}, "1 to 2 tablets by mouth every 6 hours as needed for pain", 4, 1, "1", "tablet"}
	medAcetaminoph  = Medication{Code{RxNorm, "313782", "Acetaminophen 325 MG Oral Tablet", "Acetaminophen 325 mg tablet"}, "2 tablets by mouth every 6 hours as needed for pain", 4, 1, "2", "tablet"}
	medAmoxicillin  = Medication{Code{RxNorm, "308192", "Amoxicillin 500 MG Oral Capsule", "Amoxicillin 500 mg capsule"}, "1 capsule by mouth three times daily for 10 days", 3, 1, "1", "capsule"}
	medCetirizine   = Medication{Code{"", "", "", "Cetirizine 10 mg tablet"}, "1 tablet by mouth once daily during pollen season", 1, 1, "1", "tablet"}
	medPrednisone   = Medication{Code{"", "", "", "Prednisone 40 mg daily for 5 days"}, "40 mg by mouth once daily for 5 days", 1, 1, "40", "mg"}
	medAspirin      = Medication{Code{RxNorm, "243670", "Aspirin 81 MG Oral Tablet", "Low-dose aspirin"}, "1 tablet by mouth daily", 1, 1, "1", "tablet"}
)

var problems = []problem{
	{Code{SNOMED, "59621000", "Essential hypertension", "Hypertension"}, true, 30, 30, []Medication{medLisinopril, medAmlodipine, medHCTZ}},
	{Code{SNOMED, "44054006", "Diabetes mellitus type 2", "Type 2 diabetes"}, true, 35, 12, []Medication{medMetformin}},
	{Code{SNOMED, "55822004", "Hyperlipidemia", "High cholesterol"}, true, 35, 25, []Medication{medAtorvastatin, medSimvastatin}},
	{Code{SNOMED, "195967001", "Asthma", "Asthma"}, true, 0, 8, []Medication{medAlbuterol}},
	{Code{SNOMED, "40930008", "Hypothyroidism", "Underactive thyroid"}, true, 20, 6, []Medication{medLevothyrox}},
	{Code{SNOMED, "35489007", "Depressive disorder", "Depression"}, true, 16, 8, []Medication{medSertraline}},
	{Code{SNOMED, "49436004", "Atrial fibrillation", "Atrial fibrillation"}, true, 55, 6, []Medication{medWarfarin}},
	{Code{SNOMED, "239873007", "Osteoarthritis of knee", "Knee osteoarthritis"}, true, 45, 12, []Medication{medAcetaminoph, medIbuprofen}},
	{Code{SNOMED, "433144002", "Chronic kidney disease stage 3", "CKD stage 3"}, true, 50, 4, nil},
	{Code{SNOMED, "37796009", "Migraine", "Migraine"}, true, 12, 6, []Medication{medIbuprofen}},
	{Code{SNOMED, "367498001", "Seasonal allergic rhinitis", "Hay fever"}, true, 5, 10, []Medication{medCetirizine}},
	{Code{SNOMED, "386033004", "Neuropathy (nerve damage)", "Diabetic neuropathy"}, true, 45, 3, []Medication{medGabapentin}},
	{Code{SNOMED, "10509002", "Acute bronchitis", "Acute bronchitis"}, false, 0, 10, []Medication{medAzithromycin}},
	{Code{SNOMED, "65363002", "Otitis media", "Ear infection"}, false, 0, 5, []Medication{medAmoxicillin}},
	{Code{SNOMED, "185903001", "Needs influenza immunization", "Needs flu shot"}, false, 50, 5, nil},
}

// allergen is a substance a patient reacts to.
type allergen struct {
	code        Code
	category    string // food, medication, environment
	kind        string // allergy, intolerance
	reaction    Code   // SNOMED CT manifestation
	severity    string
	criticality string
}

var allergens = []allergen{
	{Code{NDFRT, "N0000175503", "sulfonamide antibacterial", "Sulfonamide antibiotics"}, "medication", "allergy", Code{SNOMED, "271807003", "skin rash", "skin rash"}, "mild", "high"},
	{Code{RxNorm, "7980", "Penicillin G", "Penicillin"}, "medication", "allergy", Code{SNOMED, "126485001", "Urticaria", "Hives"}, "moderate", "high"},
	{Code{RxNorm, "723", "Amoxicillin", "Amoxicillin"}, "medication", "intolerance", Code{SNOMED, "62315008", "Diarrhea", "Diarrhoea"}, "mild", "low"},
	{Code{RxNorm, "1191", "Aspirin", "Aspirin"}, "medication", "allergy", Code{SNOMED, "267036007", "Dyspnea", "Shortness of breath"}, "moderate", "high"},
	{Code{SNOMED, "256349002", "Peanut - dietary", "Peanuts"}, "food", "allergy", Code{SNOMED, "39579001", "Anaphylaxis", "Anaphylaxis"}, "severe", "high"},
	{Code{SNOMED, "227493005", "Cashew nut", "Cashews"}, "food", "allergy", Code{SNOMED, "418290006", "Itching", "Itching"}, "mild", "low"},
	{Code{SNOMED, "102263004", "Eggs (edible)", "Eggs"}, "food", "allergy", Code{SNOMED, "271807003", "skin rash", "skin rash"}, "mild", "low"},
	{Code{SNOMED, "260152009", "Cat dander", "Cat dander"}, "environment", "allergy", Code{SNOMED, "76067001", "Sneezing", "Sneezing"}, "mild", "low"},
	{Code{SNOMED, "111088007", "Latex", "Latex"}, "environment", "allergy", Code{SNOMED, "126485001", "Urticaria", "Hives"}, "moderate", "high"},
	{Code{SNOMED, "256277009", "Grass pollen", "Grass pollen"}, "environment", "allergy", Code{SNOMED, "76067001", "Sneezing", "Sneezing"}, "mild", "low"},
}

// plan is a health plan a patient is covered by.
type plan struct {
	payer               string
	group, groupDisplay string
	plan, planDisplay   string
	memberPrefix        string
	minAge, maxAge      int
}

var plans = []plan{
	{"Contoso Health Insurance", "GRP-1001", "Contoso Employer Group", "PLN-GOLD", "Contoso Gold PPO", "CON", 0, 64},
	{"Contoso Health Insurance", "GRP-2002", "Contoso Family Group", "PLN-SILVER", "Contoso Silver HMO", "CON", 0, 64},
	{"Fabrikam Medicare Advantage", "GRP-7100", "Fabrikam Retiree Group", "PLN-MA-PPO", "Fabrikam Medicare Advantage PPO", "FAB", 65, 120},
	{"Fabrikam Medicare Advantage", "GRP-7100", "Fabrikam Retiree Group", "PLN-MA-HMO", "Fabrikam Medicare Advantage HMO", "FAB", 65, 120},
	{"Northwind Mutual", "GRP-3300", "Northwind Small Business Group", "PLN-BRONZE", "Northwind Bronze EPO", "NWM", 18, 64},
	{"State Medicaid Program", "GRP-MCD", "Medicaid", "PLN-MCD", "State Medicaid Managed Care", "MCD", 0, 120},
}
