package db_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
)

// schemaOf lists the indexes of appraisals and the foreign keys of
// appraisals and events, as PostgreSQL defines them.
func schemaOf(t *testing.T, d *db.DB) []string {
	t.Helper()
	var defs []string
	if err := d.SelectContext(context.Background(), &defs, `
		SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'appraisals'
		UNION ALL
		SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
		WHERE contype = 'f' AND conrelid IN ('appraisals'::regclass, 'events'::regclass)`); err != nil {
		t.Fatal(err)
	}
	slices.Sort(defs)
	return defs
}

// TestWithoutIndexesAndKeys: during a first bulk load the secondary indexes
// and the foreign keys are gone; afterwards every one is back as it was,
// also when the load fails; and a loaded row that breaks a key fails the
// load when the key is checked again (the key stays, NOT VALID).
func TestWithoutIndexesAndKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := dbtest.Open(t, db.Postgres)
	want := schemaOf(t, d)
	if len(want) < 5 {
		t.Fatalf("expected indexes and foreign keys to start with, got %q", want)
	}
	failed := errors.New("the load failed")
	err := d.WithoutIndexesAndKeys(ctx, func() error {
		during := schemaOf(t, d)
		for _, def := range during {
			if strings.Contains(def, "FOREIGN KEY") || !strings.Contains(def, "UNIQUE") {
				t.Errorf("still there during the load: %s", def)
			}
		}
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("the load's error was not returned: %v", err)
	}
	if got := schemaOf(t, d); !slices.Equal(got, want) {
		t.Errorf("after a failed load:\n%q\nwant\n%q", got, want)
	}

	// An event of an appraisal that does not exist: the key refuses it.
	_, hash := engine.NewToken()
	u, err := d.CreateUser(ctx, "Reviewer", engine.RoleReviewer, hash)
	if err != nil {
		t.Fatal(err)
	}
	err = d.WithoutIndexesAndKeys(ctx, func() error {
		_, err := d.ExecContext(ctx, `INSERT INTO events (appraisal_id, seq, at, actor_id, actor_name, actor_role,
			trigger_name, to_state, prev_hash, hash) VALUES (424242, 1, now(), $1, 'Reviewer', 'reviewer', 'submit', 'submitted', '', 'h')`, u.ID)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "events_appraisal_id_fkey") {
		t.Errorf("an event without its appraisal was let through: %v", err)
	}
	var validated bool
	if err := d.GetContext(ctx, &validated, `SELECT convalidated FROM pg_constraint WHERE conrelid = 'events'::regclass AND conname = 'events_appraisal_id_fkey'`); err != nil || validated {
		t.Errorf("the broken key: validated %v (%v), want there and NOT VALID", validated, err)
	}
}
