package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/appraisal/appraisal/engine"
)

// appraisalRow is an appraisals row as stored.
type appraisalRow struct {
	ID               int64     `db:"id"`
	Code             string    `db:"code"`
	WorkflowName     string    `db:"workflow_name"`
	WorkflowVersion  int       `db:"workflow_version"`
	State            string    `db:"state"`
	Version          int       `db:"version"`
	ProjectName      string    `db:"project_name"`
	Investor         string    `db:"investor"`
	Technology       string    `db:"technology"`
	Stage            string    `db:"stage"`
	ProjectGroup     *string   `db:"project_group"`
	Ownership        string    `db:"ownership"`
	Sector           string    `db:"sector"`
	CapitalVND       int64     `db:"capital_vnd"`
	InvestorCountry  *string   `db:"investor_country"`
	TechnologyOrigin *string   `db:"technology_origin"`
	Locality         *string   `db:"locality"`
	ApplicantID      int64     `db:"applicant_id"`
	ApplicantName    string    `db:"applicant_name"`
	Outcome          *string   `db:"outcome"`
	SubmittedAt      timestamp `db:"submitted_at"`
	UpdatedAt        timestamp `db:"updated_at"`
	AppraisedAt      timestamp `db:"appraised_at"`
	LastHash         string    `db:"last_hash"`
	DueOn            *string   `db:"due_on"`
	ClockPaused      bool      `db:"clock_paused"`
	DaysLeft         int       `db:"days_left"`
	TriggerDueOn     *string   `db:"trigger_due_on"`
	Extensions       int       `db:"extensions"`
	OnTime           *string   `db:"on_time"`
}

const appraisalColumns = `a.id, a.code, a.workflow_name, a.workflow_version, a.state, a.version,
	a.project_name, a.investor, a.technology, a.stage, a.project_group, a.ownership, a.sector,
	a.capital_vnd, a.investor_country, a.technology_origin, a.locality, a.applicant_id,
	u.name AS applicant_name, a.outcome, a.submitted_at, a.updated_at, a.appraised_at, a.last_hash,
	a.due_on, a.clock_paused, a.days_left, a.trigger_due_on, a.extensions, a.on_time`

const appraisalFrom = ` FROM appraisals a JOIN users u ON u.id = a.applicant_id`

// fields are the scan destinations of appraisalColumns, in their order: the
// transition's read scans with them instead of matching columns to struct
// tags by reflection on every row (TestScanFieldsMatchColumns keeps the two
// in step).
func (r *appraisalRow) fields() []any {
	return []any{&r.ID, &r.Code, &r.WorkflowName, &r.WorkflowVersion, &r.State, &r.Version,
		&r.ProjectName, &r.Investor, &r.Technology, &r.Stage, &r.ProjectGroup, &r.Ownership, &r.Sector,
		&r.CapitalVND, &r.InvestorCountry, &r.TechnologyOrigin, &r.Locality, &r.ApplicantID,
		&r.ApplicantName, &r.Outcome, &r.SubmittedAt, &r.UpdatedAt, &r.AppraisedAt, &r.LastHash,
		&r.DueOn, &r.ClockPaused, &r.DaysLeft, &r.TriggerDueOn, &r.Extensions, &r.OnTime}
}

func (r *appraisalRow) appraisal() *engine.Appraisal {
	return &engine.Appraisal{
		ID: r.ID, Code: r.Code,
		Workflow: engine.WorkflowRef{Name: r.WorkflowName, Version: r.WorkflowVersion},
		State:    r.State, Version: r.Version,
		Dossier: engine.Dossier{
			ProjectName: r.ProjectName, Investor: r.Investor, Technology: r.Technology,
			Stage: r.Stage, ProjectGroup: deref(r.ProjectGroup), Ownership: r.Ownership,
			Sector: r.Sector, CapitalVND: r.CapitalVND, InvestorCountry: deref(r.InvestorCountry),
			TechnologyOrigin: deref(r.TechnologyOrigin), Locality: deref(r.Locality),
		},
		ApplicantID: r.ApplicantID, ApplicantName: r.ApplicantName,
		Outcome:     deref(r.Outcome),
		SubmittedAt: r.SubmittedAt.Time, UpdatedAt: r.UpdatedAt.Time, AppraisedAt: r.AppraisedAt.Time,
		Clock: engine.Clock{DueOn: deref(r.DueOn), Paused: r.ClockPaused, DaysLeft: r.DaysLeft,
			TriggerDueOn: deref(r.TriggerDueOn), Extensions: r.Extensions, Judged: deref(r.OnTime)},
	}
}

