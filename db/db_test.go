package db_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// ---------------------------------------------------------------- helpers

var bg = context.Background()

// fixture is a database with one user of each kind.
type fixture struct {
	d        *db.DB
	cat      *workflows.Catalog
	def      *engine.Definition
	owner    engine.Actor // an applicant
	other    engine.Actor // another applicant
	reviewer engine.Actor
	appr     engine.Actor // an appraiser
	admin    engine.Actor
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	cat := workflows.Embedded()
	def, err := cat.Latest(workflows.TechnologyAppraisal)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{
		d: d, cat: cat, def: def,
		owner:    newUser(t, d, "Nguyễn Văn An", engine.RoleApplicant),
		other:    newUser(t, d, "Trần Thị Bình", engine.RoleApplicant),
		reviewer: newUser(t, d, "Lê Chuyên Viên", engine.RoleReviewer),
		appr:     newUser(t, d, "Phạm Hội Đồng", engine.RoleAppraiser),
		admin:    newUser(t, d, "Quản Trị", engine.RoleAdmin),
	}
}

func newUser(t *testing.T, d *db.DB, name string, role engine.Role) engine.Actor {
	t.Helper()
	_, hash := engine.NewToken()
	a, err := d.CreateUser(bg, name, role, hash)
	if err != nil {
		t.Fatalf("CreateUser(%q, %s): %v", name, role, err)
	}
	return a
}

// dossier returns a valid decision-stage dossier named name.
func dossier(name string) engine.Dossier {
	return engine.Dossier{
		ProjectName: name, Investor: "Công ty Cổ phần Đầu tư", Technology: "Dây chuyền công nghệ",
		Stage: engine.StageDecision, ProjectGroup: "B", Ownership: "state", Sector: "C26",
		CapitalVND: 5_000_000_000,
	}
}

func (f *fixture) create(t *testing.T, unit string, actor engine.Actor, x engine.Dossier) *engine.Appraisal {
	t.Helper()
	a, err := f.d.CreateAppraisal(bg, f.def, workflows.MustCalendar(), unit, actor, x)
	if err != nil {
		t.Fatalf("CreateAppraisal(%q): %v", x.ProjectName, err)
	}
	return a
}

func (f *fixture) fire(t *testing.T, id int64, actor engine.Actor, trigger string, in engine.Input) *engine.Appraisal {
	t.Helper()
	a, err := f.d.Transition(bg, f.cat, engine.TransitionRequest{AppraisalID: id, Actor: actor, Trigger: trigger, Input: in})
	if err != nil {
		t.Fatalf("%s on %d by %s: %v", trigger, id, actor.Role, err)
	}
	return a
}

