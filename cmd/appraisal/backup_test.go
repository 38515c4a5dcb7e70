package main

// Backup and restore, the way docs/operations.md tells an operator to do
// them: PostgreSQL with pg_dump and pg_restore, SQLite with sqlite3
// .backup while the service runs or a copy of the file while it is
// stopped. The restored database must verify, hold the same data, and
// take new transitions (identity sequences and dossier numbers restored).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// pgTool finds a PostgreSQL client program on PATH or in Debian's
// /usr/lib/postgresql/N/bin (the newest N). Without it the test is skipped,
// or fails when $APPRAISAL_REQUIRE_POSTGRES is set.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	slices.SortFunc(found, func(a, b string) int { // 9 < 10 < 15
		return cmpVersionDir(filepath.Base(filepath.Dir(filepath.Dir(a))), filepath.Base(filepath.Dir(filepath.Dir(b))))
	})
	if len(found) > 0 {
		return found[len(found)-1]
	}
	if os.Getenv("APPRAISAL_REQUIRE_POSTGRES") != "" {
		t.Fatalf("%s is on neither PATH nor /usr/lib/postgresql/*/bin, and $APPRAISAL_REQUIRE_POSTGRES is set", name)
	}
	t.Skipf("%s is on neither PATH nor /usr/lib/postgresql/*/bin (set APPRAISAL_REQUIRE_POSTGRES=1 to fail instead)", name)
	return ""
}

func cmpVersionDir(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	return strings.Compare(a, b)
}

// runTool runs an external program and fails t unless it exits 0.
func runTool(t *testing.T, path string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(path), strings.Join(args, " "), err, out.String())
	}
	return out.String()
}

