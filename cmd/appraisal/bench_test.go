package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// TestBenchTransitionsTinyRun runs `bench transitions` for a moment, so the
// full run documented in docs/performance.md keeps working: every kind of
// measurement prints a row for every number of clients, with no errors, a
// CPU profile per service round, and one writing transaction per
// transition. (Rates and latencies of so short a run mean nothing and are
// not checked.)
func TestBenchTransitionsTinyRun(t *testing.T) {
	t.Parallel()
	pgbench := pgTool(t, "pgbench")
	dbtest.Open(t, db.Postgres) // PostgreSQL is there, or the test skips (fails in CI)
	var env []string
	if dsn := os.Getenv("APPRAISAL_TEST_POSTGRES"); dsn != "" {
		env = append(env, "APPRAISAL_TEST_POSTGRES="+dsn)
	}
	profiles := filepath.Join(t.TempDir(), "profiles") // made by the bench
	r := runBin(t, env, "bench", "transitions", "--duration", "2s", "--rounds", "2", "--clients", "1,3", "--appraisals", "12", "--pgbench", pgbench,
		"--profile", profiles)
	if r.code != 0 {
		t.Fatalf("bench transitions: %s", r)
	}
	num := `\s+[\d.]+`
	pgRow := func(clients string) string { // clients, 3 × (tps p50 p99), 2 ratios, errors 0
		return `(?m)^\s*` + clients + strings.Repeat(num, 11) + `\s+0\s*$`
	}
	// clients, CPU µs of the machine, pgbench, product SQL, pgbench, service, server, load generator,
	// and writing transactions per transition: one (housekeeping may add one in a thousand)
	cpuRow := func(clients string) string {
		return `(?m)^\s*` + clients + strings.Repeat(`\s+[1-9]\d*`, 7) + `\s+1\.0[0-4]\d\s*$`
	}
	// clients, tps p50 p99, errors 0, CPU µs of the machine, server, load generator
	sqliteRow := func(clients string) string {
		return `(?m)^\s*` + clients + strings.Repeat(num, 3) + `\s+0` + strings.Repeat(`\s+[1-9]\d*`, 3) + `\s*$`
	}
	pg, sqlite, ok := strings.Cut(r.stdout, "SQLite")
	if !ok || !strings.Contains(pg, "peak memory") || !strings.Contains(sqlite, "peak memory") {
		t.Fatalf("no PostgreSQL and SQLite tables with peak memory:\n%s", r.stdout)
	}
	for _, c := range []string{"1", "3"} {
		if !regexp.MustCompile(pgRow(c)).MatchString(pg) {
			t.Errorf("no PostgreSQL row for %s clients without errors:\n%s", c, r.stdout)
		}
		if !regexp.MustCompile(cpuRow(c)).MatchString(pg) {
			t.Errorf("no CPU row for %s clients:\n%s", c, r.stdout)
		}
		if !regexp.MustCompile(sqliteRow(c)).MatchString(sqlite) {
			t.Errorf("no SQLite row for %s clients without errors:\n%s", c, r.stdout)
		}
	}
	// A CPU profile of the server per service run, as pprof writes it (gzip).
	for _, name := range []string{"service-postgres-1-r1", "service-postgres-3-r2", "service-sqlite-1-r1", "service-sqlite-3-r2"} {
		data, err := os.ReadFile(filepath.Join(profiles, name+".pprof"))
		if err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
			t.Errorf("no CPU profile %s.pprof (%d bytes, %v)", name, len(data), err)
		}
	}
	t.Logf("%s", r.stdout)
}
