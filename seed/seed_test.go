package seed_test

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/seed"
	"github.com/appraisal/appraisal/workflows"
)

// vn builds a time in Vietnam time.
func vn(y int, m time.Month, d, h int) time.Time {
	return time.Date(y, m, d, h, 0, 0, 0, engine.VietnamTime)
}

// until is what `appraisal seed --until 2025-06-02` passes: midnight at the
// start of that day in Vietnam time (a Monday).
var until = vn(2025, time.June, 2, 0)

func config(t testing.TB, count int, s uint64) seed.Config {
	return seed.Config{Count: count, Seed: s, Until: until, Years: 6, Unit: "SKHCN", Workflows: workflows.Embedded()}
}

// definitionOf returns the workflow a dossier starts on, as the API picks it.
func definitionOf(t testing.TB, d engine.Dossier) *engine.Definition {
	t.Helper()
	def, err := workflows.Embedded().ForDossier(&d)
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// fakeUsers gives seed.Users ids 1..n, as a fresh database would.
func fakeUsers(cfg seed.Config) []engine.Actor {
	specs := seed.Users(cfg)
	out := make([]engine.Actor, len(specs))
	for i, s := range specs {
		out[i] = engine.Actor{ID: int64(i + 1), Name: s.Name, Role: s.Role}
	}
	return out
}

func noSeqs(string) int64 { return 0 }

func newGen(t testing.TB, cfg seed.Config, users []engine.Actor, lastSeq func(string) int64) *seed.Generator {
	t.Helper()
	g, err := seed.New(cfg, users, lastSeq)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// generate makes every batch, in order.
func generate(t testing.TB, cfg seed.Config) []engine.Trail {
	t.Helper()
	g := newGen(t, cfg, fakeUsers(cfg), noSeqs)
	var out []engine.Trail
	for i := range g.Batches() {
		out = append(out, g.Batch(i)...)
	}
	if len(out) != cfg.Count {
		t.Fatalf("generated %d appraisals, want %d", len(out), cfg.Count)
	}
	return out
}

// firstTrailDiff names the first trail where a and b differ, "" when equal.
func firstTrailDiff(a, b []engine.Trail) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%d trails against %d", len(a), len(b))
	}
	for i := range a {
		if !reflect.DeepEqual(a[i].Appraisal, b[i].Appraisal) {
			return fmt.Sprintf("appraisal %d: %+v against %+v", i, *a[i].Appraisal, *b[i].Appraisal)
		}
		if !reflect.DeepEqual(a[i].Events, b[i].Events) {
			return fmt.Sprintf("events of appraisal %d (%s): %+v against %+v", i, a[i].Appraisal.Code, a[i].Events, b[i].Events)
		}
	}
	return ""
}

// 1. Determinism.

func TestDeterministic(t *testing.T) {
	t.Parallel()
	cfg := config(t, seed.BatchSize+300, 42) // two batches, the last partial
	if !reflect.DeepEqual(seed.Users(cfg), seed.Users(cfg)) {
		t.Fatal("seed.Users differs between two calls with the same config")
	}
	users := fakeUsers(cfg)
	g1 := newGen(t, cfg, users, noSeqs)
	g2 := newGen(t, cfg, users, noSeqs)
	if g1.Batches() != 2 || g2.Batches() != 2 {
		t.Fatalf("Batches() = %d, %d; want 2", g1.Batches(), g2.Batches())
	}
	inOrder := make([][]engine.Trail, 2)
	for i := range inOrder {
		inOrder[i] = g1.Batch(i)
	}
	// A second generator, batches made in reverse order.
	reversed := make([][]engine.Trail, 2)
	for i := 1; i >= 0; i-- {
		reversed[i] = g2.Batch(i)
	}
	// The same generator again, batches made at once (as the seed command
	// does): -race checks they share nothing mutable.
	parallel := make([][]engine.Trail, 2)
	var wg sync.WaitGroup
	for i := range parallel {
		wg.Go(func() { parallel[i] = g1.Batch(i) })
	}
	wg.Wait()
	for i := range inOrder {
		if d := firstTrailDiff(inOrder[i], reversed[i]); d != "" {
			t.Errorf("batch %d made in order and in reverse order differ: %s", i, d)
		}
		if d := firstTrailDiff(inOrder[i], parallel[i]); d != "" {
			t.Errorf("batch %d made in order and in parallel differ: %s", i, d)
		}
	}
	var total int
	for _, b := range inOrder {
		total += len(b)
	}
	if total != cfg.Count {
		t.Errorf("batches hold %d appraisals, want %d", total, cfg.Count)
	}

	other := cfg
	other.Seed = 43
	if reflect.DeepEqual(seed.Users(cfg), seed.Users(other)) {
		t.Error("seed.Users is the same for seeds 42 and 43")
	}
	g3 := newGen(t, other, fakeUsers(other), noSeqs)
	for i := range 2 {
		if firstTrailDiff(inOrder[i], g3.Batch(i)) == "" {
			t.Errorf("batch %d is the same for seeds 42 and 43", i)
		}
	}
}

