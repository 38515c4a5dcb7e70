package engine_test

import (
	"testing"
	"time"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// The deadline clock, on the shipped calendar (Tết 2026: 16-20 February off)
// and the shipped workflows. Every expected day below is counted by hand.

func workflow(t *testing.T, name string, version int) *engine.Definition {
	t.Helper()
	def, err := workflows.Embedded().Definition(engine.WorkflowRef{Name: name, Version: version})
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// at is 10:00 Vietnam time on day.
func at(day string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, day, engine.VietnamTime)
	if err != nil {
		panic(err)
	}
	return d.Add(10 * time.Hour)
}

type clockStep struct {
	day     string
	actor   engine.Actor
	trigger string
	in      engine.Input
	want    engine.Clock
	// code, when set, is the error the step must fail with, changing nothing.
	code engine.Code
}

var (
	owner     = engine.Actor{ID: 1, Name: "Công ty Điện tử", Role: engine.RoleApplicant}
	reviewerA = engine.Actor{ID: 2, Name: "Trần Thị Bình", Role: engine.RoleReviewer}
	appraiser = engine.Actor{ID: 3, Name: "Lê Văn Cường", Role: engine.RoleAppraiser}
)

func runClock(t *testing.T, def *engine.Definition, d engine.Dossier, received string, start engine.Clock, steps []clockStep) *engine.Appraisal {
	t.Helper()
	cal := workflows.MustCalendar()
	a := &engine.Appraisal{Code: "SKHCN-260209-0001", Workflow: def.Ref(), State: def.Initial, Version: 1,
		Dossier: d, ApplicantID: owner.ID, SubmittedAt: at(received)}
	engine.StartClock(def, cal, a, received)
	if a.Clock != start {
		t.Fatalf("received %s: clock %+v, want %+v", received, a.Clock, start)
	}
	for _, s := range steps {
		before := *a
		ev, err := engine.Transit(t.Context(), def, cal, a, s.actor, s.trigger, s.in, at(s.day), "prev")
		if s.code != "" {
			if engine.ErrorCode(err) != s.code || *a != before {
				t.Fatalf("%s %s: error %v, want %s and no change", s.day, s.trigger, err, s.code)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s %s: %v", s.day, s.trigger, err)
		}
		if a.Clock != s.want {
			t.Fatalf("%s %s (now %s): clock %+v, want %+v", s.day, s.trigger, a.State, a.Clock, s.want)
		}
		if ev.DueOn != s.in.DueAt {
			t.Errorf("%s %s: event due_on %q, want %q", s.day, s.trigger, ev.DueOn, s.in.DueAt)
		}
	}
	return a
}

func groupDossier(group string) engine.Dossier {
	return engine.Dossier{ProjectName: "P", Investor: "I", Technology: "T", Stage: engine.StageDecision,
		ProjectGroup: group, Ownership: "state", Sector: "C26"}
}

// TestClockThroughALife: group C (10 working days) received the Monday
// before Tết, returned, resubmitted, extended once, appraised on time.
func TestClockThroughALife(t *testing.T) {
	def := workflow(t, "technology-appraisal", 2)
	a := runClock(t, def, groupDossier("C"), "2026-02-09",
		// 10, 11, 12, 13 Feb, then Tết; 23-27 Feb; 2 March is the 10th.
		engine.Clock{DueOn: "2026-03-02", TriggerDueOn: "2026-02-12"},
		[]clockStep{
			// Returned on the 11th: left are 12, 13 Feb, 23-27 Feb and 2 Mar.
			{day: "2026-02-11", actor: reviewerA, trigger: "request_supplement", in: engine.Input{Comment: "Bổ sung"},
				want: engine.Clock{DueOn: "2026-03-02", Paused: true, DaysLeft: 8}},
			// Back on Monday 9 March: 8 working days on is Thursday 19 March.
			{day: "2026-03-09", actor: owner, trigger: "resubmit",
				want: engine.Clock{DueOn: "2026-03-19", TriggerDueOn: "2026-03-12"}},
			{day: "2026-03-12", actor: reviewerA, trigger: "review",
				want: engine.Clock{DueOn: "2026-03-19"}},
			// A Saturday, the due day itself, or a day in the past are refused.
			{day: "2026-03-17", actor: appraiser, trigger: "extend", in: engine.Input{Comment: "Cần thêm ý kiến", DueAt: "2026-03-21"}, code: engine.EINVALID},
			{day: "2026-03-17", actor: appraiser, trigger: "extend", in: engine.Input{Comment: "Cần thêm ý kiến", DueAt: "2026-03-19"}, code: engine.EINVALID},
			{day: "2026-03-17", actor: appraiser, trigger: "extend", in: engine.Input{Comment: "Cần thêm ý kiến"}, code: engine.EINVALID},
			{day: "2026-03-17", actor: appraiser, trigger: "extend", in: engine.Input{Comment: "Cần thêm ý kiến", DueAt: "2026-03-26"},
				want: engine.Clock{DueOn: "2026-03-26", Extensions: 1}},
			// Once only.
			{day: "2026-03-18", actor: appraiser, trigger: "extend", in: engine.Input{Comment: "Lần nữa", DueAt: "2026-03-30"}, code: engine.ECONFLICT},
			{day: "2026-03-25", actor: appraiser, trigger: "appraise", in: engine.Input{Outcome: "approved"},
				want: engine.Clock{DueOn: "2026-03-26", Extensions: 1, Judged: engine.OnTime}},
			{day: "2026-04-02", actor: reviewerA, trigger: "archive",
				want: engine.Clock{DueOn: "2026-03-26", Extensions: 1, Judged: engine.OnTime}},
		})
	if a.State != "archived" || a.Version != 7 {
		t.Errorf("state %s version %d", a.State, a.Version)
	}
}

func TestClockEdges(t *testing.T) {
	v2 := workflow(t, "technology-appraisal", 2)
	t.Run("late", func(t *testing.T) {
		// Group B: 15 working days from Friday 2 January 2026 (Jan 2 is a
		// day off, Saturday 10 January a working day): 5-9, 10, 12-16, 19-22.
		runClock(t, v2, groupDossier("B"), "2026-01-02", engine.Clock{DueOn: "2026-01-22", TriggerDueOn: "2026-01-07"},
			[]clockStep{
				{day: "2026-01-12", actor: reviewerA, trigger: "review", want: engine.Clock{DueOn: "2026-01-22"}},
				// Too late to extend: the new date is given before the old one passes.
				{day: "2026-01-23", actor: appraiser, trigger: "extend", in: engine.Input{Comment: "x", DueAt: "2026-01-30"}, code: engine.ECONFLICT},
				{day: "2026-01-23", actor: appraiser, trigger: "appraise", in: engine.Input{Outcome: "approved"},
					want: engine.Clock{DueOn: "2026-01-22", Judged: engine.Late}},
			})
	})
	t.Run("returned on its due day, and when already late", func(t *testing.T) {
		runClock(t, v2, groupDossier("C"), "2026-03-02", engine.Clock{DueOn: "2026-03-16", TriggerDueOn: "2026-03-05"},
			[]clockStep{
				{day: "2026-03-16", actor: reviewerA, trigger: "request_supplement", in: engine.Input{Comment: "x"},
					want: engine.Clock{DueOn: "2026-03-16", Paused: true}},
				// No day was left: due the day it comes back.
				{day: "2026-03-18", actor: owner, trigger: "resubmit", want: engine.Clock{DueOn: "2026-03-18", TriggerDueOn: "2026-03-23"}},
				{day: "2026-03-20", actor: reviewerA, trigger: "request_supplement", in: engine.Input{Comment: "y"},
					want: engine.Clock{DueOn: "2026-03-18", Paused: true, DaysLeft: -2}},
				// Late already: it keeps its past due date.
				{day: "2026-03-25", actor: owner, trigger: "resubmit", want: engine.Clock{DueOn: "2026-03-18", TriggerDueOn: "2026-03-30"}},
				{day: "2026-03-26", actor: reviewerA, trigger: "reject", in: engine.Input{Comment: "z"},
					want: engine.Clock{DueOn: "2026-03-18", Judged: engine.Late}},
			})
	})
	t.Run("back on a Saturday with no day left", func(t *testing.T) {
		runClock(t, v2, groupDossier("C"), "2026-03-02", engine.Clock{DueOn: "2026-03-16", TriggerDueOn: "2026-03-05"},
			[]clockStep{
				{day: "2026-03-16", actor: reviewerA, trigger: "request_supplement", in: engine.Input{Comment: "x"},
					want: engine.Clock{DueOn: "2026-03-16", Paused: true}},
				{day: "2026-03-21", actor: owner, trigger: "resubmit", want: engine.Clock{DueOn: "2026-03-23", TriggerDueOn: "2026-03-25"}},
			})
	})
	t.Run("an extension at most a year on", func(t *testing.T) {
		runClock(t, v2, groupDossier("C"), "2026-03-02", engine.Clock{DueOn: "2026-03-16", TriggerDueOn: "2026-03-05"},
			[]clockStep{
				{day: "2026-03-03", actor: appraiser, trigger: "extend", in: engine.Input{Comment: "x", DueAt: "2027-03-17"}, code: engine.EINVALID},
				{day: "2026-03-03", actor: appraiser, trigger: "extend", in: engine.Input{Comment: "x", DueAt: "2027-03-16"},
					want: engine.Clock{DueOn: "2027-03-16", TriggerDueOn: "2026-03-05", Extensions: 1}},
			})
	})
	t.Run("withdrawn stops the clock unjudged", func(t *testing.T) {
		runClock(t, v2, groupDossier("A"), "2026-03-02", engine.Clock{DueOn: "2026-03-30", TriggerDueOn: "2026-03-05"},
			[]clockStep{
				{day: "2026-03-03", actor: reviewerA, trigger: "request_supplement", in: engine.Input{Comment: "x"},
					want: engine.Clock{DueOn: "2026-03-30", Paused: true, DaysLeft: 19}},
				{day: "2026-03-04", actor: owner, trigger: "withdraw", want: engine.Clock{}},
				{day: "2026-03-05", actor: reviewerA, trigger: "archive", want: engine.Clock{}},
			})
	})
	t.Run("national projects have no deadline", func(t *testing.T) {
		runClock(t, v2, groupDossier("national"), "2026-03-02", engine.Clock{TriggerDueOn: "2026-03-05"},
			[]clockStep{
				{day: "2026-03-03", actor: reviewerA, trigger: "review", want: engine.Clock{}},
				{day: "2026-03-04", actor: appraiser, trigger: "extend", in: engine.Input{Comment: "x", DueAt: "2026-03-30"}, code: engine.ECONFLICT},
				{day: "2026-06-04", actor: appraiser, trigger: "appraise", in: engine.Input{Outcome: "approved"}, want: engine.Clock{}},
			})
	})
	t.Run("version 1 has no clock", func(t *testing.T) {
		runClock(t, workflow(t, "technology-appraisal", 1), groupDossier("C"), "2026-03-02", engine.Clock{},
			[]clockStep{
				{day: "2026-03-03", actor: appraiser, trigger: "extend", in: engine.Input{Comment: "x", DueAt: "2026-03-30"}, code: engine.EUNKNOWNTRIGGER},
				{day: "2026-03-30", actor: reviewerA, trigger: "review", want: engine.Clock{}},
			})
	})
	t.Run("the opinion on technology: 15 working days", func(t *testing.T) {
		d := groupDossier("")
		d.Stage = engine.StagePolicy
		// Received Wednesday 22 April 2026: 23, 24, 28, 29 April (27 April
		// makes up for Hùng Kings' day on Sunday 26; 30 April and 1 May are
		// holidays), 4-8, 11-15 May, 18 May.
		runClock(t, workflow(t, "technology-opinion", 1), d, "2026-04-22", engine.Clock{DueOn: "2026-05-18", TriggerDueOn: "2026-04-28"},
			[]clockStep{
				{day: "2026-05-04", actor: reviewerA, trigger: "draft_opinion", in: engine.Input{Comment: "Dự thảo"}, want: engine.Clock{DueOn: "2026-05-18"}},
				// A draft sent back does not reopen the window of receipt.
				{day: "2026-05-05", actor: appraiser, trigger: "return_draft", in: engine.Input{Comment: "Sửa"}, want: engine.Clock{DueOn: "2026-05-18"}},
				{day: "2026-05-06", actor: reviewerA, trigger: "draft_opinion", in: engine.Input{Comment: "Dự thảo 2"}, want: engine.Clock{DueOn: "2026-05-18"}},
				{day: "2026-05-18", actor: appraiser, trigger: "give_opinion", in: engine.Input{Outcome: "agreed"},
					want: engine.Clock{DueOn: "2026-05-18", Judged: engine.OnTime}},
			})
	})
}

func TestOverdue(t *testing.T) {
	c := engine.Clock{DueOn: "2026-03-19"}
	for _, tc := range []struct {
		clock engine.Clock
		today string
		want  bool
	}{
		{c, "2026-03-19", false},
		{c, "2026-03-20", true},
		{engine.Clock{DueOn: "2026-03-19", Paused: true}, "2026-04-20", false},
		{engine.Clock{DueOn: "2026-03-19", Judged: engine.Late}, "2026-04-20", false},
		{engine.Clock{}, "2026-04-20", false},
	} {
		if got := tc.clock.Overdue(tc.today); got != tc.want {
			t.Errorf("%+v on %s: overdue %v, want %v", tc.clock, tc.today, got, tc.want)
		}
	}
}
