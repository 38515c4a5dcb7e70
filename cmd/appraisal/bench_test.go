package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// TestBenchTransitionsTinyRun runs `bench transitions` for a moment, so the
// full run documented in docs/performance.md keeps working: every kind of
// measurement prints a row for every number of clients, with no errors.
// (The figures of so short a run mean nothing and are not checked.)
func TestBenchTransitionsTinyRun(t *testing.T) {
	t.Parallel()
	pgbench := pgTool(t, "pgbench")
	dbtest.Open(t, db.Postgres) // PostgreSQL is there, or the test skips (fails in CI)
	var env []string
	if dsn := os.Getenv("APPRAISAL_TEST_POSTGRES"); dsn != "" {
		env = append(env, "APPRAISAL_TEST_POSTGRES="+dsn)
	}
	r := runBin(t, env, "bench", "transitions", "--duration", "1s", "--clients", "1,3", "--appraisals", "12", "--pgbench", pgbench)
	if r.code != 0 {
		t.Fatalf("bench transitions: %s", r)
	}
	num := `\s+[\d.]+`
	pgRow := func(clients string) string { // clients, 3 × (tps p50 p99), 2 ratios, errors 0
		return `(?m)^\s*` + clients + strings.Repeat(num, 11) + `\s+0\s*$`
	}
	sqliteRow := func(clients string) string { return `(?m)^\s*` + clients + strings.Repeat(num, 3) + `\s+0\s*$` }
	pg, sqlite, ok := strings.Cut(r.stdout, "SQLite")
	if !ok || !strings.Contains(pg, "peak memory") || !strings.Contains(sqlite, "peak memory") {
		t.Fatalf("no PostgreSQL and SQLite tables with peak memory:\n%s", r.stdout)
	}
	for _, c := range []string{"1", "3"} {
		if !regexp.MustCompile(pgRow(c)).MatchString(pg) {
			t.Errorf("no PostgreSQL row for %s clients without errors:\n%s", c, r.stdout)
		}
		if !regexp.MustCompile(sqliteRow(c)).MatchString(sqlite) {
			t.Errorf("no SQLite row for %s clients without errors:\n%s", c, r.stdout)
		}
	}
	t.Logf("%s", r.stdout)
}