func wantCode(t *testing.T, what string, err error, code engine.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error, want %s", what, code)
	}
	if got := engine.ErrorCode(err); got != code {
		t.Fatalf("%s: error %q has code %s, want %s", what, err, got, code)
	}
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.GetContext(bg, &n, d.Rebind(query), args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// snapshot renders everything a write could change, to compare before and
// after a call that must write nothing.
func snapshot(t *testing.T, d *db.DB) string {
	t.Helper()
	var rows []struct {
		ID       int64   `db:"id"`
		State    string  `db:"state"`
		Version  int     `db:"version"`
		Outcome  *string `db:"outcome"`
		Updated  string  `db:"updated"`
		LastHash string  `db:"last_hash"`
	}
	updated := "CAST(updated_at AS TEXT)"
	if err := d.SelectContext(bg, &rows, `SELECT id, state, version, outcome, `+updated+
		` AS updated, last_hash FROM appraisals ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		o := "<nil>"
		if r.Outcome != nil {
			o = *r.Outcome
		}
		fmt.Fprintf(&b, "%d %s v%d %s %s %s\n", r.ID, r.State, r.Version, o, r.Updated, r.LastHash)
	}
	fmt.Fprintf(&b, "events %d, sequences %d, users %d",
		count(t, d, `SELECT COUNT(*) FROM events`),
		count(t, d, `SELECT COUNT(*) FROM dossier_sequences`),
		count(t, d, `SELECT COUNT(*) FROM users`))
	return b.String()
}

func verifyClean(t *testing.T, d *db.DB, wantChecked int) {
	t.Helper()
	n, faults, err := d.VerifyChains(bg)
	if err != nil {
		t.Fatalf("VerifyChains: %v", err)
	}
	if len(faults) > 0 {
		t.Fatalf("VerifyChains: faults %v", faults)
	}
	if n != wantChecked {
		t.Fatalf("VerifyChains checked %d appraisals, want %d", n, wantChecked)
	}
}

// eachEngine runs fn on a fresh, unmigrated database of each engine, for
// tests that need the DSN or more than one handle.
func eachEngine(t *testing.T, fn func(t *testing.T, e db.Engine, dsn string)) {
	t.Helper()
	for _, e := range dbtest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			fn(t, e, dbtest.DSN(t, e))
		})
	}
}

func open(t *testing.T, dsn string) *db.DB {
	t.Helper()
	d, err := db.Open(bg, dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func openMigrated(t *testing.T, dsn string) *db.DB {
	t.Helper()
	d := open(t, dsn)
	if err := d.Migrate(bg); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return d
}

func ids(as []*engine.Appraisal) []int64 {
	out := make([]int64, len(as))
	for i, a := range as {
		out[i] = a.ID
	}
	return out
}

// sameAppraisal compares the fields this test file knows by value: the
// struct may grow fields owned by other work.
func sameAppraisal(t *testing.T, what string, got, want *engine.Appraisal) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: nil appraisal", what)
	}
	type view struct {
		ID                     int64
		Code                   string
		Workflow               engine.WorkflowRef
		State                  string
		Version                int
		Dossier                engine.Dossier
		ApplicantID            int64
		ApplicantName, Outcome string
		SubmittedAt, UpdatedAt string
		Clock                  engine.Clock
	}
	v := func(a *engine.Appraisal) view {
		ts := func(t time.Time) string { return t.Location().String() + " " + t.Format(time.RFC3339Nano) }
		return view{a.ID, a.Code, a.Workflow, a.State, a.Version, a.Dossier, a.ApplicantID,
			a.ApplicantName, a.Outcome, ts(a.SubmittedAt), ts(a.UpdatedAt), a.Clock}
	}
	if g, w := v(got), v(want); g != w {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, g, w)
	}
}

// clock returns a clock function fixed at t.
func clock(t time.Time) func() time.Time { return func() time.Time { return t } }

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// ---------------------------------------------------------------- DSN and schema

func TestParseDSN(t *testing.T) {
	const pg = "postgres://u:p@db.example:5432/appraisal?sslmode=disable"
	const pgl = "postgresql://u@localhost/appraisal"
	for _, c := range []struct {
		name, dsn  string
		engine     db.Engine
		driverPath string // for SQLite: what the driver DSN starts with, before '?'
		wantErr    bool
	}{
		{name: "postgres", dsn: pg, engine: db.Postgres},
		{name: "postgresql", dsn: pgl, engine: db.Postgres},
		{name: "sqlite prefix", dsn: "sqlite:/var/lib/appraisal/appraisal.db", engine: db.SQLite, driverPath: "/var/lib/appraisal/appraisal.db"},
		{name: "sqlite relative", dsn: "sqlite:appraisal.db", engine: db.SQLite, driverPath: "appraisal.db"},
		{name: "bare path", dsn: "/tmp/x/appraisal.db", engine: db.SQLite, driverPath: "/tmp/x/appraisal.db"},
		{name: "bare relative path", dsn: "data.db", engine: db.SQLite, driverPath: "data.db"},
		{name: "empty", dsn: "", wantErr: true},
		{name: "sqlite prefix without path", dsn: "sqlite:", wantErr: true},
		{name: "sqlite path with ?", dsn: "sqlite:/tmp/a.db?_pragma=foreign_keys(0)", wantErr: true},
		{name: "bare path with ?", dsn: "a.db?mode=ro", wantErr: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, driver, err := db.ParseDSN(c.dsn)
			if c.wantErr {
				if err == nil {
					t.Fatalf("ParseDSN(%q) = %q, %q; want an error", c.dsn, e, driver)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDSN(%q): %v", c.dsn, err)
			}
			if e != c.engine {
				t.Fatalf("engine %q, want %q", e, c.engine)
			}
			if c.engine == db.Postgres {
				// The URL as given, plus binary_parameters (one round trip a query).
				u, err := url.Parse(driver)
				if err != nil || u.Query().Get("binary_parameters") != "yes" {
					t.Fatalf("driver DSN %q lacks binary_parameters=yes", driver)
				}
				q := u.Query()
				q.Del("binary_parameters")
				u.RawQuery = q.Encode()
				given, _ := url.Parse(c.dsn)
				given.RawQuery = given.Query().Encode()
				if u.String() != given.String() {
					t.Fatalf("driver DSN %q, want %q plus binary_parameters", driver, c.dsn)
				}
				return
			}
			path, opts, ok := strings.Cut(driver, "?")
			if !ok || path != c.driverPath {
				t.Fatalf("driver DSN %q: want path %q followed by options", driver, c.driverPath)
			}
			// What correctness rests on: foreign keys enforced, writers
			// waiting instead of failing, the write lock taken at BEGIN.
			for _, want := range []string{"foreign_keys(1)", "busy_timeout(", "_txlock=immediate", "journal_mode(WAL)"} {
				if !strings.Contains(opts, want) {
					t.Errorf("driver DSN %q lacks %s", driver, want)
				}
			}
		})
	}
}

func TestMigrateAndCheckSchema(t *testing.T) {
	eachEngine(t, func(t *testing.T, e db.Engine, dsn string) {
		d := open(t, dsn)
		if err := d.CheckSchema(bg); !errors.Is(err, db.ErrSchemaBehind) {
			t.Fatalf("CheckSchema on a fresh database = %v, want ErrSchemaBehind", err)
		}
		if err := d.Migrate(bg); err != nil {
			t.Fatalf("first Migrate: %v", err)
		}
		if err := d.CheckSchema(bg); err != nil {
			t.Fatalf("CheckSchema after Migrate: %v", err)
		}
		if err := d.Migrate(bg); err != nil {
			t.Fatalf("second Migrate: %v", err)
		}
		if err := d.CheckSchema(bg); err != nil {
			t.Fatalf("CheckSchema after the second Migrate: %v", err)
		}
		// Another process sees the schema as current too.
		d2 := open(t, dsn)
		if err := d2.CheckSchema(bg); err != nil {
			t.Fatalf("CheckSchema from a second handle: %v", err)
		}
		if err := d2.Migrate(bg); err != nil {
			t.Fatalf("Migrate from a second handle: %v", err)
		}
		// The schema works.
		f := newFixture(t, d)
		f.create(t, "SKHCN", f.owner, dossier("Dự án"))
		verifyClean(t, d2, 1)
	})
}

func TestMigrateIdempotentOnMigratedDatabase(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		for i := range 2 {
			if err := d.Migrate(bg); err != nil {
				t.Fatalf("Migrate %d: %v", i+1, err)
			}
		}
		if err := d.CheckSchema(bg); err != nil {
			t.Fatalf("CheckSchema: %v", err)
		}
	})
}

// Several server processes starting at once on one PostgreSQL: one
// migrates, the others wait, none fails.
func TestMigrateConcurrentlyPostgres(t *testing.T) {
	t.Parallel()
	dsn := dbtest.DSN(t, db.Postgres)
	handles := make([]*db.DB, 4)
	for i := range handles {
		handles[i] = open(t, dsn)
	}
	errs := make([]error, len(handles))
	var wg sync.WaitGroup
	for i, d := range handles {
		wg.Go(func() { errs[i] = d.Migrate(bg) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate on handle %d: %v", i, err)
		}
	}
	if err := handles[0].CheckSchema(bg); err != nil {
		t.Fatalf("CheckSchema: %v", err)
	}
}

// ---------------------------------------------------------------- users

func TestCreateUser(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		_, h := engine.NewToken()
		for _, c := range []struct {
			name string
			role engine.Role
		}{
			{"", engine.RoleApplicant},
			{"   \t ", engine.RoleReviewer},
			{"Someone", "boss"},
			{"Someone", ""},
			{"Someone", "Applicant"},
		} {
			_, err := d.CreateUser(bg, c.name, c.role, h)
			wantCode(t, fmt.Sprintf("CreateUser(%q, %q)", c.name, c.role), err, engine.EINVALID)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM users`); n != 0 {
			t.Fatalf("%d users after invalid creations, want 0", n)
		}

		token, hash := engine.NewToken()
		a, err := d.CreateUser(bg, "  Nguyễn Thị Bích Ngọc  ", engine.RoleReviewer, hash)
		if err != nil {
			t.Fatal(err)
		}
		want := engine.Actor{ID: a.ID, Name: "Nguyễn Thị Bích Ngọc", Role: engine.RoleReviewer}
		if a.ID <= 0 || a != want {
			t.Fatalf("CreateUser = %+v, want %+v with a positive id", a, want)
		}
		got, err := d.ActorByTokenHash(bg, engine.HashToken(token))
		if err != nil {
			t.Fatalf("ActorByTokenHash: %v", err)
		}
		if got != want {
			t.Fatalf("ActorByTokenHash = %+v, want %+v", got, want)
		}

		// Every role can be created and found.
		for _, r := range engine.Roles {
			_, h := engine.NewToken()
			u, err := d.CreateUser(bg, "User "+string(r), r, h)
			if err != nil {
				t.Fatalf("CreateUser role %s: %v", r, err)
			}
			got, err := d.ActorByTokenHash(bg, h)
			if err != nil || got != u || got.Role != r {
				t.Fatalf("ActorByTokenHash for role %s = %+v, %v; want %+v", r, got, err, u)
			}
		}

		_, unknown := engine.NewToken()
		_, err = d.ActorByTokenHash(bg, unknown)
		wantCode(t, "ActorByTokenHash(unknown)", err, engine.EUNAUTHORIZED)
		_, err = d.ActorByTokenHash(bg, "")
		wantCode(t, "ActorByTokenHash(\"\")", err, engine.EUNAUTHORIZED)

		// A duplicate token hash is refused with an error, and the first
		// holder keeps it.
		before := count(t, d, `SELECT COUNT(*) FROM users`)
		dup, err := d.CreateUser(bg, "Impostor", engine.RoleAdmin, hash)
		if err == nil {
			t.Fatalf("CreateUser with a duplicate token hash = %+v, want an error", dup)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM users`); n != before {
			t.Fatalf("users %d after a refused duplicate, want %d", n, before)
		}
		if got, err := d.ActorByTokenHash(bg, hash); err != nil || got != want {
			t.Fatalf("after the duplicate: ActorByTokenHash = %+v, %v; want %+v", got, err, want)
		}

		// A revoked token no longer authenticates.
		if _, err := d.ExecContext(bg, d.Rebind(`UPDATE users SET revoked_at = CURRENT_TIMESTAMP WHERE id = ?`), a.ID); err != nil {
			t.Fatal(err)
		}
		_, err = d.ActorByTokenHash(bg, hash)
		wantCode(t, "ActorByTokenHash(revoked)", err, engine.EUNAUTHORIZED)
	})
}

// ---------------------------------------------------------------- creation

func TestCreateAppraisalStoresTheDossier(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		// 20:00:00.123456789 UTC on 1 March is 03:00 on 2 March in Vietnam.
		now := mustTime("2026-03-01T20:00:00.123456789Z")
		d.Now = clock(now.In(time.FixedZone("CET", 3600)))
		wantAt := time.Date(2026, 3, 1, 20, 0, 0, 123456000, time.UTC)

		full := engine.Dossier{
			ProjectName: "Dự án đầu tư xây dựng nhà máy sản xuất linh kiện điện tử Đông Anh",
			Investor:    "Công ty TNHH Công nghệ Việt – Nhật (VJ Tech)",
			Technology:  "Dây chuyền SMT tự động;\nkiểm tra quang học AOI\tthế hệ 3\r\nỨng dụng “IoT” — 100%",
			Stage:       engine.StageDecision, ProjectGroup: "A", Ownership: "foreign_invested", Sector: "C26",
			CapitalVND:      9_000_000_000_000_000_000,
			InvestorCountry: "JP", TechnologyOrigin: "DE",
			// Decomposed (NFD) Vietnamese must come back as it went in, not composed.
			Locality: "Phu\u031bo\u031b\u0300ng Ba\u0300 Đi\u0300nh, Hà Nội",
		}
		policy := engine.Dossier{
			ProjectName: "Ý kiến công nghệ: nhà máy xử lý rác", Investor: "Hợp tác xã Ánh Dương",
			Technology: "Đốt rác phát điện", Stage: engine.StagePolicy, Ownership: "non_state",
			Sector: "E", CapitalVND: 0,
		}
		// Received on Monday 2 March 2026: group A is due 20 working days
		// later, a request to supplement within 3; no rule gives the policy
		// stage a deadline on this workflow (it runs on technology-opinion).
		clocks := []engine.Clock{{DueOn: "2026-03-30", TriggerDueOn: "2026-03-05"}, {TriggerDueOn: "2026-03-05"}}
		for i, x := range []engine.Dossier{full, policy} {
			a := f.create(t, "SKHCN", f.owner, x)
			if a.ID <= 0 {
				t.Fatalf("id %d", a.ID)
			}
			want := &engine.Appraisal{
				ID: a.ID, Code: a.Code,
				Workflow: engine.WorkflowRef{Name: workflows.TechnologyAppraisal, Version: 2},
				State:    "submitted", Version: 1, Dossier: x,
				ApplicantID: f.owner.ID, ApplicantName: f.owner.Name,
				SubmittedAt: wantAt, UpdatedAt: wantAt, Clock: clocks[i],
			}
			sameAppraisal(t, "CreateAppraisal returned", a, want)
			got, err := d.Appraisal(bg, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameAppraisal(t, "Appraisal read back", got, want)
			if !reflect.DeepEqual(got, a) {
				t.Fatalf("read back\n%+v\nbut CreateAppraisal returned\n%+v", got, a)
			}
			for name, pair := range map[string][2]string{
				"project_name": {got.Dossier.ProjectName, x.ProjectName},
				"investor":     {got.Dossier.Investor, x.Investor},
				"technology":   {got.Dossier.Technology, x.Technology},
				"locality":     {got.Dossier.Locality, x.Locality},
			} {
				if pair[0] != pair[1] {
					t.Errorf("%s: % x, want % x", name, pair[0], pair[1])
				}
			}

			events, err := d.Events(bg, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1 {
				t.Fatalf("%d events, want 1", len(events))
			}
			e := events[0]
			wantEvent := engine.Event{AppraisalID: a.ID, Seq: 1, At: wantAt, Actor: f.owner,
				Trigger: "submit", FromState: "", ToState: "submitted", PrevHash: engine.GenesisHash, Hash: e.Hash}
			if !reflect.DeepEqual(e, wantEvent) {
				t.Fatalf("first event\n%+v\nwant\n%+v", e, wantEvent)
			}
			if len(e.Hash) != 64 || strings.Trim(e.Hash, "0123456789abcdef") != "" || e.Hash == engine.GenesisHash {
				t.Fatalf("hash %q is not a hex SHA-256", e.Hash)
			}
		}
		verifyClean(t, d, 2)
	})
}

func TestCreateAppraisalNormalizes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		in := engine.Dossier{
			ProjectName: "  Nhà máy  ", Investor: "\tCông ty A ", Technology: " Công nghệ\n",
			Stage: " decision ", ProjectGroup: " C ", Ownership: " state ", Sector: " C10 ",
			CapitalVND: 7, InvestorCountry: " vn ", TechnologyOrigin: "kr", Locality: " Xã Yên Viên ",
		}
		want := engine.Dossier{
			ProjectName: "Nhà máy", Investor: "Công ty A", Technology: "Công nghệ",
			Stage: "decision", ProjectGroup: "C", Ownership: "state", Sector: "C10",
			CapitalVND: 7, InvestorCountry: "VN", TechnologyOrigin: "KR", Locality: "Xã Yên Viên",
		}
		a := f.create(t, "SKHCN", f.owner, in)
		got, err := d.Appraisal(bg, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.Dossier != want || got.Dossier != want {
			t.Fatalf("dossier returned %+v, stored %+v; want %+v", a.Dossier, got.Dossier, want)
		}
		verifyClean(t, d, 1)
	})
}

func TestDossierCodes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		next := func(unit string, at string) string {
			t.Helper()
			d.Now = clock(mustTime(at))
			return f.create(t, unit, f.owner, dossier("Dự án "+at)).Code
		}
		for _, c := range []struct{ unit, at, want string }{
			// 20:00 UTC on 1 March is 03:00 on 2 March in Vietnam (UTC+7).
			{"SKHCN", "2026-03-01T20:00:00Z", "SKHCN-260302-0001"},
			{"SKHCN", "2026-03-01T21:30:00Z", "SKHCN-260302-0002"},
			// Another unit numbers its own dossiers.
			{"HN", "2026-03-01T22:00:00Z", "HN-260302-0001"},
			// 23:59:59 on 2 March in Vietnam: still the same day.
			{"SKHCN", "2026-03-02T16:59:59.999999Z", "SKHCN-260302-0003"},
			{"HN", "2026-03-02T16:00:00Z", "HN-260302-0002"},
			// Midnight in Vietnam: a new day, a new sequence.
			{"SKHCN", "2026-03-02T17:00:00Z", "SKHCN-260303-0001"},
			{"SKHCN", "2026-03-03T01:00:00Z", "SKHCN-260303-0002"},
			// 23:59:59 on 1 March in Vietnam (an earlier day, late arrival).
			{"SKHCN", "2026-03-01T16:59:59Z", "SKHCN-260301-0001"},
			// Year change: 31 Dec 2026 19:00 UTC is 1 Jan 2027 in Vietnam.
			{"SKHCN", "2026-12-31T19:00:00Z", "SKHCN-270101-0001"},
		} {
			if got := next(c.unit, c.at); got != c.want {
				t.Fatalf("unit %s at %s: code %s, want %s", c.unit, c.at, got, c.want)
			}
		}

		// A sequence is four digits or more. Jump the 3 March counter of
		// SKHCN (now at 2) to 9998.
		res, err := d.ExecContext(bg, d.Rebind(`UPDATE dossier_sequences SET last = 9998 WHERE unit = ? AND last = 2`), "SKHCN")
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("moved %d counters, want 1", n)
		}
		if got := next("SKHCN", "2026-03-03T02:00:00Z"); got != "SKHCN-260303-9999" {
			t.Fatalf("code %s, want SKHCN-260303-9999", got)
		}
		if got := next("SKHCN", "2026-03-03T03:00:00Z"); got != "SKHCN-260303-10000" {
			t.Fatalf("code %s, want SKHCN-260303-10000", got)
		}
		verifyClean(t, d, 11)
	})
}

func TestCreateAppraisalRefusalsWriteNothing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		d.Now = clock(mustTime("2026-03-01T20:00:00Z"))
		bad := func(change func(x *engine.Dossier)) engine.Dossier {
			x := dossier("Dự án hợp lệ")
			change(&x)
			return x
		}
		invalid := []struct {
			field string
			x     engine.Dossier
		}{
			{"project_name", bad(func(x *engine.Dossier) { x.ProjectName = "" })},
			{"project_name", bad(func(x *engine.Dossier) { x.ProjectName = " \t " })},
			{"project_name", bad(func(x *engine.Dossier) { x.ProjectName = strings.Repeat("ệ", engine.MaxNameLen+1) })},
			{"project_name", bad(func(x *engine.Dossier) { x.ProjectName = "Dự\x00án" })},
			{"project_name", bad(func(x *engine.Dossier) { x.ProjectName = "hai\ndòng" })},
			{"project_name", bad(func(x *engine.Dossier) { x.ProjectName = "bad \xff utf-8" })},
			{"investor", bad(func(x *engine.Dossier) { x.Investor = "" })},
			{"technology", bad(func(x *engine.Dossier) { x.Technology = "" })},
			{"stage", bad(func(x *engine.Dossier) { x.Stage = "" })},
			{"stage", bad(func(x *engine.Dossier) { x.Stage = "Decision" })},
			{"project_group", bad(func(x *engine.Dossier) { x.ProjectGroup = "" })},
			{"project_group", bad(func(x *engine.Dossier) { x.ProjectGroup = "D" })},
			{"ownership", bad(func(x *engine.Dossier) { x.Ownership = "private" })},
			{"sector", bad(func(x *engine.Dossier) { x.Sector = "" })},
			{"sector", bad(func(x *engine.Dossier) { x.Sector = "V" })},
			{"sector", bad(func(x *engine.Dossier) { x.Sector = "C99" })},
			{"sector", bad(func(x *engine.Dossier) { x.Sector = "c26" })},
			{"capital_vnd", bad(func(x *engine.Dossier) { x.CapitalVND = -1 })},
			{"investor_country", bad(func(x *engine.Dossier) { x.InvestorCountry = "XX" })},
			{"technology_origin", bad(func(x *engine.Dossier) { x.TechnologyOrigin = "VNM" })},
			{"locality", bad(func(x *engine.Dossier) { x.Locality = strings.Repeat("a", engine.MaxLocalityLen+1) })},
		}
		first := f.create(t, "SKHCN", f.owner, dossier("Dự án đầu tiên"))
		if first.Code != "SKHCN-260302-0001" {
			t.Fatalf("first code %s", first.Code)
		}
		before := snapshot(t, d)
		for i, c := range invalid {
			a, err := d.CreateAppraisal(bg, f.def, workflows.MustCalendar(), "SKHCN", f.owner, c.x)
			what := fmt.Sprintf("invalid dossier %d (%s)", i, c.field)
			wantCode(t, what, err, engine.EINVALID)
			if a != nil {
				t.Fatalf("%s: returned %+v with the error", what, a)
			}
			var e *engine.Error
			if errors.As(err, &e); e.Field != c.field {
				t.Fatalf("%s: error names field %q, want %q (%v)", what, e.Field, c.field, err)
			}
			if after := snapshot(t, d); after != before {
				t.Fatalf("%s wrote:\n%s\nwas:\n%s", what, after, before)
			}
		}
		for _, actor := range []engine.Actor{f.reviewer, f.appr, f.admin} {
			_, err := d.CreateAppraisal(bg, f.def, workflows.MustCalendar(), "SKHCN", actor, dossier("Dự án của nhân viên"))
			wantCode(t, "CreateAppraisal by "+string(actor.Role), err, engine.EFORBIDDEN)
			if after := snapshot(t, d); after != before {
				t.Fatalf("CreateAppraisal by %s wrote:\n%s\nwas:\n%s", actor.Role, after, before)
			}
		}
		// A refusal does not use up a number.
		if a := f.create(t, "SKHCN", f.owner, dossier("Dự án thứ hai")); a.Code != "SKHCN-260302-0002" {
			t.Fatalf("code after refusals %s, want SKHCN-260302-0002", a.Code)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM appraisals`); n != 2 {
			t.Fatalf("%d appraisals, want 2", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM events`); n != 2 {
			t.Fatalf("%d events, want 2", n)
		}
		verifyClean(t, d, 2)
	})
}

// ---------------------------------------------------------------- transitions

type step struct {
	actor   func(f *fixture) engine.Actor
	trigger string
	in      engine.Input
	to      string
	// comment and outcome as stored (comments are trimmed)
	comment, outcome string
}

var (
	byOwner     = func(f *fixture) engine.Actor { return f.owner }
	byReviewer  = func(f *fixture) engine.Actor { return f.reviewer }
	byAppraiser = func(f *fixture) engine.Actor { return f.appr }
	byAdmin     = func(f *fixture) engine.Actor { return f.admin }
)

func TestTransitionPaths(t *testing.T) {
	paths := map[string][]step{
		"main line": {
			{byReviewer, "review", engine.Input{}, "reviewed", "", ""},
			{byAppraiser, "appraise", engine.Input{Outcome: "approved"}, "appraised", "", "approved"},
			{byReviewer, "archive", engine.Input{}, "archived", "", ""},
		},
		"supplement, resubmit, conditions, archived by admin": {
			{byReviewer, "request_supplement", engine.Input{Comment: "  Bổ sung hồ sơ năng lực\ncủa nhà thầu.  "}, "returned", "Bổ sung hồ sơ năng lực\ncủa nhà thầu.", ""},
			{byOwner, "resubmit", engine.Input{Comment: "Đã bổ sung"}, "submitted", "Đã bổ sung", ""},
			{byReviewer, "review", engine.Input{Comment: "Đủ hồ sơ"}, "reviewed", "Đủ hồ sơ", ""},
			{byAppraiser, "appraise", engine.Input{Outcome: "approved_with_conditions", Comment: "Điều kiện: xử lý khí thải"}, "appraised", "Điều kiện: xử lý khí thải", "approved_with_conditions"},
			{byAdmin, "archive", engine.Input{}, "archived", "", ""},
		},
		"not approved": {
			{byReviewer, "review", engine.Input{}, "reviewed", "", ""},
			{byAppraiser, "appraise", engine.Input{Outcome: "not_approved", Comment: "Công nghệ lạc hậu"}, "appraised", "Công nghệ lạc hậu", "not_approved"},
			{byAdmin, "archive", engine.Input{}, "archived", "", ""},
		},
		"rejected": {
			{byReviewer, "reject", engine.Input{Comment: "Không thuộc thẩm quyền"}, "rejected", "Không thuộc thẩm quyền", ""},
			{byReviewer, "archive", engine.Input{}, "archived", "", ""},
		},
		"withdrawn when submitted": {
			{byOwner, "withdraw", engine.Input{}, "withdrawn", "", ""},
			{byAdmin, "archive", engine.Input{}, "archived", "", ""},
		},
		"withdrawn when returned": {
			{byReviewer, "request_supplement", engine.Input{Comment: "Thiếu bản vẽ"}, "returned", "Thiếu bản vẽ", ""},
			{byOwner, "withdraw", engine.Input{Comment: "Rút hồ sơ"}, "withdrawn", "Rút hồ sơ", ""},
			{byReviewer, "archive", engine.Input{}, "archived", "", ""},
		},
		"supplemented twice": {
			{byReviewer, "request_supplement", engine.Input{Comment: "Lần 1"}, "returned", "Lần 1", ""},
			{byOwner, "resubmit", engine.Input{}, "submitted", "", ""},
			{byReviewer, "request_supplement", engine.Input{Comment: "Lần 2"}, "returned", "Lần 2", ""},
			{byOwner, "resubmit", engine.Input{}, "submitted", "", ""},
			{byReviewer, "reject", engine.Input{Comment: "Vẫn thiếu"}, "rejected", "Vẫn thiếu", ""},
		},
	}
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		names := make([]string, 0, len(paths))
		for name := range paths {
			names = append(names, name)
		}
		slices.Sort(names)
		t0 := mustTime("2026-03-02T01:00:00.5Z")
		for _, name := range names {
			steps := paths[name]
			d.Now = clock(t0)
			a := f.create(t, "SKHCN", f.owner, dossier(name))
			created := *a
			wantEvents := []engine.Event{{AppraisalID: a.ID, Seq: 1, At: t0, Actor: f.owner,
				Trigger: "submit", ToState: "submitted", PrevHash: engine.GenesisHash}}
			outcome := ""
			for i, s := range steps {
				at := t0.Add(time.Duration(i+1)*time.Hour + time.Duration(i+1)*time.Microsecond)
				d.Now = clock(at)
				actor := s.actor(f)
				from := a.State
				got := f.fire(t, a.ID, actor, s.trigger, s.in)
				if s.outcome != "" {
					outcome = s.outcome
				}
				want := created
				want.State, want.Version, want.UpdatedAt, want.Outcome = s.to, i+2, at, outcome
				want.Clock = got.Clock // the clock has its own tests: TestDeadlineClock
				what := fmt.Sprintf("%s step %d (%s)", name, i, s.trigger)
				sameAppraisal(t, what+": returned", got, &want)
				stored, err := d.Appraisal(bg, a.ID)
				if err != nil {
					t.Fatal(err)
				}
				sameAppraisal(t, what+": stored", stored, &want)
				if !reflect.DeepEqual(stored, got) {
					t.Fatalf("%s: stored\n%+v\nbut Transition returned\n%+v", what, stored, got)
				}
				wantEvents = append(wantEvents, engine.Event{AppraisalID: a.ID, Seq: i + 2, At: at, Actor: actor,
					Trigger: s.trigger, FromState: from, ToState: s.to, Comment: s.comment, Outcome: s.outcome})
				a = got
			}
			events, err := d.Events(bg, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != len(wantEvents) {
				t.Fatalf("%s: %d events, want %d", name, len(events), len(wantEvents))
			}
			prev := engine.GenesisHash
			seen := map[string]bool{}
			for i := range events {
				e, w := events[i], wantEvents[i]
				w.PrevHash, w.Hash = prev, e.Hash
				if !reflect.DeepEqual(e, w) {
					t.Fatalf("%s: event %d\n%+v\nwant\n%+v", name, i+1, e, w)
				}
				if len(e.Hash) != 64 || seen[e.Hash] {
					t.Fatalf("%s: event %d hash %q is not a fresh SHA-256", name, i+1, e.Hash)
				}
				seen[e.Hash] = true
				prev = e.Hash
			}
		}
		verifyClean(t, d, len(paths))
	})
}

func TestTransitionIfMatch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a := f.create(t, "SKHCN", f.owner, dossier("If-Match"))
		req := engine.TransitionRequest{AppraisalID: a.ID, Actor: f.reviewer, Trigger: "review"}
		for _, v := range []int{2, 3, -1} {
			before := snapshot(t, d)
			req.IfVersion = v
			_, err := d.Transition(bg, f.cat, req)
			wantCode(t, fmt.Sprintf("If-Match %d at version 1", v), err, engine.EPRECONDITION)
			if after := snapshot(t, d); after != before {
				t.Fatalf("a refused If-Match wrote:\n%s\nwas:\n%s", after, before)
			}
		}
		req.IfVersion = 1
		got, err := d.Transition(bg, f.cat, req)
		if err != nil || got.Version != 2 || got.State != "reviewed" {
			t.Fatalf("If-Match 1 at version 1: %+v, %v", got, err)
		}
		// The same request again is stale now, even for a trigger that
		// would be permitted.
		before := snapshot(t, d)
		_, err = d.Transition(bg, f.cat, engine.TransitionRequest{AppraisalID: a.ID, Actor: f.appr,
			Trigger: "appraise", Input: engine.Input{Outcome: "approved"}, IfVersion: 1})
		wantCode(t, "stale If-Match", err, engine.EPRECONDITION)
		if after := snapshot(t, d); after != before {
			t.Fatalf("a stale If-Match wrote:\n%s\nwas:\n%s", after, before)
		}
		got, err = d.Transition(bg, f.cat, engine.TransitionRequest{AppraisalID: a.ID, Actor: f.appr,
			Trigger: "appraise", Input: engine.Input{Outcome: "approved"}, IfVersion: 2})
		if err != nil || got.Version != 3 || got.Outcome != "approved" {
			t.Fatalf("If-Match 2 at version 2: %+v, %v", got, err)
		}
		verifyClean(t, d, 1)
	})
}

func TestTransitionFailuresWriteNothing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sub := f.create(t, "SKHCN", f.owner, dossier("Đang chờ"))
		rev := f.create(t, "SKHCN", f.owner, dossier("Đã xem xét"))
		f.fire(t, rev.ID, f.reviewer, "review", engine.Input{})
		arch := f.create(t, "SKHCN", f.owner, dossier("Đã lưu"))
		f.fire(t, arch.ID, f.owner, "withdraw", engine.Input{})
		f.fire(t, arch.ID, f.admin, "archive", engine.Input{})
		othersOwn := f.create(t, "SKHCN", f.other, dossier("Của người khác"))

		type c struct {
			name      string
			req       engine.TransitionRequest
			code      engine.Code
			permitted []string // for ECONFLICT
		}
		r := func(a *engine.Appraisal, actor engine.Actor, trigger string, in engine.Input) engine.TransitionRequest {
			return engine.TransitionRequest{AppraisalID: a.ID, Actor: actor, Trigger: trigger, Input: in}
		}
		withIf := func(req engine.TransitionRequest, v int) engine.TransitionRequest { req.IfVersion = v; return req }
		cases := []c{
			// not permitted in the state: ECONFLICT naming what is
			{"archive a submitted one", r(sub, f.reviewer, "archive", engine.Input{}), engine.ECONFLICT, []string{"extend", "reject", "request_supplement", "review"}},
			{"resubmit a submitted one", r(sub, f.owner, "resubmit", engine.Input{}), engine.ECONFLICT, []string{"withdraw"}},
			{"appraise a submitted one", r(sub, f.appr, "appraise", engine.Input{Outcome: "approved"}), engine.ECONFLICT, []string{"extend"}},
			{"review a reviewed one", r(rev, f.reviewer, "review", engine.Input{}), engine.ECONFLICT, []string{"extend"}},
			{"withdraw a reviewed one", r(rev, f.owner, "withdraw", engine.Input{}), engine.ECONFLICT, []string{}},
			{"archive an archived one", r(arch, f.admin, "archive", engine.Input{}), engine.ECONFLICT, []string{}},
			// another applicant's: ENOTFOUND whatever is asked
			{"another applicant withdraws", r(sub, f.other, "withdraw", engine.Input{}), engine.ENOTFOUND, nil},
			{"another applicant reviews", r(sub, f.other, "review", engine.Input{}), engine.ENOTFOUND, nil},
			{"another applicant, unknown trigger", r(sub, f.other, "nope", engine.Input{}), engine.ENOTFOUND, nil},
			{"another applicant, stale If-Match", withIf(r(sub, f.other, "withdraw", engine.Input{}), 7), engine.ENOTFOUND, nil},
			{"owner withdraws another's", r(othersOwn, f.owner, "withdraw", engine.Input{}), engine.ENOTFOUND, nil},
			// no such appraisal
			{"unknown id", engine.TransitionRequest{AppraisalID: othersOwn.ID + 1000, Actor: f.reviewer, Trigger: "review"}, engine.ENOTFOUND, nil},
			{"id 0", engine.TransitionRequest{AppraisalID: 0, Actor: f.reviewer, Trigger: "review"}, engine.ENOTFOUND, nil},
			// role or ownership
			{"appraiser reviews", r(sub, f.appr, "review", engine.Input{}), engine.EFORBIDDEN, nil},
			{"owner reviews", r(sub, f.owner, "review", engine.Input{}), engine.EFORBIDDEN, nil},
			{"reviewer withdraws", r(sub, f.reviewer, "withdraw", engine.Input{}), engine.EFORBIDDEN, nil},
			{"admin withdraws", r(sub, f.admin, "withdraw", engine.Input{}), engine.EFORBIDDEN, nil},
			// unknown triggers
			{"unknown trigger", r(sub, f.reviewer, "approve", engine.Input{}), engine.EUNKNOWNTRIGGER, nil},
			{"submit is not a transition", r(sub, f.owner, "submit", engine.Input{}), engine.EUNKNOWNTRIGGER, nil},
			// missing or invalid data
			{"reject without comment", r(sub, f.reviewer, "reject", engine.Input{}), engine.EINVALID, nil},
			{"reject with a blank comment", r(sub, f.reviewer, "reject", engine.Input{Comment: " \n\t "}), engine.EINVALID, nil},
			{"request_supplement without comment", r(sub, f.reviewer, "request_supplement", engine.Input{}), engine.EINVALID, nil},
			{"review with an outcome", r(sub, f.reviewer, "review", engine.Input{Outcome: "approved"}), engine.EINVALID, nil},
			{"comment too long", r(sub, f.reviewer, "reject", engine.Input{Comment: strings.Repeat("x", engine.MaxCommentLen+1)}), engine.EINVALID, nil},
			{"comment with NUL", r(sub, f.reviewer, "reject", engine.Input{Comment: "a\x00b"}), engine.EINVALID, nil},
			{"appraise without outcome", r(rev, f.appr, "appraise", engine.Input{Comment: "x"}), engine.EINVALID, nil},
			{"appraise with an unknown outcome", r(rev, f.appr, "appraise", engine.Input{Outcome: "maybe", Comment: "x"}), engine.EINVALID, nil},
			{"not_approved without comment", r(rev, f.appr, "appraise", engine.Input{Outcome: "not_approved"}), engine.EINVALID, nil},
			{"with conditions without comment", r(rev, f.appr, "appraise", engine.Input{Outcome: "approved_with_conditions"}), engine.EINVALID, nil},
			// If-Match before anything else but visibility
			{"stale If-Match on a permitted trigger", withIf(r(sub, f.reviewer, "review", engine.Input{}), 2), engine.EPRECONDITION, nil},
			{"stale If-Match on a refused trigger", withIf(r(sub, f.reviewer, "archive", engine.Input{}), 5), engine.EPRECONDITION, nil},
		}
		before := snapshot(t, d)
		for _, c := range cases {
			got, err := d.Transition(bg, f.cat, c.req)
			wantCode(t, c.name, err, c.code)
			if got != nil {
				t.Fatalf("%s: returned %+v with the error", c.name, got)
			}
			if c.code == engine.ECONFLICT {
				var e *engine.Error
				errors.As(err, &e)
				if !slices.Equal(e.Permitted, c.permitted) || e.Permitted == nil {
					t.Fatalf("%s: permitted %#v, want %#v", c.name, e.Permitted, c.permitted)
				}
			}
			if after := snapshot(t, d); after != before {
				t.Fatalf("%s wrote:\n%s\nwas:\n%s", c.name, after, before)
			}
		}
		// Nothing was written, and each appraisal is where it was.
		for _, w := range []struct {
			a       *engine.Appraisal
			state   string
			version int
			events  int
		}{{sub, "submitted", 1, 1}, {rev, "reviewed", 2, 2}, {arch, "archived", 3, 3}, {othersOwn, "submitted", 1, 1}} {
			got, err := d.Appraisal(bg, w.a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.State != w.state || got.Version != w.version {
				t.Fatalf("appraisal %d at %s v%d, want %s v%d", w.a.ID, got.State, got.Version, w.state, w.version)
			}
			if n := count(t, d, `SELECT COUNT(*) FROM events WHERE appraisal_id = ?`, w.a.ID); n != w.events {
				t.Fatalf("appraisal %d has %d events, want %d", w.a.ID, n, w.events)
			}
		}
		verifyClean(t, d, 4)
	})
}

func TestAppraisalNotFound(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		_, err := d.Appraisal(bg, 42)
		wantCode(t, "Appraisal(42)", err, engine.ENOTFOUND)
		events, err := d.Events(bg, 42)
		if err != nil || len(events) != 0 {
			t.Fatalf("Events(42) = %v, %v; want none", events, err)
		}
	})
}

// ---------------------------------------------------------------- concurrency

func TestConcurrentSameTrigger(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a := f.create(t, "SKHCN", f.owner, dossier("Tranh chấp"))
		const n = 20
		errs := make([]error, n)
		results := make([]*engine.Appraisal, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				results[i], errs[i] = d.Transition(bg, f.cat, engine.TransitionRequest{AppraisalID: a.ID, Actor: f.reviewer, Trigger: "review"})
			})
		}
		close(start)
		wg.Wait()
		ok, conflicts := 0, 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
				if results[i].Version != 2 || results[i].State != "reviewed" {
					t.Errorf("the winner got %s v%d", results[i].State, results[i].Version)
				}
			case engine.ErrorCode(err) == engine.ECONFLICT:
				conflicts++
			default:
				t.Errorf("goroutine %d: %v (code %s)", i, err, engine.ErrorCode(err))
			}
		}
		if ok != 1 || conflicts != n-1 {
			t.Fatalf("%d succeeded and %d conflicted; want 1 and %d", ok, conflicts, n-1)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM events WHERE appraisal_id = ?`, a.ID); c != 2 {
			t.Fatalf("%d events, want 2", c)
		}
		got, err := d.Appraisal(bg, a.ID)
		if err != nil || got.Version != 2 || got.State != "reviewed" {
			t.Fatalf("after the race: %+v, %v", got, err)
		}
		verifyClean(t, d, 1)
	})
}

