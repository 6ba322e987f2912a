module github.com/patientsfhir/patientsfhir/bench

go 1.26

replace github.com/patientsfhir/patientsfhir => ../