// 2. Every trail is a valid life of the workflow.

// checkTrail replays tr through the engine and returns what is wrong with it.
func checkTrail(ctx context.Context, cfg seed.Config, tr engine.Trail) []string {
	var bad []string
	a := tr.Appraisal
	code := a.Code
	badf := func(format string, args ...any) { bad = append(bad, code+": "+fmt.Sprintf(format, args...)) }
	if len(tr.Events) == 0 {
		return []string{code + ": no events"}
	}
	def, err := workflows.Embedded().ForDossier(&a.Dossier)
	if err != nil {
		return []string{code + ": " + err.Error()}
	}
	if a.Workflow != def.Ref() {
		badf("workflow %+v, want %+v", a.Workflow, def.Ref())
	}
	// The dossier is what the API would accept, already normalized.
	d := a.Dossier
	d.Normalize()
	if d != a.Dossier {
		badf("Normalize changes the dossier: %+v to %+v", a.Dossier, d)
	}
	if err := d.Validate(); err != nil {
		badf("invalid dossier %+v: %v", a.Dossier, err)
	}
	isTime := func(what string, at time.Time) {
		if at.Location() != time.UTC || !at.Equal(engine.Timestamp(at)) || at != engine.Timestamp(at) {
			badf("%s %v is not a UTC time at microsecond precision", what, at)
		}
	}
	isTime("submitted_at", a.SubmittedAt)
	isTime("updated_at", a.UpdatedAt)
	if !a.AppraisedAt.IsZero() {
		isTime("appraised_at", a.AppraisedAt)
	}

	first := tr.Events[0]
	if err := engine.CheckCreate(def, first.Actor); err != nil {
		badf("event 1: CheckCreate(%+v): %v", first.Actor, err)
	}
	if first.Trigger != def.CreationTrigger().Name || first.ToState != def.Initial || first.FromState != "" ||
		first.PrevHash != engine.GenesisHash || first.Comment != "" || first.Outcome != "" {
		badf("event 1 is not a submission: %+v", first)
	}
	if first.Actor.ID != a.ApplicantID || first.Actor.Name != a.ApplicantName {
		badf("event 1 by %+v, but the applicant is %d %s", first.Actor, a.ApplicantID, a.ApplicantName)
	}
	if !first.At.Equal(a.SubmittedAt) {
		badf("submitted_at %v but event 1 at %v", a.SubmittedAt, first.At)
	}
	state := def.Initial
	extended := false
	for i, ev := range tr.Events {
		if ev.Seq != i+1 {
			badf("event %d has seq %d", i+1, ev.Seq)
		}
		isTime(fmt.Sprintf("event %d time", ev.Seq), ev.At)
		if ev.At.After(cfg.Until) {
			badf("event %d (%s) at %v, after Until %v", ev.Seq, ev.Trigger, ev.At, cfg.Until.UTC())
		}
		if i == 0 {
			continue
		}
		if !ev.At.After(tr.Events[i-1].At) {
			badf("event %d at %v, not after event %d at %v", ev.Seq, ev.At, i, tr.Events[i-1].At)
		}
		if ev.FromState != state {
			badf("event %d from %q, but the appraisal is in %q", ev.Seq, ev.FromState, state)
		}
		// The one extension is permitted while the clock runs, which the
		// seed's deadline tests check; here, who fires what from where.
		subj := engine.Subject{State: state, OwnerID: a.ApplicantID, Extendable: !extended}
		to, err := engine.Fire(ctx, def, subj, ev.Actor, ev.Trigger,
			engine.Input{Comment: ev.Comment, Outcome: ev.Outcome, DueAt: ev.DueOn})
		extended = extended || ev.Trigger == "extend"
		if err != nil {
			badf("event %d: %s by %+v in %s: %v", ev.Seq, ev.Trigger, ev.Actor, state, err)
			return bad
		}
		if to != ev.ToState {
			badf("event %d: %s goes to %s, the trail says %s", ev.Seq, ev.Trigger, to, ev.ToState)
		}
		state = to
	}
	if a.State != state {
		badf("state %s, the trail ends in %s", a.State, state)
	}
	if !a.UpdatedAt.Equal(tr.Events[len(tr.Events)-1].At) {
		badf("updated_at %v, the last event is at %v", a.UpdatedAt, tr.Events[len(tr.Events)-1].At)
	}
	// Hashes, links, version, outcome and appraised_at against the trail.
	if seq, problem := engine.VerifyChain(a, tr.Events); problem != "" {
		badf("chain, event %d: %s", seq, problem)
	}
	return bad
}

