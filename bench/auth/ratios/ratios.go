package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// results maps a benchmark name, without its GOMAXPROCS suffix, to every ns/op measured for it.
type results map[string][]float64

// benchLine matches a result line: name, iterations, ns/op (the rest is ignored).
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op`)

// cpuMetric finds the CPU time per operation some benchmarks report.
var cpuMetric = regexp.MustCompile(`\s([0-9.]+) cpu-ns/op`)

// cpuSuffix is appended to a benchmark name to hold its cpu-ns/op results.
const cpuSuffix = "#cpu"

func parse(in io.Reader) (results, error) {
	res := results{}
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		ns, err := strconv.ParseFloat(m[2], 64)
		if err != nil || ns <= 0 {
			return nil, fmt.Errorf("bad ns/op in %q", sc.Text())
		}
		res[m[1]] = append(res[m[1]], ns)
		if c := cpuMetric.FindStringSubmatch(sc.Text()); c != nil {
			if v, err := strconv.ParseFloat(c[1], 64); err == nil && v > 0 {
				res[m[1]+cpuSuffix] = append(res[m[1]+cpuSuffix], v)
			}
		}
	}
	return res, sc.Err()
}

// median returns the median ns/op of name and whether it was measured.
func (r results) median(name string) (float64, bool) {
	v := slices.Clone(r[name])
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// target is one tracked ratio with its goal.
type target struct {
	label   string
	value   float64
	ok      bool // value could be computed
	goal    float64
	atLeast bool // value must be >= goal (else <= goal)
}

func (t target) met() bool {
	if !t.ok {
		return false
	}
	if t.atLeast {
		return t.value >= t.goal
	}
	return t.value <= t.goal
}

func (t target) String() string {
	if !t.ok {
		return "n/a"
	}
	return strconv.FormatFloat(t.value, 'f', ratioDigits(t.value), 64)
}

func ratioDigits(v float64) int {
	switch {
	case v >= 100:
		return 0
	case v >= 10:
		return 1
	case v >= 0.1:
		return 2
	default:
		return 3
	}
}

var modes = []string{"inprocess", "inprocess-parallel", "http", "http-parallel-c2", "http-parallel"}

// judged reports whether the issuance targets are judged on mode: throughput over loopback
// HTTP with 2 and with 16 keep-alive connections, the Patients app asking a token per call.
func judged(mode string) bool { return mode == "http-parallel-c2" || mode == "http-parallel" }

// Issuance goals, patientsfhir ÷ peer throughput.
const (
	goalGoOAuth2 = 1.5
	goalFosite   = 100.0
	goalFloor    = 0.8
)

type row struct {
	mode                    string
	goOAuth2, fosite, floor target
}

type reportData struct {
	rows           []row
	verifySerial   target // the same token again (cacheable)
	verifyParallel target
	verifyFresh    target // a new token minted by the same node (the Patients app, one node)
	verifyCold     target // a new token minted by another node (behind a load balancer)
	// stores holds issuance throughput on each durable store ÷ on the memory store.
	stores []storeRatio
	// cpuRows are the issuance ratios by CPU time per request (cpu-ns/op), when measured:
	// informative, as the wall-clock ones are what is judged.
	cpuRows []row
	// variants holds the same ratios for other configurations of patientsfhir, when
	// measured: informative, not judged.
	variants []variant
}

// variant is an informative configuration of patientsfhir and its rows.
type variant struct {
	impl, label string
	rows        []row
}

// informative lists the configurations reported besides the default one.
var informative = []variant{
	{impl: "patientsfhir-fresh", label: "Config.TokenReuseWindow -1 (every request signs; impl=patientsfhir-fresh)"},
	{impl: "patientsfhir-eddsa", label: "Config.Alg EdDSA, every request signs (impl=patientsfhir-eddsa)"},
}

type storeRatio struct {
	store string
	t     target
}

func issuance(impl, mode string) string {
	return "BenchmarkTokenIssuance/impl=" + impl + "/mode=" + mode
}

func report(res results) reportData {
	var rep reportData
	rep.rows = ratioRows(res, "patientsfhir", "")
	for _, r := range ratioRows(res, "patientsfhir", cpuSuffix) {
		if r.goOAuth2.ok || r.floor.ok {
			rep.cpuRows = append(rep.cpuRows, r)
		}
	}
	for _, v := range informative {
		for _, r := range ratioRows(res, v.impl, "") {
			if r.goOAuth2.ok || r.fosite.ok || r.floor.ok {
				v.rows = append(v.rows, r)
			}
		}
		if len(v.rows) > 0 {
			rep.variants = append(rep.variants, v)
		}
	}
	rep.verification(res)
	return rep
}

// ratioRows computes impl's throughput ratios against every peer in every mode, from ns/op
// (suffix "") or from cpu-ns/op (suffix cpuSuffix).
func ratioRows(res results, impl, suffix string) []row {
	var rows []row
	for _, mode := range modes {
		ours, okOurs := res.median(issuance(impl, mode) + suffix)
		ratio := func(peer string, goal float64) target {
			t := target{goal: goal, atLeast: true}
			if p, ok := res.median(issuance(peer, mode) + suffix); ok && okOurs {
				t.value, t.ok = p/ours, true
			}
			return t
		}
		rows = append(rows, row{
			mode:     mode,
			goOAuth2: ratio("go-oauth2", goalGoOAuth2),
			fosite:   ratio("fosite", goalFosite),
			floor:    ratio("floor", goalFloor),
		})
	}
	return rows
}

// verification fills the verification and store ratios.
func (rep *reportData) verification(res results) {
	frac := func(mode string) target {
		t := target{goal: 0.1}
		v, ok1 := res.median("BenchmarkBearerVerification/mode=" + mode)
		rt, ok2 := res.median("BenchmarkLoopbackRoundTrip/mode=" + mode)
		if ok1 && ok2 {
			t.value, t.ok = v/rt, true
		}
		return t
	}
	rep.verifySerial, rep.verifyParallel = frac("serial"), frac("parallel")
	vs := func(mode string) target {
		t := target{goal: 0.1}
		if v, ok := res.median("BenchmarkBearerVerification/mode=" + mode); ok {
			if rt, ok := res.median("BenchmarkLoopbackRoundTrip/mode=serial"); ok {
				t.value, t.ok = v/rt, true
			}
		}
		return t
	}
	rep.verifyFresh, rep.verifyCold = vs("fresh-same-node"), vs("fresh-other-node")
	mem, okMem := res.median("BenchmarkIssuanceByStore/store=memory")
	for _, st := range []string{"sqlite", "postgres"} {
		t := target{}
		if v, ok := res.median("BenchmarkIssuanceByStore/store=" + st); ok && okMem {
			t.value, t.ok = mem/v, true
		}
		rep.stores = append(rep.stores, storeRatio{st, t})
	}
}

// allMet reports whether every target of the issue is met: the three issuance ratios over
// loopback HTTP with 2 and 16 connections, and verification against one round trip, for a reused token and,
// when measured, for new tokens minted by the same node and by another node.
func (rep reportData) allMet() bool {
	for _, r := range rep.rows {
		if judged(r.mode) && !(r.goOAuth2.met() && r.fosite.met() && r.floor.met()) {
			return false
		}
	}
	for _, t := range []target{rep.verifyFresh, rep.verifyCold} {
		if t.ok && !t.met() {
			return false
		}
	}
	return rep.verifySerial.met()
}

func mark(t target, judged bool) string {
	s := t.String()
	if !judged {
		return s
	}
	if t.met() {
		return s + " ok"
	}
	return s + " MISSED"
}

func (rep reportData) write(out io.Writer) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "token issuance throughput, patientsfhir ÷ peer (same mode, same run)")
	fmt.Fprintf(tw, "mode\tvs go-oauth2 (>= %g)\tvs fosite (>= %g)\tvs bare floor (>= %g)\n", goalGoOAuth2, goalFosite, goalFloor)
	for _, r := range rep.rows {
		j := judged(r.mode)
		name := r.mode
		if j {
			name += " *"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, mark(r.goOAuth2, j), mark(r.fosite, j), mark(r.floor, j))
	}
	fmt.Fprintln(tw, "(* the modes the targets are judged on: loopback HTTP, 2 and 16 keep-alive connections)")
	if len(rep.cpuRows) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "the same ratios by CPU time per request (cpu-ns/op of the benchmark process: server and client;")
		fmt.Fprintln(tw, "steady when other work loads the machine): informative")
		fmt.Fprintln(tw, "mode\tvs go-oauth2\tvs fosite\tvs bare floor")
		for _, r := range rep.cpuRows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.mode, r.goOAuth2, r.fosite, r.floor)
		}
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "bearer verification ÷ one loopback HTTP round trip (<= 0.1)")
	fmt.Fprintf(tw, "same token, serial *\t%s\n", mark(rep.verifySerial, true))
	fmt.Fprintf(tw, "same token, parallel\t%s\n", mark(rep.verifyParallel, false))
	fmt.Fprintf(tw, "new token each time, minted by this node *\t%s\n", mark(rep.verifyFresh, rep.verifyFresh.ok))
	fmt.Fprintf(tw, "new token each time, minted by another node *\t%s\n", mark(rep.verifyCold, rep.verifyCold.ok))
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "patientsfhir issuance on a durable store ÷ on the memory store (in-process, parallel)")
	for _, st := range rep.stores {
		fmt.Fprintf(tw, "%s\t%s\n", st.store, st.t)
	}
	for _, v := range rep.variants {
		fmt.Fprintln(tw)
		fmt.Fprintf(tw, "the same issuance ratios with %s: informative, not judged\n", v.label)
		fmt.Fprintln(tw, "mode\tvs go-oauth2\tvs fosite\tvs bare floor")
		for _, r := range v.rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.mode, r.goOAuth2, r.fosite, r.floor)
		}
	}
	tw.Flush()
}
