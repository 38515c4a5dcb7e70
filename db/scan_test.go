package db_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// TestScanFieldsMatchColumns: the transition's read scans the row into
// fields listed by hand; they must be the columns' own, in their order.
// Every field of the row differs from its neighbours, so a swap shows.
func TestScanFieldsMatchColumns(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		cat := workflows.Embedded()
		def, err := cat.Latest(workflows.TechnologyAppraisal)
		if err != nil {
			t.Fatal(err)
		}
		_, h := engine.NewToken()
		app, err := d.CreateUser(ctx, "Người nộp", engine.RoleApplicant, h)
		if err != nil {
			t.Fatal(err)
		}
		a, err := d.CreateAppraisal(ctx, def, workflows.MustCalendar(), "SKHCN", app, engine.Dossier{
			ProjectName: "Nhà máy", Investor: "Công ty", Technology: "Dây chuyền", Stage: "decision", ProjectGroup: "B",
			Ownership: "foreign_invested", Sector: "C26", CapitalVND: 123, InvestorCountry: "JP", TechnologyOrigin: "KR",
			Locality: "Đông Anh"})
		if err != nil {
			t.Fatal(err)
		}
		byTags, byFields, err := d.ReadAsBothWays(ctx, a.ID, h)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(byTags, byFields) {
			t.Errorf("scanned by hand:\n%+v\nby column names:\n%+v", byFields, byTags)
		}
	})
}