func TestTrailsAreLivesOfTheWorkflow(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		until time.Time
		years int
	}{
		// What `--until 2025-06-02` (a Monday) passes: weekend submissions
		// just before it must not be moved past it.
		{"monday midnight", until, 2},
		{"wednesday noon", vn(2025, time.June, 4, 12), 1},
		{"friday midnight", vn(2025, time.June, 6, 0), 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := config(t, 3000, 7)
			cfg.Until, cfg.Years = c.until, c.years
			var bad []string
			for _, tr := range generate(t, cfg) {
				bad = append(bad, checkTrail(ctx, cfg, tr)...)
			}
			for i, b := range bad {
				if i == 15 {
					t.Errorf("... and %d more", len(bad)-i)
					break
				}
				t.Error(b)
			}
		})
	}
}

// 3. A realistic mix.

var codeRE = regexp.MustCompile(`^([A-Z]+)-(\d{6})-(\d{4,})$`)

func TestRealisticMix(t *testing.T) {
	t.Parallel()
	cfg := config(t, 5000, 1)
	trails := generate(t, cfg)
	cal := cfg.Workflows.Calendar()

	users := seed.Users(cfg)
	roles := map[engine.Role]int{}
	for _, u := range users {
		roles[u.Role]++
		if len(strings.Fields(u.Name)) != 3 {
			t.Errorf("user name %q is not a three-part Vietnamese name", u.Name)
		}
	}
	for _, r := range engine.Roles {
		if roles[r] == 0 {
			t.Errorf("no user of role %s", r)
		}
	}

	// Triggers and states are counted per workflow: "technology-opinion/answered".
	triggers, states, years := map[string]int{}, map[string]int{}, map[int]int{}
	judged, extended, overdueAtUntil := map[string]int{}, 0, 0
	stages, groups, owners, sectors := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	countries, origins, outcomes := map[string]int{}, map[string]int{}, map[string]int{}
	codes := map[string]bool{}
	perDay := map[string][]int64{} // the numbers of each day, in submission order
	var offHours []string
	for _, tr := range trails {
		a := tr.Appraisal
		for _, ev := range tr.Events {
			triggers[a.Workflow.Name+"/"+ev.Trigger]++
			local := ev.At.In(engine.VietnamTime)
			if !cal.IsWorkingDay(engine.Day(ev.At)) || local.Hour() < 8 || local.Hour() >= 17 {
				offHours = append(offHours, fmt.Sprintf("%s event %d (%s) at %s", a.Code, ev.Seq, ev.Trigger, local.Format(time.RFC1123)))
			}
		}
		states[a.Workflow.Name+"/"+a.State]++
		judged[a.Judged]++
		if a.Extensions > 0 {
			extended++
		}
		if a.Overdue(engine.Day(cfg.Until.Add(-time.Second))) {
			overdueAtUntil++
		}
		years[a.SubmittedAt.In(engine.VietnamTime).Year()]++
		d := a.Dossier
		stages[d.Stage]++
		groups[d.ProjectGroup]++
		owners[d.Ownership]++
		sectors[d.Sector]++
		countries[d.InvestorCountry]++
		origins[d.TechnologyOrigin]++
		if a.Outcome != "" {
			outcomes[a.Outcome]++
		}

		if codes[a.Code] {
			t.Errorf("code %s twice", a.Code)
		}
		codes[a.Code] = true
		m := codeRE.FindStringSubmatch(a.Code)
		if m == nil || m[1] != cfg.Unit {
			t.Errorf("code %q is not of the form %s-YYMMDD-NNNN", a.Code, cfg.Unit)
			continue
		}
		if day := a.SubmittedAt.In(engine.VietnamTime).Format("060102"); m[2] != day {
			t.Errorf("code %s, but submitted %s (%s in Vietnam)", a.Code, a.SubmittedAt, day)
		}
		n, _ := strconv.ParseInt(m[3], 10, 64)
		perDay[m[2]] = append(perDay[m[2]], n)
	}

	for _, stage := range []string{engine.StagePolicy, engine.StageDecision} {
		def := definitionOf(t, engine.Dossier{Stage: stage})
		for _, tr := range def.Triggers {
			// Sending a draft back is the one branch the seed leaves out.
			if triggers[def.Name+"/"+tr.Name] == 0 && tr.Name != "return_draft" {
				t.Errorf("%s: trigger %s never fired", def.Name, tr.Name)
			}
		}
		for _, s := range def.States {
			// Every state is where some dossiers stand at Until: final ones,
			// and in-progress ones for the recent submissions.
			if states[def.Name+"/"+s.Name] == 0 {
				t.Errorf("%s: no appraisal ends in state %s (final: %v)", def.Name, s.Name, s.Final)
			}
		}
		for _, o := range def.Trigger(map[string]string{"technology-appraisal": "appraise", "technology-opinion": "give_opinion"}[def.Name]).Outcomes {
			if outcomes[o] == 0 {
				t.Errorf("%s: outcome %s never recorded", def.Name, o)
			}
		}
	}
	// Deadlines: most handled on time, some late, a few extended, some
	// running past their due date at Until.
	if share := float64(judged[engine.OnTime]) / float64(judged[engine.OnTime]+judged[engine.Late]); share < 0.75 || share > 0.97 {
		t.Errorf("on-time share %.2f (%v), want a realistic 0.75..0.97", share, judged)
	}
	if extended == 0 || overdueAtUntil == 0 {
		t.Errorf("%d extended, %d overdue at Until; want some of each", extended, overdueAtUntil)
	}
	if len(years) < cfg.Years {
		t.Errorf("submissions cover years %v, want at least %d years", slices.Sorted(maps.Keys(years)), cfg.Years)
	}
	for _, s := range []string{engine.StagePolicy, engine.StageDecision} {
		if stages[s] == 0 {
			t.Errorf("no dossier of stage %s", s)
		}
	}
	for _, o := range engine.Ownerships() {
		if owners[o] == 0 {
			t.Errorf("no dossier of ownership %s", o)
		}
	}
	for _, g := range []string{"national", "A", "B", "C", ""} {
		if groups[g] == 0 {
			t.Errorf("no dossier of project group %q", g)
		}
	}
	if len(sectors) <= 10 {
		t.Errorf("only %d sectors: %v", len(sectors), sectors)
	}
	if len(countries) <= 5 {
		t.Errorf("only %d investor countries: %v", len(countries), countries)
	}
	if len(origins) <= 5 {
		t.Errorf("only %d technology origins: %v", len(origins), origins)
	}
	for day, ns := range perDay {
		for i, n := range ns {
			if n != int64(i+1) {
				t.Errorf("day %s numbered %v in submission order, want 1..%d", day, ns, len(ns))
				break
			}
		}
	}
	if len(offHours) > 0 {
		t.Errorf("%d of the events fall outside working days 08:00-17:00 Vietnam time, such as %s", len(offHours), offHours[0])
	}
	t.Logf("states %v; triggers %v; outcomes %v; years %v; judged %v; extended %d; overdue at Until %d",
		states, triggers, outcomes, years, judged, extended, overdueAtUntil)
}

