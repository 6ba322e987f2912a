package main

import (
	"strings"
	"testing"
)

const sample = `goos: linux
BenchmarkTokenIssuance/impl=floor/mode=http-parallel-2         	   20000	     20000 ns/op	   20704 B/op	     173 allocs/op
BenchmarkTokenIssuance/impl=patientsfhir/mode=http-parallel-2  	   20000	     30000 ns/op	   20704 B/op	     173 allocs/op
BenchmarkTokenIssuance/impl=patientsfhir/mode=http-parallel-2  	   20000	     50000 ns/op	   20704 B/op	     173 allocs/op
BenchmarkTokenIssuance/impl=patientsfhir/mode=http-parallel-2  	   20000	     40000 ns/op	   20704 B/op	     173 allocs/op
BenchmarkTokenIssuance/impl=go-oauth2/mode=http-parallel-2     	   20000	     60000 ns/op
BenchmarkTokenIssuance/impl=fosite/mode=http-parallel-2        	       5	 230000000 ns/op
BenchmarkLoopbackRoundTrip/mode=serial-2                       	   10000	    100000 ns/op
BenchmarkBearerVerification/mode=serial-2                      	   10000	      5000 ns/op
BenchmarkIssuanceByStore/store=memory-2                        	   10000	     40000 ns/op
BenchmarkIssuanceByStore/store=sqlite-2                        	   10000	     50000 ns/op
PASS
`

func TestRatiosFromOneRun(t *testing.T) {
	res, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := res.median(issuance("patientsfhir", "http-parallel")); m != 40000 {
		t.Fatalf("median of three runs = %v, want 40000", m)
	}
	rep := report(res)
	var hp row
	for _, r := range rep.rows {
		if r.mode == "http-parallel" {
			hp = r
		}
	}
	if hp.goOAuth2.value != 1.5 || hp.fosite.value != 5750 || hp.floor.value != 0.5 {
		t.Fatalf("ratios = %v %v %v", hp.goOAuth2, hp.fosite, hp.floor)
	}
	if rep.verifySerial.value != 0.05 || !rep.allMet() || rep.verifyFresh.ok {
		t.Fatalf("verification %v, all met %v", rep.verifySerial, rep.allMet())
	}
	fresh, _ := parse(strings.NewReader(sample + "BenchmarkBearerVerification/mode=fresh-same-node-2 100 3000 ns/op\n" +
		"BenchmarkBearerVerification/mode=fresh-other-node-2 100 80000 ns/op\n"))
	if r := report(fresh); r.verifyFresh.value != 0.03 || r.verifyCold.value != 0.8 || r.allMet() {
		t.Fatalf("fresh-token verification %v / %v, all met %v", r.verifyFresh, r.verifyCold, r.allMet())
	}
	if len(rep.eddsa) != 0 {
		t.Fatalf("EdDSA rows without EdDSA results: %+v", rep.eddsa)
	}
	ed, _ := parse(strings.NewReader(sample + "BenchmarkTokenIssuance/impl=patientsfhir-eddsa/mode=http-parallel-2 100 30000 ns/op\n"))
	edRep := report(ed)
	var edOut strings.Builder
	edRep.write(&edOut)
	if len(edRep.eddsa) != 1 || edRep.eddsa[0].goOAuth2.value != 2 || !strings.Contains(edOut.String(), "http-parallel  2.00") ||
		!edRep.allMet() {
		t.Fatalf("EdDSA rows %+v, report:\n%s", edRep.eddsa, edOut.String())
	}
	var out strings.Builder
	rep.write(&out)
	if st := rep.stores; len(st) != 2 || st[0].t.value != 0.8 || st[1].t.ok {
		t.Fatalf("store ratios %+v", st)
	}
	if !strings.Contains(out.String(), "1.50 ok") || !strings.Contains(out.String(), "inprocess ") ||
		!strings.Contains(out.String(), "sqlite    0.80") {
		t.Fatalf("report:\n%s", out.String())
	}
}

func TestMissingOursIsReportedNotMet(t *testing.T) {
	in := strings.ReplaceAll(sample, "impl=patientsfhir", "impl=someoneelse")
	var out strings.Builder
	ok, err := run(strings.NewReader(in), &out)
	if err != nil {
		t.Fatal(err)
	}
	if ok || !strings.Contains(out.String(), "n/a MISSED") {
		t.Fatalf("ok=%v report:\n%s", ok, out.String())
	}
	if _, err := run(strings.NewReader("nothing here\n"), &out); err == nil {
		t.Fatal("empty input accepted")
	}
}

func TestSlowerOursMissesTarget(t *testing.T) {
	in := strings.Replace(sample, "60000 ns/op", "10000 ns/op", 1) // go-oauth2 4x faster than ours
	res, _ := parse(strings.NewReader(in))
	if report(res).allMet() {
		t.Fatal("a slower issuer than go-oauth2 met the target")
	}
}
