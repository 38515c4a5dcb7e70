package db_test

import (
	"context"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

func TestSmoke(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cat := workflows.Embedded()
		def, _ := cat.Latest(workflows.TechnologyAppraisal)
		_, h := engine.NewToken()
		app, err := d.CreateUser(ctx, "Nguyễn Văn A", engine.RoleApplicant, h)
		if err != nil {
			t.Fatal(err)
		}
		_, h2 := engine.NewToken()
		rev, _ := d.CreateUser(ctx, "Reviewer", engine.RoleReviewer, h2)
		a, err := d.CreateAppraisal(ctx, def, "SKHCN", app, engine.Dossier{ProjectName: "Dự án", Investor: "Công ty", Technology: "x", Stage: "decision", ProjectGroup: "B", Ownership: "state", Sector: "C26", CapitalVND: 5})
		if err != nil {
			t.Fatal(err)
		}
		t.Log(a.Code)
		a, err = d.Transition(ctx, cat, engine.TransitionRequest{AppraisalID: a.ID, Actor: rev, Trigger: "review"})
		if err != nil {
			t.Fatal(err)
		}
		n, faults, err := d.VerifyChains(ctx)
		if err != nil || len(faults) > 0 || n != 1 {
			t.Fatal(n, faults, err)
		}
	})
}