func TestConcurrentMixedTriggers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		const apps, perApp = 5, 10
		as := make([]*engine.Appraisal, apps)
		for i := range as {
			as[i] = f.create(t, "SKHCN", f.owner, dossier("Hỗn hợp "+strconv.Itoa(i)))
		}
		type attempt struct {
			app     int
			actor   engine.Actor
			trigger string
			in      engine.Input
			res     *engine.Appraisal
			err     error
		}
		kinds := []func() (engine.Actor, string, engine.Input){
			func() (engine.Actor, string, engine.Input) { return f.reviewer, "review", engine.Input{} },
			func() (engine.Actor, string, engine.Input) {
				return f.reviewer, "reject", engine.Input{Comment: "Từ chối"}
			},
			func() (engine.Actor, string, engine.Input) {
				return f.reviewer, "request_supplement", engine.Input{Comment: "Bổ sung"}
			},
			func() (engine.Actor, string, engine.Input) { return f.owner, "withdraw", engine.Input{} },
		}
		attempts := make([]*attempt, 0, apps*perApp)
		for i := range apps {
			for j := range perApp {
				actor, trig, in := kinds[(i+j)%len(kinds)]()
				attempts = append(attempts, &attempt{app: i, actor: actor, trigger: trig, in: in})
			}
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, at := range attempts {
			wg.Go(func() {
				<-start
				at.res, at.err = d.Transition(bg, f.cat, engine.TransitionRequest{
					AppraisalID: as[at.app].ID, Actor: at.actor, Trigger: at.trigger, Input: at.in})
			})
		}
		close(start)
		wg.Wait()

		for i, a := range as {
			var wins []*attempt
			for _, at := range attempts {
				if at.app != i {
					continue
				}
				switch {
				case at.err == nil:
					wins = append(wins, at)
				case engine.ErrorCode(at.err) != engine.ECONFLICT:
					t.Errorf("appraisal %d, %s: %v (code %s)", i, at.trigger, at.err, engine.ErrorCode(at.err))
				}
			}
			if len(wins) == 0 {
				t.Fatalf("appraisal %d: no attempt succeeded", i)
			}
			events, err := d.Events(bg, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != 1+len(wins) {
				t.Fatalf("appraisal %d: %d successes but %d events", i, len(wins), len(events))
			}
			versions := map[int]bool{}
			last := wins[0]
			for _, w := range wins {
				v := w.res.Version
				if versions[v] || v < 2 || v > 1+len(wins) {
					t.Fatalf("appraisal %d: success %s returned version %d", i, w.trigger, v)
				}
				versions[v] = true
				e := events[v-1]
				if e.Seq != v || e.Trigger != w.trigger || e.Actor != w.actor || e.ToState != w.res.State {
					t.Fatalf("appraisal %d: success %s (v%d, %s) has event %+v", i, w.trigger, v, w.res.State, e)
				}
				if v > last.res.Version {
					last = w
				}
			}
			got, err := d.Appraisal(bg, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != 1+len(wins) || got.State != last.res.State {
				t.Fatalf("appraisal %d at %s v%d; the last success left %s v%d", i, got.State, got.Version, last.res.State, last.res.Version)
			}
		}
		verifyClean(t, d, apps)
	})
}

