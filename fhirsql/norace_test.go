//go:build !race

package fhirsql_test

// oracleQueries is the number of random searches the oracle tests run: fewer
// under the race detector, which slows them tenfold.
const oracleQueries = 300
