package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/appraisal/appraisal/engine"
)

// The transition is the hot path: as few round trips as the guarantees
// allow. On PostgreSQL that is two: read the row, then one statement that
// writes the row only if it is still at the version read, with its event
// and report deltas. One statement is one transaction: all of it commits,
// durably, or none. If another transition won in between, read again and
// decide again (optimistic concurrency: no lock is held across the
// decision, so no transaction waits on Go code). SQLite, in process, takes
// the write lock at BEGIN IMMEDIATE and writes in three plain statements.

// TransitionReadSQL reads the appraisal ($1 is its id).
const TransitionReadSQL = `SELECT ` + appraisalColumns + appraisalFrom + ` WHERE a.id = $1`

// TransitionReadAsSQL reads the appraisal ($1) and, in the same round
// trip, the user whose token has the hash $2 (NULLs when none).
const TransitionReadAsSQL = `SELECT ` + appraisalColumns + `, t.id AS actor_id, t.name AS actor_name,
	t.role AS actor_role, t.token_hash AS actor_token_hash` + appraisalFrom + `
	LEFT JOIN users t ON t.token_hash = $2 AND t.revoked_at IS NULL WHERE a.id = $1`

// maxTransitionAttempts bounds the re-reads when other transitions keep
// winning the same row; each lost attempt means another one committed.
const maxTransitionAttempts = 20

// PostgresTransitionWriteSQL writes a transition in one statement: the
// row (only if it is still at the version read), its event and its report
// deltas. It returns 1, or 0 if the row was not at that version.
const PostgresTransitionWriteSQL = `WITH u AS (
	UPDATE appraisals SET state = $1, version = $2, outcome = $3, appraised_at = $4, updated_at = $5, last_hash = $6,
		due_on = $21, clock_paused = $22, days_left = $23, trigger_due_on = $24, extensions = $25, on_time = $26
	WHERE id = $7 AND version = $2 - 1 RETURNING id
), e AS (
	INSERT INTO events (appraisal_id, seq, at, actor_id, actor_name, actor_role, trigger_name, from_state,
		to_state, comment, outcome, due_on, prev_hash, hash)
	SELECT id, $2, $5, $8, $9, $10, $11, $12, $1, $13, $14, $27, $15, $6 FROM u
), r AS (
	INSERT INTO report_deltas (event, dim, value, day, n)
	SELECT x.* FROM unnest($16::text[], $17::text[], $18::text[], $19::text[], $20::bigint[]) AS x, u
)
SELECT count(*) FROM u`

// Transition fires one trigger: it reads the row, checks visibility and
// If-Match, fires the trigger on a fresh machine, and writes the new state
// and version, the event linked to the previous one and the report deltas
// together, only if no other transition came first (else it starts again).
// Errors: ENOTFOUND (no such appraisal, or another applicant's),
// EPRECONDITION, and engine.Fire's.
func (d *DB) Transition(ctx context.Context, catalog engine.Catalog, req engine.TransitionRequest) (*engine.Appraisal, error) {
	if d.Engine == SQLite {
		var a *engine.Appraisal
		err := d.inTx(ctx, func(tx *sqlx.Tx) error {
			var err error
			a, err = d.transition(ctx, tx, catalog, &req, d.writeTransitionSQLite)
			return err
		})
		return a, err
	}
	return d.retryTransition(ctx, catalog, &req)
}

// retryTransition runs a transition on PostgreSQL, reading and deciding
// again while other transitions to the same appraisal win.
func (d *DB) retryTransition(ctx context.Context, catalog engine.Catalog, req *engine.TransitionRequest) (*engine.Appraisal, error) {
	for attempt := 1; ; attempt++ {
		a, err := d.transition(ctx, d.DB, catalog, req, d.writeTransitionPostgres)
		if !errors.Is(err, errVersionMoved) {
			return a, mapError(err)
		}
		if attempt == maxTransitionAttempts {
			return nil, fmt.Errorf("appraisal %d: %d transitions in a row lost to others", req.AppraisalID, attempt)
		}
	}
}