// Two server processes on one database number dossiers without a gap or a
// duplicate.
func TestDossierCodesAcrossProcesses(t *testing.T) {
	eachEngine(t, func(t *testing.T, e db.Engine, dsn string) {
		d1 := openMigrated(t, dsn)
		d2 := openMigrated(t, dsn)
		f := newFixture(t, d1)
		now := clock(mustTime("2026-03-01T20:00:00Z"))
		d1.Now, d2.Now = now, now
		handles := []*db.DB{d1, d2}
		const n = 30
		codes := make([]string, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				a, err := handles[i%2].CreateAppraisal(bg, f.def, workflows.MustCalendar(), "SKHCN", f.owner, dossier("Song song "+strconv.Itoa(i)))
				if err == nil {
					codes[i] = a.Code
				}
				errs[i] = err
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("create %d on handle %d: %v", i, i%2+1, err)
			}
		}
		seen := map[string]bool{}
		var seqs []int
		for _, c := range codes {
			if seen[c] {
				t.Fatalf("code %s given twice", c)
			}
			seen[c] = true
			rest, ok := strings.CutPrefix(c, "SKHCN-260302-")
			if !ok {
				t.Fatalf("code %s, want SKHCN-260302-NNNN", c)
			}
			s, err := strconv.Atoi(rest)
			if err != nil || len(rest) != 4 {
				t.Fatalf("code %s: sequence %q", c, rest)
			}
			seqs = append(seqs, s)
		}
		slices.Sort(seqs)
		for i, s := range seqs {
			if s != i+1 {
				t.Fatalf("sequences %v, want 1..%d", seqs, n)
			}
		}
		if c := count(t, d2, `SELECT COUNT(*) FROM appraisals`); c != n {
			t.Fatalf("%d appraisals, want %d", c, n)
		}
		verifyClean(t, d2, n)
	})
}

