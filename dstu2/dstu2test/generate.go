package dstu2test

// This package is generated from stu3/stu3test; edit that and run go
// generate.
//go:generate go run ../../internal/versiongen
