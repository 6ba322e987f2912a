// Package kit is the version-neutral core of the conformance kits
// (dstu2/dstu2test and stu3/stu3test): the catalogue of every request the
// Microsoft Teams Patients app sends (request lines D0-D9 and S0-S9 of the
// interface specification, with every variant the app may use) as data,
// and the driver that sends each request to a real http.Handler and checks
// the response against the contract: status, Bundle.total, _count, newest
// first, the required elements, display on displayed references, patient
// scoping, resource types, batch order, every advertised search parameter,
// and validity (a version hook runs the models' Validate, an optional hook
// the official JSON schema).
package kit