// CreateAppraisal submits dossier d for actor on workflow def: the row and
// its first event, in one transaction. Its deadline counts in cal's
// working days; unit is the receiving unit's code. Returns EFORBIDDEN when
// actor may not submit, EINVALID for a bad dossier.
func (d *DB) CreateAppraisal(ctx context.Context, def *engine.Definition, cal *engine.Calendar, unit string, actor engine.Actor, dossier engine.Dossier) (*engine.Appraisal, error) {
	a, _, err := d.createAppraisal(ctx, def, cal, unit, actor, dossier, nil)
	return a, err
}

// createAppraisal is CreateAppraisal and, given a key, CreateAppraisalOnce:
// the key is claimed in the same transaction, so it is stored only with the
// appraisal it made.
func (d *DB) createAppraisal(ctx context.Context, def *engine.Definition, cal *engine.Calendar, unit string, actor engine.Actor,
	dossier engine.Dossier, key *engine.IdempotencyKey) (a *engine.Appraisal, replayed bool, err error) {
	if err := engine.CheckCreate(def, actor); err != nil {
		return nil, false, err
	}
	dossier.Normalize()
	if err := dossier.Validate(); err != nil {
		return nil, false, err
	}
	now := d.now()
	a = &engine.Appraisal{
		Workflow: def.Ref(), State: def.Initial, Version: 1, Dossier: dossier,
		ApplicantID: actor.ID, ApplicantName: actor.Name, SubmittedAt: now, UpdatedAt: now,
	}
	engine.StartClock(def, cal, a, engine.Day(now))
	ev := engine.Event{Seq: 1, At: now, Actor: actor, Trigger: def.CreationTrigger().Name,
		ToState: def.Initial, PrevHash: engine.GenesisHash}
	err = d.inTx(ctx, func(tx *sqlx.Tx) error {
		if key != nil {
			claimed, err := d.claimIdempotencyKey(ctx, tx, actor.ID, key, now)
			if err != nil {
				return err
			}
			if !claimed {
				a, err = d.replayIdempotencyKey(ctx, tx, actor.ID, key)
				replayed = err == nil
				return err
			}
		}
		day := now.In(engine.VietnamTime).Format("2006-01-02")
		var seq int64
		err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO dossier_sequences (unit, day, last) VALUES (?, ?, 1)
			ON CONFLICT (unit, day) DO UPDATE SET last = dossier_sequences.last + 1 RETURNING last`),
			unit, day).Scan(&seq)
		if err != nil {
			return fmt.Errorf("numbering the dossier: %w", err)
		}
		a.Code = engine.DossierCode(unit, now, seq)
		ev.Hash = engine.ComputeHash(a, &ev)
		cols, vals := appraisalCopyColumns[1:], d.appraisalValues(a, ev.Hash)[1:] // the id is the database's
		err = tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO appraisals (`+strings.Join(cols, ", ")+`)
			VALUES (`+placeholders(len(cols))+`) RETURNING id`), vals...).Scan(&a.ID)
		if err != nil {
			return fmt.Errorf("inserting the appraisal: %w", err)
		}
		ev.AppraisalID = a.ID
		if err := d.insertEvent(ctx, tx, &ev); err != nil {
			return err
		}
		if key != nil {
			if err := d.bindIdempotencyKey(ctx, tx, actor.ID, key, a.ID); err != nil {
				return err
			}
		}
		return d.insertDeltas(ctx, tx, engine.ReportDeltas(nil, a))
	})
	if err != nil {
		return nil, false, err
	}
	return a, replayed, nil
}

