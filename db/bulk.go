package db

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/appraisal/appraisal/engine"
)

// Bulk loading, for seeding: the same rows and hash chains the API writes,
// in large batches (COPY on PostgreSQL). Meant for a database no server is
// writing to at the same time.

// CountAppraisals returns how many appraisals there are.
func (d *DB) CountAppraisals(ctx context.Context) (int64, error) {
	var n int64
	err := d.GetContext(ctx, &n, `SELECT COUNT(*) FROM appraisals`)
	return n, mapError(err)
}

// CreateUsers adds users in one transaction, each with a fresh token that
// is thrown away (only its hash is kept), and returns them with their ids.
func (d *DB) CreateUsers(ctx context.Context, names []string, roles []engine.Role) ([]engine.Actor, error) {
	out := make([]engine.Actor, len(names))
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		stmt, err := tx.PreparexContext(ctx, tx.Rebind(`INSERT INTO users (name, role, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`))
		if err != nil {
			return err
		}
		defer stmt.Close()
		now := d.timeArg(d.now())
		for i := range names {
			_, hash := engine.NewToken()
			out[i] = engine.Actor{Name: names[i], Role: roles[i]}
			if err := stmt.QueryRowxContext(ctx, names[i], roles[i], hash, now).Scan(&out[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// LastDossierSeqs returns the last dossier number used per day ("2006-01-02") by unit.
func (d *DB) LastDossierSeqs(ctx context.Context, unit string) (map[string]int64, error) {
	var rows []struct {
		Day  string `db:"day"`
		Last int64  `db:"last"`
	}
	if err := d.SelectContext(ctx, &rows, d.Rebind(`SELECT day, last FROM dossier_sequences WHERE unit = ?`), unit); err != nil {
		return nil, mapError(err)
	}
	out := make(map[string]int64, len(rows))
	for _, r := range rows {
		out[r.Day] = r.Last
	}
	return out, nil
}

var (
	appraisalCopyColumns = []string{"id", "code", "workflow_name", "workflow_version", "state", "version",
		"project_name", "investor", "technology", "stage", "project_group", "ownership", "sector", "capital_vnd",
		"investor_country", "technology_origin", "locality", "applicant_id", "outcome", "submitted_at",
		"updated_at", "appraised_at", "last_hash", "search_text",
		"due_on", "clock_paused", "days_left", "trigger_due_on", "extensions", "on_time"}
	eventCopyColumns = []string{"appraisal_id", "seq", "at", "actor_id", "actor_name", "actor_role",
		"trigger_name", "from_state", "to_state", "comment", "outcome", "due_on", "prev_hash", "hash"}
)

func (d *DB) appraisalValues(a *engine.Appraisal, lastHash string) []any {
	x := &a.Dossier
	return []any{a.ID, a.Code, a.Workflow.Name, a.Workflow.Version, a.State, a.Version,
		x.ProjectName, x.Investor, x.Technology, x.Stage, nullable(x.ProjectGroup), x.Ownership, x.Sector,
		x.CapitalVND, nullable(x.InvestorCountry), nullable(x.TechnologyOrigin), nullable(x.Locality),
		a.ApplicantID, nullable(a.Outcome), d.timeArg(a.SubmittedAt), d.timeArg(a.UpdatedAt),
		d.nullTimeArg(a.AppraisedAt), lastHash, a.SearchText(),
		nullable(a.DueOn), a.Paused, a.DaysLeft, nullable(a.TriggerDueOn), a.Extensions, nullable(a.Judged)}
}

func (d *DB) eventValues(e *engine.Event) []any {
	return []any{e.AppraisalID, e.Seq, d.timeArg(e.At), e.Actor.ID, e.Actor.Name, e.Actor.Role, e.Trigger,
		nullable(e.FromState), e.ToState, nullable(e.Comment), nullable(e.Outcome), nullable(e.DueOn), e.PrevHash, e.Hash}
}

// MaxAppraisalID returns the highest appraisal id, 0 when there is none.
func (d *DB) MaxAppraisalID(ctx context.Context) (int64, error) {
	var id int64
	err := d.GetContext(ctx, &id, `SELECT COALESCE(MAX(id), 0) FROM appraisals`)
	return id, mapError(err)
}

// InsertTrails writes appraisals with their trails in one transaction,
// with ids from firstID on, and advances the dossier numbering of their
// days past their codes. Several may run at once on distinct ids.
func (d *DB) InsertTrails(ctx context.Context, firstID int64, trails []engine.Trail) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		for i := range trails {
			trails[i].Appraisal.ID = firstID + int64(i)
			for j := range trails[i].Events {
				trails[i].Events[j].AppraisalID = trails[i].Appraisal.ID
			}
		}
		if err := d.copyRows(ctx, tx, "appraisals", appraisalCopyColumns, len(trails), func(i int) []any {
			t := &trails[i]
			return d.appraisalValues(t.Appraisal, t.Events[len(t.Events)-1].Hash)
		}); err != nil {
			return fmt.Errorf("appraisals: %w", err)
		}
		var events []*engine.Event
		for i := range trails {
			for j := range trails[i].Events {
				events = append(events, &trails[i].Events[j])
			}
		}
		if err := d.copyRows(ctx, tx, "events", eventCopyColumns, len(events), func(i int) []any {
			return d.eventValues(events[i])
		}); err != nil {
			return fmt.Errorf("events: %w", err)
		}
		var counts []engine.ReportDelta
		for _, t := range trails {
			counts = append(counts, engine.ReportDeltas(nil, t.Appraisal)...)
		}
		if err := d.addCounts(ctx, tx, counts); err != nil {
			return fmt.Errorf("report counts: %w", err)
		}
		return d.advanceSequences(ctx, tx, trails)
	})
}

// copyRows writes n rows: COPY on PostgreSQL, a prepared insert on SQLite.
func (d *DB) copyRows(ctx context.Context, tx *sqlx.Tx, table string, columns []string, n int, row func(int) []any) error {
	var query string
	if d.Engine == Postgres {
		query = pq.CopyIn(table, columns...)
	} else {
		query = `INSERT INTO ` + table + ` (` + strings.Join(columns, ", ") + `) VALUES (?` +
			strings.Repeat(", ?", len(columns)-1) + `)`
	}
	stmt, err := tx.PrepareContext(ctx, query)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for i := range n {
		if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
			return err
		}
	}
	if d.Engine == Postgres {
		_, err = stmt.ExecContext(ctx) // flushes the COPY
	}
	return err
}