// freshDatabase creates a PostgreSQL database of its own, dropped after
// the test, and returns its DSN. A whole database, not a schema: that is
// what an operator dumps and restores, extensions included.
func freshDatabase(t *testing.T, label string) string {
	t.Helper()
	u, err := url.Parse(dbtest.DSN(t, db.Postgres)) // skips, or fails, without PostgreSQL
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	admin, err := sqlx.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	b := make([]byte, 6)
	rand.Read(b)
	name := "appraisal_" + label + "_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE DATABASE ` + pq.QuoteIdentifier(name)); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + pq.QuoteIdentifier(name) + ` WITH (FORCE)`); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// dbSnapshot is what a backup must keep, read straight from the tables.
type dbSnapshot struct {
	Users, Appraisals, Events, Sequences, Reports []string
}

func snapshot(t *testing.T, dsn string) dbSnapshot {
	t.Helper()
	raw := dbtest.Raw(t, dsn)
	rows := func(q string) []string {
		r, err := raw.Queryx(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer r.Close()
		var out []string
		for r.Next() {
			cols, err := r.SliceScan()
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for i, c := range cols {
				if i > 0 {
					b.WriteByte('|')
				}
				if bs, ok := c.([]byte); ok {
					c = string(bs)
				}
				fmt.Fprint(&b, c)
			}
			out = append(out, b.String())
		}
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	return dbSnapshot{
		Users:      rows(`SELECT id, name, role, token_hash FROM users ORDER BY id`),
		Appraisals: rows(`SELECT id, code, state, version, last_hash FROM appraisals ORDER BY id`),
		Events:     rows(`SELECT appraisal_id, seq, trigger_name, hash FROM events ORDER BY appraisal_id, seq`),
		Sequences:  rows(`SELECT unit, day, last FROM dossier_sequences ORDER BY unit, day`),
		// Counts and the deltas not folded yet: a fold between two
		// snapshots moves rows but keeps the sums.
		Reports: rows(`SELECT event, dim, value, day, SUM(n) FROM (
			SELECT event, dim, value, day, n FROM report_counts UNION ALL
			SELECT event, dim, value, day, n FROM report_deltas) x
			GROUP BY event, dim, value, day HAVING SUM(n) <> 0 ORDER BY event, dim, value, day`),
	}
}

func (s dbSnapshot) String() string {
	return fmt.Sprintf("%d users, %d appraisals, %d events, %d dossier sequences, %d report counts",
		len(s.Users), len(s.Appraisals), len(s.Events), len(s.Sequences), len(s.Reports))
}

// backupFixture is a seeded database with some API traffic on top.
type backupFixture struct {
	applicant, reviewer string
	returned            apiAppraisal // waits on the applicant's resubmit
	verified            string       // audit verify's report
}

// seedForBackup seeds 200 appraisals through the binary, then moves a
// few on through the API of s.
func seedForBackup(t *testing.T, dsn string, s func() *testServer) (backupFixture, *testServer) {
	t.Helper()
	if r := runBin(t, nil, "--db", dsn, "seed", "--count", "200", "--until", "2026-06-30"); r.code != 0 {
		t.Fatalf("seed: %s", r)
	}
	srv := s()
	f := backupFixture{
		applicant: addUser(t, dsn, "Công ty Cổ phần Sao lưu", "applicant"),
		reviewer:  addUser(t, dsn, "Trần Thị Bình", "reviewer"),
	}
	var page struct {
		Items []apiAppraisal `json:"items"`
	}
	srv.mustCall(t, http.StatusOK, http.MethodGet, "/api/v1/appraisals?state=appraised&limit=2", f.reviewer, nil, &page)
	if len(page.Items) == 0 {
		t.Fatal("the seed made no appraised appraisal to archive")
	}
	srv.fire(t, f.reviewer, page.Items[0].ID, map[string]string{"trigger": "archive"})
	f.returned = srv.submit(t, f.applicant, "Nhà máy trước khi sao lưu")
	f.returned = srv.fire(t, f.reviewer, f.returned.ID, map[string]string{"trigger": "request_supplement",
		"comment": "Bổ sung bản sao hợp đồng chuyển giao công nghệ"})
	reviewed := srv.submit(t, f.applicant, "Dây chuyền trước khi sao lưu")
	srv.fire(t, f.reviewer, reviewed.ID, map[string]string{"trigger": "review"})

	r := runBin(t, nil, "audit", "verify", "--db", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "ok: 202 appraisals") {
		t.Fatalf("audit verify before the backup: %s", r)
	}
	f.verified = r.stdout
	return f, srv
}

// checkRestored runs audit verify on the restored database, compares it
// with the original, and moves appraisals on there.
func checkRestored(t *testing.T, restored string, f backupFixture, want dbSnapshot) {
	t.Helper()
	r := runBin(t, nil, "audit", "verify", "--db", restored)
	if r.code != 0 || r.stdout != f.verified {
		t.Fatalf("audit verify on the restored database: want exit 0 and %q\n%s", f.verified, r)
	}
	got := snapshot(t, restored)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the restored database differs from the one backed up:\nrestored: %s\noriginal: %s", got, want)
	}
	// The tokens, the identity sequences and the day's dossier numbers
	// came back: the restored database goes on where the original stopped.
	s := startServer(t, restored, nil)
	a := s.fire(t, f.applicant, f.returned.ID, map[string]string{"trigger": "resubmit"})
	if a.State != "submitted" || a.Version != f.returned.Version+1 {
		t.Errorf("resubmit on the restored database: %+v", a)
	}
	n := s.submit(t, f.applicant, "Nhà máy sau khi khôi phục")
	last := want.Appraisals[len(want.Appraisals)-1]
	if lastID, err := strconv.ParseInt(strings.SplitN(last, "|", 2)[0], 10, 64); err != nil || n.ID <= lastID {
		t.Errorf("a new appraisal on the restored database got id %d, not after the last restored one (%s)", n.ID, last)
	}
	for _, row := range want.Appraisals {
		if strings.Contains(row, "|"+n.Code+"|") {
			t.Errorf("a new appraisal on the restored database got the code %s of a restored one", n.Code)
		}
	}
	if r := runBin(t, nil, "audit", "verify", "--db", restored); r.code != 0 || !strings.Contains(r.stdout, "ok: 203 appraisals") {
		t.Errorf("audit verify after new work on the restored database: %s", r)
	}
	t.Logf("restored: %s; audit verify: %s", got, strings.TrimSpace(f.verified))
}

func TestBackupRestore(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		if e == db.Postgres {
			pgDump, pgRestore := pgTool(t, "pg_dump"), pgTool(t, "pg_restore")
			source := freshDatabase(t, "backup")
			f, _ := seedForBackup(t, source, func() *testServer { return startServer(t, source, nil) })
			// Online: the server keeps running; pg_dump reads one snapshot.
			want := snapshot(t, source)
			dump := filepath.Join(t.TempDir(), "appraisal.dump")
			runTool(t, pgDump, "--format=custom", "--file="+dump, "--dbname="+source)
			target := freshDatabase(t, "restore")
			runTool(t, pgRestore, "--no-owner", "--exit-on-error", "--dbname="+target, dump)
			checkRestored(t, target, f, want)
			return
		}

		dir := t.TempDir()
		source := "sqlite:" + filepath.Join(dir, "appraisal.db")
		f, s := seedForBackup(t, source, func() *testServer { return startServer(t, source, nil) })
		want := snapshot(t, source)
		if sqlite3, err := exec.LookPath("sqlite3"); err == nil {
			// Online: sqlite3's .backup copies a consistent database while the
			// server runs (a plain copy of a WAL database in use may not be).
			online := filepath.Join(dir, "online-backup.db")
			runTool(t, sqlite3, strings.TrimPrefix(source, "sqlite:"), ".backup '"+online+"'")
			checkRestored(t, "sqlite:"+online, f, want)
		} else {
			t.Log("no sqlite3 on PATH: only the offline copy is tested")
		}
		// Offline: with the server stopped, the file (and its -wal, if a
		// crash left one) is the whole database.
		if code, logs := s.stop(t); code != 0 {
			t.Fatalf("serve exited with %d:\n%s", code, logs)
		}
		offline := filepath.Join(dir, "offline-copy.db")
		for _, suffix := range []string{"", "-wal"} {
			from, err := os.Open(strings.TrimPrefix(source, "sqlite:") + suffix)
			if os.IsNotExist(err) && suffix != "" {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			to, err := os.Create(offline + suffix)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(to, from); err != nil {
				t.Fatal(err)
			}
			from.Close()
			if err := to.Close(); err != nil {
				t.Fatal(err)
			}
		}
		checkRestored(t, "sqlite:"+offline, f, want)
	})
}