func (d *DB) insertEvent(ctx context.Context, tx *sqlx.Tx, e *engine.Event) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO events (`+strings.Join(eventCopyColumns, ", ")+`)
		VALUES (`+placeholders(len(eventCopyColumns))+`)`), d.eventValues(e)...)
	if err != nil {
		return fmt.Errorf("inserting event %d of appraisal %d: %w", e.Seq, e.AppraisalID, err)
	}
	return nil
}

// placeholders returns n comma-separated question marks, for Rebind.
func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// Appraisal returns one appraisal, or ENOTFOUND.
func (d *DB) Appraisal(ctx context.Context, id int64) (*engine.Appraisal, error) {
	var r appraisalRow
	err := d.GetContext(ctx, &r, d.Rebind(`SELECT `+appraisalColumns+appraisalFrom+` WHERE a.id = ?`), id)
	if err != nil {
		return nil, notFound(err, id)
	}
	return r.appraisal(), nil
}

func notFound(err error, id int64) error {
	err = mapError(err)
	if engine.ErrorCode(err) == engine.ENOTFOUND {
		return engine.Errorf(engine.ENOTFOUND, "no appraisal %d", id)
	}
	return err
}

// Appraisals lists appraisals matching f, newest first, at most f.Limit.
func (d *DB) Appraisals(ctx context.Context, f engine.ListFilter) ([]*engine.Appraisal, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if f.ApplicantID != 0 {
		add("a.applicant_id = ?", f.ApplicantID)
	}
	if f.BeforeID != 0 {
		add("a.id < ?", f.BeforeID)
	}
	// Where the state leads, the other filters are written so that no index
	// can serve them (col || ''): otherwise PostgreSQL may AND the state's
	// index with, say, a sector's, reading that sector's tens of thousands
	// of entries to find a few dozen rows a queue's index walk finds at once.
	col := func(c string) string {
		if f.StateLeads && f.State != "" {
			return c + " || ''"
		}
		return c
	}
	if f.State != "" {
		add("a.state = ?", f.State)
	}
	if f.Stage != "" {
		add(col("a.stage")+" = ?", f.Stage)
	}
	if f.Ownership != "" {
		add(col("a.ownership")+" = ?", f.Ownership)
	}
	if f.Sector != "" {
		if len(f.Sector) == 1 {
			// A section letter matches the section and its divisions; the
			// expression is indexed with id, so newest first needs no sort.
			add(col("substr(a.sector, 1, 1)")+" = ?", f.Sector)
		} else {
			add(col("a.sector")+" = ?", f.Sector)
		}
	}
	if f.Overdue || f.DueBefore != "" {
		// The clock runs: the partial index appraisals_running_clock, unless
		// the state leads (then written so that index does not apply).
		running := "a.due_on IS NOT NULL AND NOT a.clock_paused AND a.on_time IS NULL"
		if d.Engine == SQLite {
			running = "a.due_on IS NOT NULL AND a.clock_paused = 0 AND a.on_time IS NULL"
		}
		if f.StateLeads && f.State != "" {
			running = "a.due_on IS NOT NULL AND NOT a.clock_paused AND (a.on_time || '') IS NULL"
			if d.Engine == SQLite {
				running = "a.due_on IS NOT NULL AND a.clock_paused = 0 AND (a.on_time || '') IS NULL"
			}
		}
		add(running)
		if f.Overdue {
			add("a.due_on < ?", f.Today)
		}
		if f.DueBefore != "" {
			add("a.due_on < ?", f.DueBefore)
		}
	}
	if f.Q != "" {
		add(`a.search_text LIKE ? ESCAPE '\'`, "%"+escapeLike(engine.Fold(f.Q))+"%")
	}
	q := `SELECT ` + appraisalColumns + appraisalFrom
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += ` ORDER BY a.id DESC LIMIT ?`
	args = append(args, f.Limit)
	var rows []appraisalRow
	if err := d.SelectContext(ctx, &rows, d.Rebind(q), args...); err != nil {
		return nil, mapError(err)
	}
	out := make([]*engine.Appraisal, len(rows))
	for i := range rows {
		out[i] = rows[i].appraisal()
	}
	return out, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

type eventRow struct {
	AppraisalID int64     `db:"appraisal_id"`
	Seq         int       `db:"seq"`
	At          timestamp `db:"at"`
	ActorID     int64     `db:"actor_id"`
	ActorName   string    `db:"actor_name"`
	ActorRole   string    `db:"actor_role"`
	Trigger     string    `db:"trigger_name"`
	FromState   *string   `db:"from_state"`
	ToState     string    `db:"to_state"`
	Comment     *string   `db:"comment"`
	Outcome     *string   `db:"outcome"`
	DueOn       *string   `db:"due_on"`
	PrevHash    string    `db:"prev_hash"`
	Hash        string    `db:"hash"`
}