// Database helpers.

// seedInto does what `appraisal seed` does (cmd/appraisal/seed.go): users,
// the numbering so far, batches written from the highest id on, FinishBulk.
// Every batch is written at once (one at a time on SQLite), as the command
// writes them with several writers.
func seedInto(t testing.TB, d *db.DB, cfg seed.Config) ([]engine.Actor, []engine.Trail) {
	t.Helper()
	ctx := context.Background()
	specs := seed.Users(cfg)
	names, roles := make([]string, len(specs)), make([]engine.Role, len(specs))
	for i, s := range specs {
		names[i], roles[i] = s.Name, s.Role
	}
	users, err := d.CreateUsers(ctx, names, roles)
	if err != nil {
		t.Fatalf("CreateUsers: %v", err)
	}
	seqs, err := d.LastDossierSeqs(ctx, cfg.Unit)
	if err != nil {
		t.Fatalf("LastDossierSeqs: %v", err)
	}
	gen := newGen(t, cfg, users, func(day string) int64 { return seqs[day] })
	firstID, err := d.MaxAppraisalID(ctx)
	if err != nil {
		t.Fatalf("MaxAppraisalID: %v", err)
	}
	batches := make([][]engine.Trail, gen.Batches())
	errs := make([]error, len(batches))
	var wg sync.WaitGroup
	var mu sync.Mutex // SQLite: one writer
	for i := range batches {
		batches[i] = gen.Batch(i)
		wg.Go(func() {
			if d.Engine == db.SQLite {
				mu.Lock()
				defer mu.Unlock()
			}
			errs[i] = d.InsertTrails(ctx, firstID+int64(i*seed.BatchSize)+1, batches[i])
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("InsertTrails, batch %d: %v", i, err)
		}
	}
	if err := d.FinishBulk(ctx); err != nil {
		t.Fatalf("FinishBulk: %v", err)
	}
	return users, slices.Concat(batches...)
}

// table returns every row of a query as strings, with its column names.
func table(t testing.TB, d *db.DB, query string) ([]string, [][]string) {
	t.Helper()
	rows, err := d.Queryx(query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals, err := rows.SliceScan()
		if err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			switch v := v.(type) {
			case nil:
				row[i] = "NULL"
			case []byte:
				row[i] = "text:" + string(v)
			case string:
				row[i] = "text:" + v
			case time.Time:
				row[i] = "time:" + v.UTC().Format(time.RFC3339Nano)
			default:
				row[i] = fmt.Sprintf("%T:%v", v, v)
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, out
}

// sameTable compares a query's rows on two databases, column by column.
func sameTable(t *testing.T, dA, dB *db.DB, query string) {
	t.Helper()
	colsA, rowsA := table(t, dA, query)
	colsB, rowsB := table(t, dB, query)
	if !slices.Equal(colsA, colsB) {
		t.Fatalf("%s: columns %v against %v", query, colsA, colsB)
	}
	if len(rowsA) != len(rowsB) {
		t.Errorf("%s: %d rows seeded against %d through the API", query, len(rowsA), len(rowsB))
	}
	diffs := 0
	for i := range min(len(rowsA), len(rowsB)) {
		for j, col := range colsA {
			if rowsA[i][j] != rowsB[i][j] {
				if diffs++; diffs <= 12 {
					t.Errorf("%s, row %d (%s, %s), %s: seeded %s, API %s", query, i+1,
						rowsA[i][0], rowsA[i][1], col, rowsA[i][j], rowsB[i][j])
				}
			}
		}
	}
	if diffs > 12 {
		t.Errorf("%s: %d differing values in all", query, diffs)
	}
}

func verifyChains(t *testing.T, d *db.DB, want int) {
	t.Helper()
	checked, faults, err := d.VerifyChains(context.Background())
	if err != nil {
		t.Fatalf("VerifyChains: %v", err)
	}
	if checked != want {
		t.Errorf("VerifyChains checked %d appraisals, want %d", checked, want)
	}
	for i, f := range faults {
		if i == 10 {
			t.Errorf("... %d faults in all", len(faults))
			break
		}
		t.Errorf("chain fault: %s", f)
	}
}

// 4. The seeded rows and hash chains are exactly what the API writes.

func TestSeedWritesWhatTheAPIWrites(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := config(t, 250, 11)
			cfg.Years = 2

			dA := dbtest.Open(t, e)
			usersA, trails := seedInto(t, dA, cfg)
			verifyChains(t, dA, cfg.Count)

			// B: the same users, then every event through the API's write
			// path at its time, all appraisals interleaved in time order.
			dB := dbtest.Open(t, e)
			specs := seed.Users(cfg)
			names, roles := make([]string, len(specs)), make([]engine.Role, len(specs))
			for i, s := range specs {
				names[i], roles[i] = s.Name, s.Role
			}
			usersB, err := dB.CreateUsers(ctx, names, roles)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(usersA, usersB) {
				t.Fatalf("the users differ between the databases")
			}
			type step struct{ trail, event int }
			var steps []step
			for i, tr := range trails {
				for j := range tr.Events {
					steps = append(steps, step{i, j})
				}
			}
			sort.SliceStable(steps, func(x, y int) bool {
				return trails[steps[x].trail].Events[steps[x].event].At.Before(trails[steps[y].trail].Events[steps[y].event].At)
			})
			ids := make([]int64, len(trails))
			catalog := workflows.Embedded()
			// Durability of B does not matter here, only its rows: commits
			// without waiting for the disk keep the replay quick.
			if e == db.SQLite {
				dB.MustExec(`PRAGMA synchronous = OFF`)
			} else {
				dB.SetMaxOpenConns(1)
				dB.MustExec(`SET synchronous_commit = off`)
			}
			for _, s := range steps {
				tr := trails[s.trail]
				ev := tr.Events[s.event]
				at := ev.At
				dB.Now = func() time.Time { return at }
				if ev.Seq == 1 {
					a, err := dB.CreateAppraisal(ctx, definitionOf(t, tr.Appraisal.Dossier), workflows.MustCalendar(), cfg.Unit, ev.Actor, tr.Appraisal.Dossier)
					if err != nil {
						t.Fatalf("creating %s: %v", tr.Appraisal.Code, err)
					}
					ids[s.trail] = a.ID
					if a.Code != tr.Appraisal.Code {
						t.Errorf("the API numbers %s the dossier seeded as %s", a.Code, tr.Appraisal.Code)
					}
					continue
				}
				_, err := dB.Transition(ctx, catalog, engine.TransitionRequest{AppraisalID: ids[s.trail], Actor: ev.Actor,
					Trigger: ev.Trigger, Input: engine.Input{Comment: ev.Comment, Outcome: ev.Outcome, DueAt: ev.DueOn}})
				if err != nil {
					t.Fatalf("%s, event %d (%s by %s): %v", tr.Appraisal.Code, ev.Seq, ev.Trigger, ev.Actor.Name, err)
				}
			}
			verifyChains(t, dB, cfg.Count)
			for i, tr := range trails {
				if tr.Appraisal.ID != ids[i] {
					t.Fatalf("%s: id %d seeded, %d through the API", tr.Appraisal.Code, tr.Appraisal.ID, ids[i])
				}
			}

			sameTable(t, dA, dB, `SELECT * FROM appraisals ORDER BY id`)
			sameTable(t, dA, dB, `SELECT * FROM events ORDER BY appraisal_id, seq`)
			sameTable(t, dA, dB, `SELECT * FROM dossier_sequences ORDER BY unit, day`)

			// And the API carries on from the seeded data: the next dossier
			// gets the next id and the next number of its day.
			last := trails[len(trails)-1]
			at := last.Appraisal.SubmittedAt.Add(time.Second)
			for _, d := range []*db.DB{dA, dB} {
				d.Now = func() time.Time { return at }
				a, err := d.CreateAppraisal(ctx, definitionOf(t, last.Appraisal.Dossier), workflows.MustCalendar(), cfg.Unit, last.Events[0].Actor, last.Appraisal.Dossier)
				if err != nil {
					t.Fatalf("%s: creating after the seed: %v", d.Engine, err)
				}
				n, _ := strconv.Atoi(last.Appraisal.Code[strings.LastIndexByte(last.Appraisal.Code, '-')+1:])
				if want := engine.DossierCode(cfg.Unit, at, int64(n+1)); a.Code != want || a.ID != int64(cfg.Count+1) {
					t.Errorf("created %d %s after the seed, want %d %s", a.ID, a.Code, cfg.Count+1, want)
				}
			}
		})
	}
}

