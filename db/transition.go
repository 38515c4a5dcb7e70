package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/appraisal/appraisal/engine"
)

// The transition is the hot path: one transaction, as few round trips as
// the guarantees allow. On PostgreSQL that is BEGIN, the locking read, one
// statement that writes the row, the event and the report deltas, COMMIT.

// TransitionLockSQL reads and locks the appraisal ($1 is its id); on
// SQLite without FOR UPDATE (BEGIN IMMEDIATE holds the write lock).
const TransitionLockSQL = `SELECT ` + appraisalColumns + appraisalFrom + ` WHERE a.id = $1 FOR UPDATE OF a`

// PostgresTransitionWriteSQL writes a transition in one statement: the
// row (only if it is still at the version read), its event and its report
// deltas. It returns 1, or 0 if the row was not at that version.
const PostgresTransitionWriteSQL = `WITH u AS (
	UPDATE appraisals SET state = $1, version = $2, outcome = $3, appraised_at = $4, updated_at = $5, last_hash = $6
	WHERE id = $7 AND version = $2 - 1 RETURNING id
), e AS (
	INSERT INTO events (appraisal_id, seq, at, actor_id, actor_name, actor_role, trigger_name, from_state,
		to_state, comment, outcome, prev_hash, hash)
	SELECT id, $2, $5, $8, $9, $10, $11, $12, $1, $13, $14, $15, $6 FROM u
), r AS (
	INSERT INTO report_deltas (event, dim, value, day, n)
	SELECT x.* FROM unnest($16::text[], $17::text[], $18::text[], $19::text[], $20::bigint[]) AS x, u
)
SELECT count(*) FROM u`

// Transition fires one trigger: in one transaction it locks the row, checks
// visibility and If-Match, fires the trigger on a fresh machine, writes the
// new state and version, appends the event linked to the previous one and
// the report deltas. Errors: ENOTFOUND (no such appraisal, or another
// applicant's), EPRECONDITION, and engine.Fire's.
func (d *DB) Transition(ctx context.Context, catalog engine.Catalog, req engine.TransitionRequest) (*engine.Appraisal, error) {
	var a *engine.Appraisal
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		lock := TransitionLockSQL
		if d.Engine == SQLite {
			lock = strings.TrimSuffix(lock, " FOR UPDATE OF a")
		}
		var r appraisalRow
		if err := tx.GetContext(ctx, &r, tx.Rebind(strings.ReplaceAll(lock, "$1", "?")), req.AppraisalID); err != nil {
			return notFound(err, req.AppraisalID)
		}
		a = r.appraisal()
		if !a.VisibleTo(req.Actor) {
			return engine.Errorf(engine.ENOTFOUND, "no appraisal %d", req.AppraisalID)
		}
		if req.IfVersion != 0 && req.IfVersion != a.Version {
			return engine.Errorf(engine.EPRECONDITION, "If-Match names version %d; the appraisal is at version %d", req.IfVersion, a.Version)
		}
		def, err := catalog.Definition(a.Workflow)
		if err != nil {
			return fmt.Errorf("appraisal %d: %w", a.ID, err)
		}
		to, err := engine.Fire(ctx, def, a.Subject(), req.Actor, req.Trigger, req.Input)
		if err != nil {
			return err
		}
		now := d.now()
		ev := engine.Event{AppraisalID: a.ID, Seq: a.Version + 1, At: now, Actor: req.Actor,
			Trigger: req.Trigger, FromState: a.State, ToState: to,
			Comment: strings.TrimSpace(req.Input.Comment), Outcome: req.Input.Outcome, PrevHash: r.LastHash}
		ev.Hash = engine.ComputeHash(a, &ev)
		before := *a
		a.State, a.Version, a.UpdatedAt = to, ev.Seq, now
		if ev.Outcome != "" {
			a.Outcome, a.AppraisedAt = ev.Outcome, now
		}
		deltas := engine.ReportDeltas(&before, a)
		if d.Engine == Postgres {
			return d.writeTransitionPostgres(ctx, tx, a, &ev, deltas)
		}
		return d.writeTransitionSQLite(ctx, tx, a, &ev, deltas)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (d *DB) writeTransitionPostgres(ctx context.Context, tx *sqlx.Tx, a *engine.Appraisal, ev *engine.Event, deltas []engine.ReportDelta) error {
	cols := make([][]string, 4)
	var ns []int64
	for _, r := range deltas {
		cols[0], cols[1], cols[2], cols[3] = append(cols[0], r.Event), append(cols[1], r.Dim), append(cols[2], r.Value), append(cols[3], r.Day)
		ns = append(ns, r.N)
	}
	var n int
	err := tx.QueryRowxContext(ctx, PostgresTransitionWriteSQL,
		a.State, a.Version, nullable(a.Outcome), d.nullTimeArg(a.AppraisedAt), a.UpdatedAt, ev.Hash, a.ID,
		ev.Actor.ID, ev.Actor.Name, ev.Actor.Role, ev.Trigger, nullable(ev.FromState), nullable(ev.Comment),
		nullable(ev.Outcome), ev.PrevHash,
		pq.Array(cols[0]), pq.Array(cols[1]), pq.Array(cols[2]), pq.Array(cols[3]), pq.Array(ns)).Scan(&n)
	if err != nil {
		return fmt.Errorf("writing transition %d of appraisal %d: %w", ev.Seq, a.ID, err)
	}
	if n != 1 {
		// The row is locked, so this means a bug or a hand edit, never a race.
		return fmt.Errorf("appraisal %d changed under its lock", a.ID)
	}
	return nil
}

func (d *DB) writeTransitionSQLite(ctx context.Context, tx *sqlx.Tx, a *engine.Appraisal, ev *engine.Event, deltas []engine.ReportDelta) error {
	res, err := tx.ExecContext(ctx, `UPDATE appraisals SET state = ?, version = ?, outcome = ?,
		appraised_at = ?, updated_at = ?, last_hash = ? WHERE id = ? AND version = ?`,
		a.State, a.Version, nullable(a.Outcome), d.nullTimeArg(a.AppraisedAt), d.timeArg(a.UpdatedAt), ev.Hash, a.ID, a.Version-1)
	if err != nil {
		return fmt.Errorf("updating appraisal %d: %w", a.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("appraisal %d changed under its lock (%d rows, %v)", a.ID, n, err)
	}
	if err := d.insertEvent(ctx, tx, ev); err != nil {
		return err
	}
	return d.insertDeltas(ctx, tx, deltas)
}
