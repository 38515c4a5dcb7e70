package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// TestSeedThenBench is the tiny run of the seed and of the report
// benchmark that keeps both working; the full run is in docs/performance.md.
func TestSeedThenBench(t *testing.T) {
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		r := runBin(t, nil, "--db", dsn, "seed", "--count", "600", "--seed", "7", "--until", "2026-06-30")
		if r.code != 0 || !strings.Contains(r.stderr, "msg=seeded appraisals=600") {
			t.Fatalf("seed: %s", r)
		}
		if !strings.Contains(r.stderr, "600/600") {
			t.Errorf("no progress bar reaching 600/600 on stderr: %s", r.stderr)
		}
		if r := runBin(t, nil, "--db", dsn, "audit", "verify"); r.code != 0 || !strings.Contains(r.stdout, "ok: 600 appraisals") {
			t.Fatalf("audit verify after seed: %s", r)
		}
		if r := runBin(t, nil, "--db", dsn, "seed", "--count", "10"); r.code == 0 || !strings.Contains(r.stderr, "--append") {
			t.Errorf("seed on a non-empty database did not refuse, naming --append: %s", r)
		}
		if r := runBin(t, nil, "--db", dsn, "seed", "--count", "50", "--seed", "8", "--until", "2026-07-31", "--append"); r.code != 0 {
			t.Fatalf("seed --append: %s", r)
		}
		if r := runBin(t, nil, "--db", dsn, "audit", "verify"); r.code != 0 || !strings.Contains(r.stdout, "ok: 650 appraisals") {
			t.Fatalf("audit verify after --append: %s", r)
		}
		b := runBin(t, nil, "--db", dsn, "bench", "reports", "--runs", "2")
		if b.code != 0 || !strings.Contains(b.stdout, "650 appraisals on "+string(e)) {
			t.Fatalf("bench reports: %s", b)
		}
		// Every report and listing got a line with a median and a p95.
		line := regexp.MustCompile(`(?m)^\s*(counts|form07|list) .*\s\d+\s+\d+\.\d+\s+\d+\.\d+\s*$`)
		if n := len(line.FindAllString(b.stdout, -1)); n < 70 {
			t.Errorf("bench printed %d timing lines, want every query (70 or more):\n%s", n, b.stdout)
		}
	})
}