// errVersionMoved: another transition committed between the read and the write.
var errVersionMoved = errors.New("the appraisal moved on since it was read")

// querier is what a transition needs: a transaction or the pool.
type querier interface {
	sqlx.QueryerContext
	sqlx.ExecerContext
}

type transitionWriter func(ctx context.Context, q querier, a *engine.Appraisal, ev *engine.Event, deltas []engine.ReportDelta) error

// TransitionAs is Transition for the holder of the token whose hash is
// tokenHash: on PostgreSQL the token is looked up in the same round trip
// as the appraisal. It returns the actor too. EUNAUTHORIZED for an unknown
// or revoked token comes before any other answer.
func (d *DB) TransitionAs(ctx context.Context, catalog engine.Catalog, tokenHash string, req engine.TransitionRequest) (*engine.Appraisal, engine.Actor, error) {
	if d.Engine == SQLite { // in process: a lookup costs no round trip
		actor, err := d.ActorByTokenHash(ctx, tokenHash)
		if err != nil {
			return nil, actor, err
		}
		req.Actor = actor
		a, err := d.Transition(ctx, catalog, req)
		return a, actor, err
	}
	req.TokenHash = tokenHash
	a, err := d.retryTransition(ctx, catalog, &req)
	return a, req.Actor, err
}

// appraisalAsRow is an appraisal read with the actor of a token.
type appraisalAsRow struct {
	appraisalRow
	ActorID        *int64  `db:"actor_id"`
	ActorName      *string `db:"actor_name"`
	ActorRole      *string `db:"actor_role"`
	ActorTokenHash *string `db:"actor_token_hash"`
}

func (r *appraisalAsRow) fields() []any {
	return append(r.appraisalRow.fields(), &r.ActorID, &r.ActorName, &r.ActorRole, &r.ActorTokenHash)
}

// readForTransition reads the appraisal, and the actor when req names a
// token instead (which it then resolves, once: a retry reuses it).
func (d *DB) readForTransition(ctx context.Context, q querier, req *engine.TransitionRequest) (appraisalRow, error) {
	if tx, ok := q.(*sqlx.Tx); ok {
		var r appraisalRow
		err := tx.QueryRowContext(ctx, d.Rebind(strings.ReplaceAll(TransitionReadSQL, "$1", "?")), req.AppraisalID).Scan(r.fields()...)
		return r, notFound(err, req.AppraisalID)
	}
	if req.TokenHash == "" {
		var r appraisalRow
		st, err := d.prepared(ctx, TransitionReadSQL)
		if err == nil {
			err = st.QueryRowContext(ctx, req.AppraisalID).Scan(r.fields()...)
		}
		return r, notFound(err, req.AppraisalID)
	}
	var r appraisalAsRow
	st, err := d.prepared(ctx, TransitionReadAsSQL)
	if err == nil {
		err = st.QueryRowContext(ctx, req.AppraisalID, req.TokenHash).Scan(r.fields()...)
	}
	if err != nil {
		if engine.ErrorCode(mapError(err)) != engine.ENOTFOUND {
			return r.appraisalRow, mapError(err)
		}
		// No such appraisal: whether that is a 404 or a 401 depends on the token.
		if _, err := d.ActorByTokenHash(ctx, req.TokenHash); err != nil {
			return r.appraisalRow, err
		}
		return r.appraisalRow, notFound(sql.ErrNoRows, req.AppraisalID)
	}
	if r.ActorID == nil || !sameTokenHash(*r.ActorTokenHash, req.TokenHash) {
		return r.appraisalRow, engine.Errorf(engine.EUNAUTHORIZED, "unknown or revoked token")
	}
	req.Actor = engine.Actor{ID: *r.ActorID, Name: *r.ActorName, Role: engine.Role(*r.ActorRole)}
	req.TokenHash = ""
	return r.appraisalRow, nil
}

