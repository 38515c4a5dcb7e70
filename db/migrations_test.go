package db_test

import (
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// TestMigrationsDownAndUp: every migration's Down undoes its Up, on both
// engines: all the way down, then up again.
func TestMigrationsDownAndUp(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		if err := d.MigrateDownTo(t.Context(), 0); err != nil {
			t.Fatalf("down to 0: %v", err)
		}
		if err := d.Migrate(t.Context()); err != nil {
			t.Fatalf("up again: %v", err)
		}
		if err := d.CheckSchema(t.Context()); err != nil {
			t.Fatal(err)
		}
	})
}