func (d *DB) advanceSequences(ctx context.Context, tx *sqlx.Tx, trails []engine.Trail) error {
	type key struct{ unit, day string }
	last := map[key]int64{}
	for _, t := range trails {
		unit, _, _ := strings.Cut(t.Appraisal.Code, "-")
		seq, err := strconv.ParseInt(t.Appraisal.Code[strings.LastIndexByte(t.Appraisal.Code, '-')+1:], 10, 64)
		if err != nil {
			return fmt.Errorf("dossier code %q: %w", t.Appraisal.Code, err)
		}
		k := key{unit, t.Appraisal.SubmittedAt.In(engine.VietnamTime).Format(time.DateOnly)}
		last[k] = max(last[k], seq)
	}
	greatest := "GREATEST"
	if d.Engine == SQLite {
		greatest = "MAX"
	}
	// In key order, so concurrent batches lock shared days in one order.
	keys := slices.SortedFunc(maps.Keys(last), func(a, b key) int {
		return cmp.Or(strings.Compare(a.unit, b.unit), strings.Compare(a.day, b.day))
	})
	for _, k := range keys {
		seq := last[k]
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO dossier_sequences (unit, day, last) VALUES (?, ?, ?)
			ON CONFLICT (unit, day) DO UPDATE SET last = `+greatest+`(dossier_sequences.last, excluded.last)`),
			k.unit, k.day, seq); err != nil {
			return err
		}
	}
	return nil
}

// WithoutIndexesAndKeys runs load with the secondary indexes of
// appraisals and the foreign keys of appraisals and events dropped, then
// builds the indexes and adds the keys again, whatever load returns:
// building an index once is far cheaper than keeping it up to date row by
// row, and a foreign key checked row by row runs a trigger per row that
// locks the row it points to (an appraisal, a user: millions of locks,
// each written to the log). Adding a key back checks every row in one
// join, so the loaded rows are held to the same constraints. Only on
// PostgreSQL and an empty appraisals table; otherwise it just runs load.
// Keys and unique codes (constraint indexes) stay throughout.
func (d *DB) WithoutIndexesAndKeys(ctx context.Context, load func() error) (err error) {
	if d.Engine != Postgres {
		return load()
	}
	if n, err := d.CountAppraisals(ctx); err != nil || n > 0 {
		if err != nil {
			return err
		}
		return load()
	}
	var indexes []struct {
		Name string `db:"indexname"`
		Def  string `db:"indexdef"`
	}
	if err := d.SelectContext(ctx, &indexes, `SELECT i.indexname, i.indexdef FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename = 'appraisals'
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)`); err != nil {
		return mapError(err)
	}
	var keys []foreignKey
	if err := d.SelectContext(ctx, &keys, `SELECT r.relname AS tbl, c.conname, pg_get_constraintdef(c.oid) AS def
		FROM pg_constraint c JOIN pg_class r ON r.oid = c.conrelid WHERE c.contype = 'f' AND c.conrelid IN ('appraisals'::regclass, 'events'::regclass)
		ORDER BY 1, 2`); err != nil {
		return mapError(err)
	}
	// All dropped or none, before the rebuild is promised.
	err = d.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, ix := range indexes {
			if _, err := tx.ExecContext(ctx, `DROP INDEX `+pq.QuoteIdentifier(ix.Name)); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, `ALTER TABLE `+pq.QuoteIdentifier(k.Table)+` DROP CONSTRAINT `+pq.QuoteIdentifier(k.Name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return mapError(err)
	}
	defer func() {
		// Rebuild even when the load failed or was cancelled.
		defs := make([]string, len(indexes))
		for i, ix := range indexes {
			defs[i] = ix.Def
		}
		err = errors.Join(err, d.restoreIndexesAndKeys(context.WithoutCancel(ctx), defs, keys))
	}()
	return load()
}

type foreignKey struct {
	Table string `db:"tbl"`
	Name  string `db:"conname"`
	Def   string `db:"def"`
}

// restoreIndexesAndKeys builds the indexes again and adds the keys back,
// on two connections at once (the two cores), and returns every error. A
// key whose rows do not hold stays NOT VALID: new rows are checked, the
// loaded ones that break it stay until someone mends them.
// The keys come back NOT VALID first, at once: adding a key takes a lock
// that waits for index builds. Validating one takes a lighter lock: a key
// of events is validated beside the builds on appraisals; one of
// appraisals after them. The trigram index, the slowest build by far
// (single-threaded in PostgreSQL 15), starts first.
func (d *DB) restoreIndexesAndKeys(ctx context.Context, indexes []string, keys []foreignKey) error {
	var errs []error
	for _, k := range keys {
		if _, err := d.ExecContext(ctx, `ALTER TABLE `+pq.QuoteIdentifier(k.Table)+` ADD CONSTRAINT `+
			pq.QuoteIdentifier(k.Name)+` `+k.Def+` NOT VALID`); err != nil {
			errs = append(errs, fmt.Errorf("adding foreign key %s back: %w", k.Name, err))
		}
	}
	validate := func(k foreignKey) string {
		return `ALTER TABLE ` + pq.QuoteIdentifier(k.Table) + ` VALIDATE CONSTRAINT ` + pq.QuoteIdentifier(k.Name)
	}
	slices.SortStableFunc(indexes, func(a, b string) int {
		return cmp.Compare(strings.Count(b, "USING gin"), strings.Count(a, "USING gin"))
	})
	jobs := slices.Clone(indexes)
	var after []string
	for _, k := range keys {
		if k.Table == "appraisals" {
			after = append(after, validate(k))
		} else {
			jobs = append(jobs, validate(k))
		}
	}
	start := time.Now()
	slog.Info("building the indexes and checking the foreign keys again; interrupting now leaves them missing",
		"indexes", len(indexes), "keys", len(keys))
	queue := make(chan string, len(jobs))
	for _, job := range jobs {
		queue <- job
	}
	close(queue)
	var mu sync.Mutex // guards errs
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			conn, err := d.Connx(ctx)
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
			defer conn.Close()
			// More memory to sort with; each build may use it. The pool gets
			// the connection back as it was.
			conn.ExecContext(ctx, `SET maintenance_work_mem = '512MB'`)
			defer conn.ExecContext(ctx, `RESET maintenance_work_mem`)
			for job := range queue {
				if _, err := conn.ExecContext(ctx, job); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("%s: %w", job, err))
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, job := range after {
		if _, err := d.ExecContext(ctx, job); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", job, err))
		}
	}
	slog.Info("built the indexes and checked the foreign keys again", "indexes", len(indexes), "keys", len(keys),
		"took", time.Since(start).Round(time.Millisecond))
	return errors.Join(errs...)
}

// FinishBulk makes the database ready after bulk loading: PostgreSQL's id
// sequence moved past the loaded ids, and fresh planner statistics.
func (d *DB) FinishBulk(ctx context.Context) error {
	if d.Engine == Postgres {
		if _, err := d.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence('appraisals', 'id'),
			GREATEST((SELECT MAX(id) FROM appraisals), 1))`); err != nil {
			return err
		}
		// Fresh statistics for the planner; autovacuum does the rest later.
		_, err := d.ExecContext(ctx, `ANALYZE appraisals, events, users, report_counts`)
		return err
	}
	_, err := d.ExecContext(ctx, `ANALYZE`)
	return err
}