func (d *DB) transition(ctx context.Context, q querier, catalog engine.Catalog, req *engine.TransitionRequest, write transitionWriter) (*engine.Appraisal, error) {
	r, err := d.readForTransition(ctx, q, req)
	if err != nil {
		return nil, err
	}
	a := r.appraisal()
	if !a.VisibleTo(req.Actor) {
		return nil, engine.Errorf(engine.ENOTFOUND, "no appraisal %d", req.AppraisalID)
	}
	if req.IfVersion != 0 && req.IfVersion != a.Version {
		return nil, engine.Errorf(engine.EPRECONDITION, "If-Match names version %d; the appraisal is at version %d", req.IfVersion, a.Version)
	}
	def, err := catalog.Definition(a.Workflow)
	if err != nil {
		return nil, fmt.Errorf("appraisal %d: %w", a.ID, err)
	}
	before := *a
	ev, err := engine.Transit(ctx, def, catalog.Calendar(), a, req.Actor, req.Trigger, req.Input, d.now(), r.LastHash)
	if err != nil {
		return nil, err
	}
	if err := write(ctx, q, a, ev, engine.ReportDeltas(&before, a)); err != nil {
		return nil, err
	}
	return a, nil
}

// writeTransitionPostgres runs on the pool, outside any transaction: its one
// statement is the transaction.
func (d *DB) writeTransitionPostgres(ctx context.Context, _ querier, a *engine.Appraisal, ev *engine.Event, deltas []engine.ReportDelta) error {
	cols := make([][]string, 4)
	var ns []int64
	for _, r := range deltas {
		cols[0], cols[1], cols[2], cols[3] = append(cols[0], r.Event), append(cols[1], r.Dim), append(cols[2], r.Value), append(cols[3], r.Day)
		ns = append(ns, r.N)
	}
	st, err := d.prepared(ctx, PostgresTransitionWriteSQL)
	if err != nil {
		return err
	}
	var n int
	err = st.QueryRowxContext(ctx,
		a.State, a.Version, nullable(a.Outcome), d.nullTimeArg(a.AppraisedAt), a.UpdatedAt, ev.Hash, a.ID,
		ev.Actor.ID, ev.Actor.Name, ev.Actor.Role, ev.Trigger, nullable(ev.FromState), nullable(ev.Comment),
		nullable(ev.Outcome), ev.PrevHash,
		pq.Array(cols[0]), pq.Array(cols[1]), pq.Array(cols[2]), pq.Array(cols[3]), pq.Array(ns),
		nullable(a.DueOn), a.Paused, a.DaysLeft, nullable(a.TriggerDueOn), a.Extensions, nullable(a.Judged),
		nullable(ev.DueOn)).Scan(&n)
	if err != nil {
		return fmt.Errorf("writing transition %d of appraisal %d: %w", ev.Seq, a.ID, err)
	}
	if n != 1 {
		return errVersionMoved
	}
	return nil
}

func (d *DB) writeTransitionSQLite(ctx context.Context, q querier, a *engine.Appraisal, ev *engine.Event, deltas []engine.ReportDelta) error {
	tx := q.(*sqlx.Tx)
	res, err := tx.ExecContext(ctx, `UPDATE appraisals SET state = ?, version = ?, outcome = ?,
		appraised_at = ?, updated_at = ?, last_hash = ?, due_on = ?, clock_paused = ?, days_left = ?,
		trigger_due_on = ?, extensions = ?, on_time = ? WHERE id = ? AND version = ?`,
		a.State, a.Version, nullable(a.Outcome), d.nullTimeArg(a.AppraisedAt), d.timeArg(a.UpdatedAt), ev.Hash,
		nullable(a.DueOn), a.Paused, a.DaysLeft, nullable(a.TriggerDueOn), a.Extensions, nullable(a.Judged),
		a.ID, a.Version-1)
	if err != nil {
		return fmt.Errorf("updating appraisal %d: %w", a.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		// BEGIN IMMEDIATE holds the write lock: a bug or a hand edit, never a race.
		return fmt.Errorf("appraisal %d changed under the write lock (%d rows, %v)", a.ID, n, err)
	}
	if err := d.insertEvent(ctx, tx, ev); err != nil {
		return err
	}
	return d.insertDeltas(ctx, tx, deltas)
}
