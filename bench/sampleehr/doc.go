// Package sampleehr measures the sample EHR (examples/sampleehr/ehr) at two
// population sizes: the seeding rate, and p50/p99 of each search the
// Microsoft Teams Patients app sends (Patient by family contains, by given
// and family, by identifier with and without a system, by birth date and
// family; a Patient read; vitals newest first and their next page; each
// clinical search), measured at the backend (SQL and decoding, without
// HTTP), the sizes interleaved query by query. Search latency must grow at
// most logarithmically with the population: the summary printed at the end
// gives, per search, the ratio of its p50 at the large size to its p50 at
// 1,000 patients.
//
// The default run seeds 1,000 patients only (a few seconds):
//
//	cd bench && go test -run '^$' -bench . ./sampleehr
//
// Add the 100,000-patient population (about 2.5 million resources, a few
// GB of disk and minutes of seeding) with
//
//	cd bench && SAMPLEEHR_LARGE=1 go test -run '^$' -bench . -timeout 60m ./sampleehr
//
// SAMPLEEHR_LARGE=N seeds N patients instead of 100,000, and
// SAMPLEEHR_DIR=DIR keeps the databases in DIR and reuses them on the next
// run (the seeding benchmark then seeds a fresh 1,000 only). Only ratios are
// meaningful: the machine is shared and absolute times drift.
package sampleehr