// Transitions from two processes on the same appraisals: no lost or doubled
// transition.
func TestTransitionsAcrossProcesses(t *testing.T) {
	eachEngine(t, func(t *testing.T, e db.Engine, dsn string) {
		d1 := openMigrated(t, dsn)
		d2 := openMigrated(t, dsn)
		f := newFixture(t, d1)
		const apps = 4
		as := make([]*engine.Appraisal, apps)
		for i := range as {
			as[i] = f.create(t, "SKHCN", f.owner, dossier("Hai tiến trình "+strconv.Itoa(i)))
		}
		// Each appraisal goes around request_supplement/resubmit; each
		// trigger is fired from both handles at once: exactly one wins.
		const rounds = 5
		for round := range rounds {
			for _, step := range []struct {
				actor   engine.Actor
				trigger string
				in      engine.Input
			}{
				{f.reviewer, "request_supplement", engine.Input{Comment: "Vòng " + strconv.Itoa(round)}},
				{f.owner, "resubmit", engine.Input{}},
			} {
				start := make(chan struct{})
				var wg sync.WaitGroup
				errs := make([]error, 2*apps)
				for i := range 2 * apps {
					h := []*db.DB{d1, d2}[i%2]
					wg.Go(func() {
						<-start
						_, errs[i] = h.Transition(bg, f.cat, engine.TransitionRequest{AppraisalID: as[i/2].ID,
							Actor: step.actor, Trigger: step.trigger, Input: step.in})
					})
				}
				close(start)
				wg.Wait()
				for i := 0; i < len(errs); i += 2 {
					ok := 0
					for _, err := range errs[i : i+2] {
						if err == nil {
							ok++
						} else if engine.ErrorCode(err) != engine.ECONFLICT {
							t.Fatalf("%s: %v", step.trigger, err)
						}
					}
					if ok != 1 {
						t.Fatalf("round %d, %s on appraisal %d: %d successes, want 1", round, step.trigger, i/2, ok)
					}
				}
			}
		}
		for _, a := range as {
			got, err := d2.Appraisal(bg, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Version != 1+2*rounds || got.State != "submitted" {
				t.Fatalf("appraisal %d at %s v%d, want submitted v%d", a.ID, got.State, got.Version, 1+2*rounds)
			}
		}
		verifyClean(t, d1, apps)
	})
}

// ---------------------------------------------------------------- listing

func TestAppraisalsList(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		d.Now = clock(mustTime("2026-03-01T20:00:00Z"))
		mk := func(owner engine.Actor, name, investor, stage, group, ownership, sector string) *engine.Appraisal {
			return f.create(t, "SKHCN", owner, engine.Dossier{ProjectName: name, Investor: investor,
				Technology: "Mô tả công nghệ", Stage: stage, ProjectGroup: group, Ownership: ownership,
				Sector: sector, CapitalVND: 1})
		}
		p := []*engine.Appraisal{
			mk(f.owner, "100% solar", "Sunrise Energy JSC", "decision", "A", "non_state", "D35"),
			mk(f.owner, "Chip packaging line", "Công ty Bán dẫn", "policy", "", "foreign_invested", "C26"),
			mk(f.owner, "Textile dyeing", "Dệt may Hà Nội", "decision", "B", "state", "C"),
			mk(f.other, "Water treatment", "ACME_Water", "policy", "", "state", "E36"),
			mk(f.owner, "Rice processing", "Nông sản Việt", "decision", "C", "non_state", "C10"),
			mk(f.other, "Logistics hub", "Trans Co", "policy", "", "foreign_invested", "H52"),
			mk(f.owner, "Smart Factory", "FPT Software", "decision", "national", "state", "C26"),
		}
		f.fire(t, p[1].ID, f.reviewer, "review", engine.Input{})
		f.fire(t, p[2].ID, f.reviewer, "reject", engine.Input{Comment: "Không đạt"})
		f.fire(t, p[4].ID, f.reviewer, "request_supplement", engine.Input{Comment: "Bổ sung"})

		want := func(idx ...int) []int64 {
			out := []int64{}
			for _, i := range idx {
				out = append(out, p[i].ID)
			}
			return out
		}
		list := func(fl engine.ListFilter) []*engine.Appraisal {
			t.Helper()
			if fl.Limit == 0 {
				fl.Limit = 50
			}
			got, err := d.Appraisals(bg, fl)
			if err != nil {
				t.Fatalf("Appraisals(%+v): %v", fl, err)
			}
			// Letting the state lead changes the plan, never the answer.
			fl.StateLeads = !fl.StateLeads
			again, err := d.Appraisals(bg, fl)
			if err != nil || !slices.Equal(ids(again), ids(got)) {
				t.Fatalf("Appraisals(%+v): %v %v, but %v the other way", fl, ids(again), err, ids(got))
			}
			return got
		}

		// Newest first, every field as Appraisal returns it.
		all := list(engine.ListFilter{})
		if got := ids(all); !slices.Equal(got, want(6, 5, 4, 3, 2, 1, 0)) {
			t.Fatalf("all: %v, want %v", got, want(6, 5, 4, 3, 2, 1, 0))
		}
		for _, a := range all {
			one, err := d.Appraisal(bg, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, one) {
				t.Fatalf("listed\n%+v\nbut Appraisal gives\n%+v", a, one)
			}
		}

		// Keyset paging: 3, 3, 1, no overlap, then nothing.
		var pages [][]int64
		before := int64(0)
		for {
			page := list(engine.ListFilter{Limit: 3, BeforeID: before})
			if len(page) == 0 {
				break
			}
			pages = append(pages, ids(page))
			before = page[len(page)-1].ID
			if len(pages) > 5 {
				t.Fatal("paging does not end")
			}
		}
		if !reflect.DeepEqual(pages, [][]int64{want(6, 5, 4), want(3, 2, 1), want(0)}) {
			t.Fatalf("pages %v, want [%v %v %v]", pages, want(6, 5, 4), want(3, 2, 1), want(0))
		}

		for _, c := range []struct {
			name string
			f    engine.ListFilter
			want []int64
		}{
			{"state submitted", engine.ListFilter{State: "submitted"}, want(6, 5, 3, 0)},
			{"state reviewed", engine.ListFilter{State: "reviewed"}, want(1)},
			{"state rejected", engine.ListFilter{State: "rejected"}, want(2)},
			{"state returned", engine.ListFilter{State: "returned"}, want(4)},
			{"state archived", engine.ListFilter{State: "archived"}, want()},
			{"stage policy", engine.ListFilter{Stage: "policy"}, want(5, 3, 1)},
			{"stage decision", engine.ListFilter{Stage: "decision"}, want(6, 4, 2, 0)},
			{"ownership state", engine.ListFilter{Ownership: "state"}, want(6, 3, 2)},
			{"ownership non_state", engine.ListFilter{Ownership: "non_state"}, want(4, 0)},
			{"ownership foreign_invested", engine.ListFilter{Ownership: "foreign_invested"}, want(5, 1)},
			{"section C", engine.ListFilter{Sector: "C"}, want(6, 4, 2, 1)},
			{"section D", engine.ListFilter{Sector: "D"}, want(0)},
			{"section E", engine.ListFilter{Sector: "E"}, want(3)},
			{"section A", engine.ListFilter{Sector: "A"}, want()},
			{"division C26", engine.ListFilter{Sector: "C26"}, want(6, 1)},
			{"division C10", engine.ListFilter{Sector: "C10"}, want(4)},
			{"division D35", engine.ListFilter{Sector: "D35"}, want(0)},
			{"division C11", engine.ListFilter{Sector: "C11"}, want()},
			{"q project name, other case", engine.ListFilter{Q: "SOLAR"}, want(0)},
			{"q mixed case", engine.ListFilter{Q: "smart FACTORY"}, want(6)},
			{"q investor", engine.ListFilter{Q: "sunrise"}, want(0)},
			{"q Vietnamese investor", engine.ListFilter{Q: "Dệt may"}, want(2)},
			{"q Vietnamese upper case", engine.ListFilter{Q: "DỆT MAY"}, want(2)},
			{"q code", engine.ListFilter{Q: strings.ToLower(p[3].Code)}, want(3)},
			{"q code prefix", engine.ListFilter{Q: "skhcn-260302-"}, want(6, 5, 4, 3, 2, 1, 0)},
			{"q 100%", engine.ListFilter{Q: "100%"}, want(0)},
			{"q % is literal", engine.ListFilter{Q: "%"}, want(0)},
			{"q 10% is literal", engine.ListFilter{Q: "10%"}, want()},
			{"q _ is literal", engine.ListFilter{Q: "_"}, want(3)},
			{"q acme_w", engine.ListFilter{Q: "acme_w"}, want(3)},
			{"q a_m is literal", engine.ListFilter{Q: "a_m"}, want()},
			{"q backslash", engine.ListFilter{Q: `\`}, want()},
			{"q nothing", engine.ListFilter{Q: "zzzz"}, want()},
			{"applicant other", engine.ListFilter{ApplicantID: f.other.ID}, want(5, 3)},
			{"applicant owner", engine.ListFilter{ApplicantID: f.owner.ID}, want(6, 4, 2, 1, 0)},
			{"applicant with no appraisal", engine.ListFilter{ApplicantID: f.reviewer.ID}, want()},
			{"applicant owner, state submitted", engine.ListFilter{ApplicantID: f.owner.ID, State: "submitted"}, want(6, 0)},
			{"applicant other, section C", engine.ListFilter{ApplicantID: f.other.ID, Sector: "C"}, want()},
			{"section C, decision, q", engine.ListFilter{Sector: "C", Stage: "decision", Q: "i"}, want(4, 2)},
			{"section C, before p4", engine.ListFilter{Sector: "C", BeforeID: p[4].ID}, want(2, 1)},
			{"limit 1", engine.ListFilter{Limit: 1}, want(6)},
		} {
			if got := ids(list(c.f)); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
		}

		// Paging an applicant's own list.
		pages = nil
		before = 0
		for range 5 {
			page := list(engine.ListFilter{ApplicantID: f.owner.ID, Limit: 2, BeforeID: before})
			if len(page) == 0 {
				break
			}
			pages = append(pages, ids(page))
			before = page[len(page)-1].ID
		}
		if !reflect.DeepEqual(pages, [][]int64{want(6, 4), want(2, 1), want(0)}) {
			t.Fatalf("owner's pages %v", pages)
		}
	})
}

// ---------------------------------------------------------------- audit trail

func TestEventsAndVerifyChains(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		verifyClean(t, d, 0)
		f := newFixture(t, d)
		a := f.create(t, "SKHCN", f.owner, dossier("Một"))
		b := f.create(t, "SKHCN", f.other, dossier("Hai"))
		f.fire(t, b.ID, f.reviewer, "request_supplement", engine.Input{Comment: "Thiếu"})
		f.fire(t, b.ID, f.other, "resubmit", engine.Input{})
		ea, err := d.Events(bg, a.ID)
		if err != nil || len(ea) != 1 {
			t.Fatalf("events of a: %v, %v", ea, err)
		}
		eb, err := d.Events(bg, b.ID)
		if err != nil || len(eb) != 3 {
			t.Fatalf("events of b: %v, %v", eb, err)
		}
		for i, e := range eb {
			if e.AppraisalID != b.ID || e.Seq != i+1 {
				t.Fatalf("event %d of b: %+v", i, e)
			}
		}
		if eb[1].Actor != f.reviewer || eb[2].Actor != f.other || eb[1].Comment != "Thiếu" {
			t.Fatalf("events of b: %+v", eb)
		}
		verifyClean(t, d, 2)
	})
}

// tamperFixture creates two appraisals with a few events through the
// product, and returns them with a raw connection to the same database.
func tamperFixture(t *testing.T, e db.Engine, dsn string) (*db.DB, *engine.Appraisal, *engine.Appraisal) {
	t.Helper()
	d := openMigrated(t, dsn)
	f := newFixture(t, d)
	a := f.create(t, "SKHCN", f.owner, dossier("Nguyên vẹn"))
	f.fire(t, a.ID, f.reviewer, "review", engine.Input{})
	b := f.create(t, "SKHCN", f.owner, dossier("Bị sửa"))
	f.fire(t, b.ID, f.reviewer, "request_supplement", engine.Input{Comment: "Bổ sung giấy phép"})
	f.fire(t, b.ID, f.owner, "resubmit", engine.Input{})
	verifyClean(t, d, 2)
	return d, a, b
}

func wantFault(t *testing.T, d *db.DB, what string, want db.ChainFault) {
	t.Helper()
	n, faults, err := d.VerifyChains(bg)
	if err != nil {
		t.Fatalf("%s: VerifyChains: %v", what, err)
	}
	if n != 2 || len(faults) != 1 {
		t.Fatalf("%s: checked %d, faults %v; want 2 checked and one fault", what, n, faults)
	}
	got := faults[0]
	if got.AppraisalID != want.AppraisalID || got.Code != want.Code || got.Seq != want.Seq || got.Problem == "" {
		t.Fatalf("%s: fault %+v, want appraisal %d (%s) seq %d", what, got, want.AppraisalID, want.Code, want.Seq)
	}
	if !strings.Contains(got.String(), want.Code) {
		t.Fatalf("%s: fault %q does not name the code", what, got)
	}
}

func TestTamperDetected(t *testing.T) {
	eachEngine(t, func(t *testing.T, e db.Engine, dsn string) {
		d, a, b := tamperFixture(t, e, dsn)
		raw := dbtest.Raw(t, dsn)
		run := func(q string, args ...any) error {
			_, err := raw.Exec(raw.Rebind(q), args...)
			return err
		}
		must := func(q string, args ...any) {
			t.Helper()
			if err := run(q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}

		// The database itself refuses to change the trail.
		for _, q := range []string{
			`UPDATE events SET comment = 'đã sửa' WHERE appraisal_id = ? AND seq = 2`,
			`DELETE FROM events WHERE appraisal_id = ? AND seq = 3`,
			`DELETE FROM events WHERE appraisal_id = ?`,
		} {
			if err := run(q, b.ID); err == nil {
				t.Fatalf("%s succeeded; the trail must be append-only", q)
			}
		}
		if e == db.Postgres {
			if err := run(`TRUNCATE events CASCADE`); err == nil {
				t.Fatal("TRUNCATE events succeeded")
			}
		}
		verifyClean(t, d, 2)

		// Around the guard: drop or disable it.
		if e == db.SQLite {
			must(`DROP TRIGGER events_no_update`)
			must(`DROP TRIGGER events_no_delete`)
		} else {
			must(`ALTER TABLE events DISABLE TRIGGER events_append_only`)
		}

		must(`UPDATE events SET comment = 'Không cần bổ sung' WHERE appraisal_id = ? AND seq = 2`, b.ID)
		wantFault(t, d, "a changed comment", db.ChainFault{AppraisalID: b.ID, Code: b.Code, Seq: 2})
		must(`UPDATE events SET comment = 'Bổ sung giấy phép' WHERE appraisal_id = ? AND seq = 2`, b.ID)
		verifyClean(t, d, 2)

		must(`UPDATE events SET actor_name = 'Ai đó' WHERE appraisal_id = ? AND seq = 3`, b.ID)
		wantFault(t, d, "a changed actor", db.ChainFault{AppraisalID: b.ID, Code: b.Code, Seq: 3})
		must(`UPDATE events SET actor_name = ? WHERE appraisal_id = ? AND seq = 3`, "Nguyễn Văn An", b.ID)
		verifyClean(t, d, 2)

		// A dossier changed behind the API: the first event covers it.
		must(`UPDATE appraisals SET capital_vnd = capital_vnd + 1 WHERE id = ?`, a.ID)
		wantFault(t, d, "a changed dossier", db.ChainFault{AppraisalID: a.ID, Code: a.Code, Seq: 1})
		must(`UPDATE appraisals SET capital_vnd = capital_vnd - 1 WHERE id = ?`, a.ID)
		verifyClean(t, d, 2)

		// The row's state disagrees with its trail.
		must(`UPDATE appraisals SET state = 'appraised' WHERE id = ?`, a.ID)
		wantFault(t, d, "a changed state", db.ChainFault{AppraisalID: a.ID, Code: a.Code, Seq: 0})
		must(`UPDATE appraisals SET state = 'reviewed' WHERE id = ?`, a.ID)
		verifyClean(t, d, 2)

		must(`UPDATE appraisals SET outcome = 'approved' WHERE id = ?`, a.ID)
		wantFault(t, d, "a forged outcome", db.ChainFault{AppraisalID: a.ID, Code: a.Code, Seq: 0})
		must(`UPDATE appraisals SET outcome = NULL WHERE id = ?`, a.ID)
		verifyClean(t, d, 2)

		// The newest event deleted: the row is ahead of its trail.
		must(`DELETE FROM events WHERE appraisal_id = ? AND seq = 3`, b.ID)
		wantFault(t, d, "a deleted event", db.ChainFault{AppraisalID: b.ID, Code: b.Code, Seq: 0})
	})
}

// ---------------------------------------------------------------- bugs

// VerifyChains runs beside live transitions (`audit verify` on a serving
// database): it must not report a fault that is only a transition landing
// between its read of the row and its read of the trail.
func TestVerifyChainsDuringTransitions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		const apps = 4
		as := make([]*engine.Appraisal, apps)
		for i := range as {
			as[i] = f.create(t, "SKHCN", f.owner, dossier("Kiểm tra "+strconv.Itoa(i)))
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for _, a := range as {
			wg.Go(func() {
				for {
					for _, s := range []struct {
						actor   engine.Actor
						trigger string
						in      engine.Input
					}{{f.reviewer, "request_supplement", engine.Input{Comment: "x"}}, {f.owner, "resubmit", engine.Input{}}} {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := d.Transition(bg, f.cat, engine.TransitionRequest{AppraisalID: a.ID, Actor: s.actor, Trigger: s.trigger, Input: s.in}); err != nil {
							t.Errorf("%s: %v", s.trigger, err)
							return
						}
					}
				}
			})
		}
		// Verify for up to 3 seconds, stopping at the first false fault.
		var faults []db.ChainFault
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline) && len(faults) == 0; {
			_, fs, err := d.VerifyChains(bg)
			if err != nil {
				t.Error(err)
				break
			}
			faults = append(faults, fs...)
		}
		close(stop)
		wg.Wait()
		if len(faults) > 0 {
			t.Fatalf("VerifyChains reported %d faults on a database only the product wrote, e.g. %v", len(faults), faults[0])
		}
		verifyClean(t, d, apps)
	})
}

// A transition locks its appraisal, not its applicant: on PostgreSQL, work
// that merely references the applicant's user row (any insert with a
// foreign key to it takes FOR KEY SHARE on it until commit: an appraisal
// the applicant is submitting, an event the applicant fires) must not block
// a transition of another of that applicant's appraisals, nor be blocked by
// one.
func TestTransitionLocksOnlyItsRowPostgres(t *testing.T) {
	t.Parallel()
	dsn := dbtest.DSN(t, db.Postgres)
	d := openMigrated(t, dsn)
	f := newFixture(t, d)
	a := f.create(t, "SKHCN", f.owner, dossier("Khoá hàng"))

	raw := dbtest.Raw(t, dsn)
	tx, err := raw.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`SELECT id FROM users WHERE id = $1 FOR KEY SHARE`, f.owner.ID); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 3*time.Second)
	defer cancel()
	_, err = d.Transition(ctx, f.cat, engine.TransitionRequest{AppraisalID: a.ID, Actor: f.reviewer, Trigger: "review"})
	if err != nil {
		t.Fatalf("review while the applicant's user row is referenced by another transaction: %v "+
			"(the transition's SELECT ... FOR UPDATE locks the joined users row too)", err)
	}
}

// Dossiers submitted at once are each found by their own words: the search
// text is computed per dossier, never mixed with another being submitted at
// the same moment (run with -race too).
func TestConcurrentCreateThenSearch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		const n = 40
		words := []string{"Đông Anh", "Sóc Sơn", "Gia Lâm", "Thanh Trì", "Mê Linh", "Ba Vì", "Hoài Đức", "Thường Tín"}
		name := func(i int) string { return fmt.Sprintf("Nhà máy %s số %03d", words[i%len(words)], i) }
		ids := make([]int64, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				x := dossier(name(i))
				x.Investor = "Nhà đầu tư " + strings.Repeat("ư", i%7) + " " + strconv.Itoa(i)
				a, err := d.CreateAppraisal(bg, f.def, workflows.MustCalendar(), "SKHCN", f.owner, x)
				if err != nil {
					t.Errorf("create %d: %v", i, err)
					return
				}
				ids[i] = a.ID
			})
		}
		// Searches run beside the submissions.
		for range n {
			wg.Go(func() {
				<-start
				if _, err := d.Appraisals(bg, engine.ListFilter{Q: "Nhà máy Đông", Limit: 5}); err != nil {
					t.Errorf("search: %v", err)
				}
			})
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		for i := range n {
			got, err := d.Appraisals(bg, engine.ListFilter{Q: name(i), Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].ID != ids[i] {
				t.Errorf("q %q found %v, want [%d]", name(i), idsOf(got), ids[i])
			}
		}
	})
}

func idsOf(as []*engine.Appraisal) []int64 { return ids(as) }

// TestTransitionAs: the token is resolved with the appraisal, and a bad
// token is refused before anything else is said.
func TestTransitionAs(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		token, hash := engine.NewToken()
		rev, err := d.CreateUser(bg, "Người xét", engine.RoleReviewer, hash)
		if err != nil {
			t.Fatal(err)
		}
		a := f.create(t, "SKHCN", f.owner, dossier("Qua token"))
		req := engine.TransitionRequest{AppraisalID: a.ID, Trigger: "review"}
		_, unknownHash := engine.NewToken()
		for _, c := range []struct {
			name string
			hash string
			id   int64
			code engine.Code
		}{
			{"unknown token", unknownHash, a.ID, engine.EUNAUTHORIZED},
			{"unknown token, no such appraisal", unknownHash, a.ID + 100, engine.EUNAUTHORIZED},
			{"good token, no such appraisal", engine.HashToken(token), a.ID + 100, engine.ENOTFOUND},
		} {
			r := req
			r.AppraisalID = c.id
			if _, _, err := d.TransitionAs(bg, f.cat, c.hash, r); engine.ErrorCode(err) != c.code {
				t.Errorf("%s: %v, want %s", c.name, err, c.code)
			}
		}
		got, actor, err := d.TransitionAs(bg, f.cat, engine.HashToken(token), req)
		if err != nil || got.State != "reviewed" || actor != rev {
			t.Fatalf("TransitionAs: %+v %+v %v", got, actor, err)
		}
		events, _ := d.Events(bg, a.ID)
		if last := events[len(events)-1]; last.Actor != rev {
			t.Errorf("the event's actor %+v, want %+v", last.Actor, rev)
		}
		if _, err := d.RevokeUser(bg, rev.ID); err != nil {
			t.Fatal(err)
		}
		req.Trigger = "extend"
		req.Input = engine.Input{Comment: "x", DueAt: "2099-12-31"}
		if _, _, err := d.TransitionAs(bg, f.cat, engine.HashToken(token), req); engine.ErrorCode(err) != engine.EUNAUTHORIZED {
			t.Errorf("revoked token: %v", err)
		}
	})
}