const eventColumns = `appraisal_id, seq, at, actor_id, actor_name, actor_role,
	trigger_name, from_state, to_state, comment, outcome, due_on, prev_hash, hash`

func (r *eventRow) event() engine.Event {
	return engine.Event{AppraisalID: r.AppraisalID, Seq: r.Seq, At: r.At.Time,
		Actor:   engine.Actor{ID: r.ActorID, Name: r.ActorName, Role: engine.Role(r.ActorRole)},
		Trigger: r.Trigger, FromState: deref(r.FromState), ToState: r.ToState,
		Comment: deref(r.Comment), Outcome: deref(r.Outcome), DueOn: deref(r.DueOn), PrevHash: r.PrevHash, Hash: r.Hash}
}

// Events returns an appraisal's audit trail in order.
func (d *DB) Events(ctx context.Context, appraisalID int64) ([]engine.Event, error) {
	var rows []eventRow
	err := d.SelectContext(ctx, &rows, d.Rebind(`SELECT `+eventColumns+` FROM events WHERE appraisal_id = ? ORDER BY seq`), appraisalID)
	if err != nil {
		return nil, mapError(err)
	}
	out := make([]engine.Event, len(rows))
	for i := range rows {
		out[i] = rows[i].event()
	}
	return out, nil
}

// ChainFault names an appraisal whose audit trail does not verify.
type ChainFault struct {
	AppraisalID int64
	Code        string
	Seq         int // 0: the appraisal row disagrees with its trail
	Problem     string
}

func (f ChainFault) String() string {
	if f.Seq == 0 {
		return fmt.Sprintf("appraisal %d (%s): %s", f.AppraisalID, f.Code, f.Problem)
	}
	return fmt.Sprintf("appraisal %d (%s), event %d: %s", f.AppraisalID, f.Code, f.Seq, f.Problem)
}

// VerifyChains checks every appraisal's hash chain and returns the faults,
// and how many appraisals were checked. It reads one consistent snapshot,
// range by range, so transitions committed meanwhile never look like a
// broken chain and memory stays flat however large the trail.
func (d *DB) VerifyChains(ctx context.Context) (int, []ChainFault, error) {
	const span = 5000
	checked := 0
	var faults []ChainFault
	opts := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	if d.Engine == SQLite {
		opts = nil // one connection and one writer: any transaction is a snapshot
	}
	tx, err := d.BeginTxx(ctx, opts)
	if err != nil {
		return 0, nil, mapError(err)
	}
	defer tx.Rollback()
	var maxID int64
	if err := tx.GetContext(ctx, &maxID, `SELECT COALESCE(MAX(id), 0) FROM appraisals`); err != nil {
		return 0, nil, mapError(err)
	}
	for lo := int64(0); lo < maxID; lo += span {
		var rows []appraisalRow
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT `+appraisalColumns+appraisalFrom+
			` WHERE a.id > ? AND a.id <= ? ORDER BY a.id`), lo, lo+span); err != nil {
			return 0, nil, mapError(err)
		}
		var events []eventRow
		if err := tx.SelectContext(ctx, &events, tx.Rebind(`SELECT `+eventColumns+
			` FROM events WHERE appraisal_id > ? AND appraisal_id <= ? ORDER BY appraisal_id, seq`), lo, lo+span); err != nil {
			return 0, nil, mapError(err)
		}
		for i := range rows {
			a := rows[i].appraisal()
			var trail []engine.Event
			for len(events) > 0 && events[0].AppraisalID == a.ID {
				trail = append(trail, events[0].event())
				events = events[1:]
			}
			if seq, problem := engine.VerifyChain(a, trail); problem != "" {
				faults = append(faults, ChainFault{AppraisalID: a.ID, Code: a.Code, Seq: seq, Problem: problem})
			}
			checked++
		}
		for _, e := range events {
			faults = append(faults, ChainFault{AppraisalID: e.AppraisalID, Seq: e.Seq, Problem: "event of an appraisal that does not exist"})
			break
		}
	}
	return checked, faults, nil
}
