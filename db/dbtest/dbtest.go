// Package dbtest gives each test its own fresh database: a SQLite file in
// the test's temporary folder, or a PostgreSQL schema dropped afterwards.
//
// PostgreSQL is found at $APPRAISAL_TEST_POSTGRES (default: the local
// server as user postgres). When it cannot be reached the PostgreSQL half of
// a test is skipped, unless $APPRAISAL_REQUIRE_POSTGRES is set (CI sets it),
// which turns the skip into a failure.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/jmoiron/sqlx"

	"github.com/appraisal/appraisal/db"
)

// Engines are the engines every db test runs on.
var Engines = []db.Engine{db.SQLite, db.Postgres}

const defaultPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func postgresURL() string {
	if u := os.Getenv("APPRAISAL_TEST_POSTGRES"); u != "" {
		return u
	}
	return defaultPostgres
}

var (
	adminOnce sync.Once
	admin     *sql.DB
	adminErr  error
)

func adminDB() (*sql.DB, error) {
	adminOnce.Do(func() {
		admin, adminErr = sql.Open("postgres", postgresURL())
		if adminErr == nil {
			adminErr = admin.Ping()
		}
	})
	return admin, adminErr
}

// DSN returns the --db value of a fresh, empty database of engine e for tb.
func DSN(tb testing.TB, e db.Engine) string {
	tb.Helper()
	if e == db.SQLite {
		return "sqlite:" + filepath.Join(tb.TempDir(), "appraisal.db")
	}
	admin, err := adminDB()
	if err != nil {
		if os.Getenv("APPRAISAL_REQUIRE_POSTGRES") != "" {
			tb.Fatalf("PostgreSQL is required ($APPRAISAL_REQUIRE_POSTGRES) but unreachable at %s: %v", postgresURL(), err)
		}
		tb.Skipf("PostgreSQL unreachable at %s (set APPRAISAL_REQUIRE_POSTGRES=1 to fail instead): %v", postgresURL(), err)
	}
	b := make([]byte, 8)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatalf("creating schema: %v", err)
	}
	tb.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(postgresURL())
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema) // lib/pq sends unknown keys as run-time parameters
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated fresh database of engine e, closed after the test.
func Open(tb testing.TB, e db.Engine) *db.DB {
	tb.Helper()
	d, err := db.Open(context.Background(), DSN(tb, e))
	if err != nil {
		tb.Fatalf("opening %s: %v", e, err)
	}
	tb.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrating %s: %v", e, err)
	}
	return d
}

// Run runs fn as a subtest on a fresh database of each engine.
func Run(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, e := range Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			fn(t, Open(t, e))
		})
	}
}

// Raw opens a second plain connection to the database behind d's DSN, for
// tests that change rows behind the product's back.
func Raw(tb testing.TB, dsn string) *sqlx.DB {
	tb.Helper()
	e, driverDSN, err := db.ParseDSN(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	driver := "postgres"
	if e == db.SQLite {
		driver = "sqlite"
	}
	x, err := sqlx.Open(driver, driverDSN)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { x.Close() })
	return x
}
