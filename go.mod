module github.com/patientsfhir/patientsfhir

go 1.26
