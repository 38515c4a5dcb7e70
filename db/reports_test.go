package db_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// TestFoldKeepsReportsExact: folding the appended deltas into the kept
// counts changes no report, before or after more writes, and a report
// always equals a tally of the appraisals themselves.
func TestFoldKeepsReportsExact(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cat := workflows.Embedded()
		def, _ := cat.Latest(workflows.TechnologyAppraisal)
		_, h1 := engine.NewToken()
		app, _ := d.CreateUser(ctx, "Applicant", engine.RoleApplicant, h1)
		_, h2 := engine.NewToken()
		rev, _ := d.CreateUser(ctx, "Reviewer", engine.RoleReviewer, h2)
		_, h3 := engine.NewToken()
		apr, _ := d.CreateUser(ctx, "Appraiser", engine.RoleAppraiser, h3)

		base := time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC) // 23:00 in Vietnam
		var ids []int64
		write := func(round int) {
			for i := range 6 {
				d.Now = func() time.Time { return base.Add(time.Duration(round*6+i) * 20 * time.Minute) }
				a, err := d.CreateAppraisal(ctx, def, workflows.MustCalendar(), "SKHCN", app, engine.Dossier{ProjectName: fmt.Sprint("P", round, i),
					Investor: "I", Technology: "T", Stage: "policy", Ownership: []string{"state", "non_state"}[i%2],
					Sector: []string{"C26", "D", "F"}[i%3], CapitalVND: 1, InvestorCountry: []string{"", "JP"}[i%2]})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, a.ID)
			}
			// Move the older ones on: reviews, and some appraisals.
			for i, id := range ids {
				a, _ := d.Appraisal(ctx, id)
				switch {
				case a.State == "submitted" && i%2 == 0:
					_, err := d.Transition(ctx, cat, engine.TransitionRequest{AppraisalID: id, Actor: rev, Trigger: "review"})
					if err != nil {
						t.Fatal(err)
					}
				case a.State == "reviewed":
					_, err := d.Transition(ctx, cat, engine.TransitionRequest{AppraisalID: id, Actor: apr, Trigger: "appraise",
						Input: engine.Input{Outcome: "approved"}})
					if err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		// tally counts the appraisals themselves, for one dimension and event.
		tally := func(by, event string) map[string]int64 {
			out := map[string]int64{}
			for _, id := range ids {
				a, err := d.Appraisal(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				at := a.SubmittedAt
				if event == engine.EventAppraised {
					if a.AppraisedAt.IsZero() {
						continue
					}
					at = a.AppraisedAt
				}
				key := map[string]string{"state": a.State, "sector": a.Dossier.Sector[:1], "ownership": a.Dossier.Ownership,
					"investor_country": a.Dossier.InvestorCountry, "outcome": a.Outcome,
					"year": at.Add(7 * time.Hour).UTC().Format("2006")}[by]
				out[key]++
			}
			return out
		}
		check := func(when string) {
			t.Helper()
			for _, event := range []string{engine.EventSubmitted, engine.EventAppraised} {
				for _, by := range []string{"state", "sector", "ownership", "investor_country", "outcome", "year"} {
					got, err := d.Counts(ctx, engine.CountsQuery{By: by, Event: event})
					if err != nil {
						t.Fatal(err)
					}
					m := map[string]int64{}
					for _, c := range got {
						k := ""
						if c.Key != nil {
							k = *c.Key
						}
						m[k] = c.Count
					}
					if want := tally(by, event); fmt.Sprint(m) != fmt.Sprint(want) {
						t.Errorf("%s: by=%s event=%s: %v, want %v", when, by, event, m, want)
					}
				}
			}
		}
		write(0)
		check("before any fold")
		if n, err := d.FoldReportDeltas(ctx); err != nil || n == 0 {
			t.Fatalf("fold moved %d rows, err %v", n, err)
		}
		check("after a fold")
		write(1)
		check("after more writes on folded counts")
		if _, err := d.FoldReportDeltas(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := d.FoldReportDeltas(ctx); err != nil || n != 0 {
			t.Errorf("a second fold moved %d rows, err %v; want nothing left", n, err)
		}
		check("after folding again")
	})
}