// 5. Appending continues the numbering.

func TestAppend(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			d := dbtest.Open(t, e)
			total := 0
			// On PostgreSQL the first run has two batches, written at once as
			// the command does (SQLite has one writer: one batch keeps it
			// quick under -race); the second uses the same seed, so every one
			// of its days is taken already; the third another seed.
			first := 300
			if e == db.Postgres {
				first = seed.BatchSize + 300
			}
			for _, c := range []struct {
				count int
				seed  uint64
			}{{first, 1}, {300, 1}, {300, 9}} {
				cfg := config(t, c.count, c.seed)
				cfg.Years = 2
				n, err := d.CountAppraisals(ctx)
				if err != nil || n != int64(total) {
					t.Fatalf("CountAppraisals = %d, %v; want %d", n, err, total)
				}
				_, trails := seedInto(t, d, cfg)
				for i, tr := range trails {
					if tr.Appraisal.ID != int64(total+i+1) {
						t.Fatalf("appended appraisal %d has id %d, want %d", i, tr.Appraisal.ID, total+i+1)
					}
				}
				total += c.count
			}
			verifyChains(t, d, total)

			_, rows := table(t, d, `SELECT code FROM appraisals ORDER BY id`)
			if len(rows) != total {
				t.Fatalf("%d appraisals, want %d", len(rows), total)
			}
			perDay := map[string][]int{}
			seen := map[string]bool{}
			for _, r := range rows {
				code := strings.TrimPrefix(r[0], "text:")
				if seen[code] {
					t.Errorf("code %s twice", code)
				}
				seen[code] = true
				m := codeRE.FindStringSubmatch(code)
				if m == nil {
					t.Fatalf("code %q", code)
				}
				n, _ := strconv.Atoi(m[3])
				perDay[m[2]] = append(perDay[m[2]], n)
			}
			seqs, err := d.LastDossierSeqs(ctx, "SKHCN")
			if err != nil {
				t.Fatal(err)
			}
			if len(seqs) != len(perDay) {
				t.Errorf("dossier_sequences has %d days, the codes %d", len(seqs), len(perDay))
			}
			for yymmdd, ns := range perDay {
				slices.Sort(ns)
				for i, n := range ns {
					if n != i+1 {
						t.Errorf("day %s numbered %v, want 1..%d", yymmdd, ns, len(ns))
						break
					}
				}
				day, _ := time.Parse("060102", yymmdd)
				if last := seqs[day.Format(time.DateOnly)]; last != int64(len(ns)) {
					t.Errorf("dossier_sequences says %d for %s, the codes go to %d", last, day.Format(time.DateOnly), len(ns))
				}
			}
		})
	}
}
