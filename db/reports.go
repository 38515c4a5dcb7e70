package db

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/appraisal/appraisal/engine"
)

// Reports read report_counts plus the deltas not folded into it yet; the
// SQL is the same on both engines (days are text, 2006-01-02).

// bucketOf returns the SQL grouping key of a counts dimension, and the
// kept dimension whose rows it sums. Only fixed strings reach the SQL.
func bucketOf(by string) (key, dim string, ok bool) {
	switch by {
	case engine.DimState, engine.DimStage, engine.DimSector, engine.DimOwnership,
		engine.DimInvestorCountry, engine.DimOutcome, engine.DimOnTime:
		return "value", by, true
	case "month":
		return "substr(day, 1, 7)", engine.DimStage, true
	case "year":
		return "substr(day, 1, 4)", engine.DimStage, true
	case "quarter":
		return "substr(day, 1, 4) || '-Q' || ((CAST(substr(day, 6, 2) AS INTEGER) + 2) / 3)", engine.DimStage, true
	}
	return "", "", false
}

// sumCounts sums kept counts of one event and dimension per key over p.
func (d *DB) sumCounts(ctx context.Context, event, dim, key string, p engine.Period) (map[string]int64, error) {
	where, args := "event = ? AND dim = ?", []any{event, dim}
	if p.From != "" {
		where, args = where+" AND day >= ?", append(args, p.From)
	}
	if p.To != "" {
		where, args = where+" AND day <= ?", append(args, p.To)
	}
	q := `SELECT k, SUM(n) FROM (
		SELECT ` + key + ` AS k, n FROM report_counts WHERE ` + where + `
		UNION ALL
		SELECT ` + key + ` AS k, n FROM report_deltas WHERE ` + where + `
	) x GROUP BY k`
	rows, err := d.QueryxContext(ctx, d.Rebind(q), append(args, args...)...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			return nil, mapError(err)
		}
		if n != 0 {
			out[k] = n
		}
	}
	return out, mapError(rows.Err())
}

// Counts answers a counts report, ordered by key, no value last.
// Returns EINVALID for an unknown By or Event.
func (d *DB) Counts(ctx context.Context, q engine.CountsQuery) ([]engine.Count, error) {
	if q.Event != engine.EventSubmitted && q.Event != engine.EventAppraised {
		return nil, engine.FieldErrorf("event", "event %q is not one of submitted, appraised", q.Event)
	}
	key, dim, ok := bucketOf(q.By)
	if !ok {
		return nil, engine.FieldErrorf("by", "by %q is not one of %s", q.By, strings.Join(engine.CountDimensions, ", "))
	}
	sums, err := d.sumCounts(ctx, q.Event, dim, key, q.Period)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(sums))
	for k := range sums {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { // "" (no value) last
		if (a == "") != (b == "") {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	out := make([]engine.Count, len(keys))
	for i, k := range keys {
		out[i] = engine.Count{Key: nullable(k), Count: sums[k]}
	}
	if key == "value" { // not a period of time
		return out, nil
	}
	// A period of time: how many of each were judged on time, and late.
	judged, err := d.sumCounts(ctx, q.Event, engine.DimOnTime, key+" || '|' || value", q.Period)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if k := out[i].Key; k != nil {
			out[i].OnTime, out[i].Late = judged[*k+"|"+engine.OnTime], judged[*k+"|"+engine.Late]
		}
	}
	return out, nil
}

// Form07 fills the provincial statistics form for projects whose appraisal
// or opinion was concluded in p.
func (d *DB) Form07(ctx context.Context, p engine.Period) (*engine.Form07, error) {
	f := &engine.Form07{Period: p, Cells: map[string]map[string]int64{}, ByCountry: map[string]int64{}}
	for _, o := range engine.Ownerships() {
		f.Cells[o] = map[string]int64{}
		for _, s := range engine.Sections() {
			f.Cells[o][s] = 0
		}
	}
	cells, err := d.sumCounts(ctx, engine.EventAppraised, engine.DimOwnershipSector, "value", p)
	if err != nil {
		return nil, err
	}
	for k, n := range cells {
		o, s, _ := strings.Cut(k, "|")
		if f.Cells[o] == nil {
			f.Cells[o] = map[string]int64{}
		}
		f.Cells[o][s] += n
	}
	if f.ByCountry, err = d.sumCounts(ctx, engine.EventAppraised, engine.DimInvestorCountry, "value", p); err != nil {
		return nil, err
	}
	return f, nil
}

// insertDeltas appends changes to the kept counts, in tx.
func (d *DB) insertDeltas(ctx context.Context, tx *sqlx.Tx, deltas []engine.ReportDelta) error {
	if len(deltas) == 0 {
		return nil
	}
	q := `INSERT INTO report_deltas (event, dim, value, day, n) VALUES (?, ?, ?, ?, ?)` +
		strings.Repeat(`, (?, ?, ?, ?, ?)`, len(deltas)-1)
	args := make([]any, 0, 5*len(deltas))
	for _, r := range deltas {
		args = append(args, r.Event, r.Dim, r.Value, r.Day, r.N)
	}
	if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("counting for reports: %w", err)
	}
	return nil
}

// addCounts adds deltas straight to report_counts, for bulk loading.
func (d *DB) addCounts(ctx context.Context, tx *sqlx.Tx, deltas []engine.ReportDelta) error {
	type key struct{ event, dim, value, day string }
	sum := map[key]int64{}
	var order []key
	for _, r := range deltas {
		k := key{r.Event, r.Dim, r.Value, r.Day}
		if _, ok := sum[k]; !ok {
			order = append(order, k)
		}
		sum[k] += r.N
	}
	// In key order, so concurrent loads lock shared rows in one order.
	slices.SortFunc(order, func(a, b key) int {
		return cmp.Or(strings.Compare(a.event, b.event), strings.Compare(a.dim, b.dim),
			strings.Compare(a.day, b.day), strings.Compare(a.value, b.value))
	})
	// Many rows a statement: one round trip per chunk, not per count.
	const chunk = 500
	for lo := 0; lo < len(order); lo += chunk {
		keys := order[lo:min(lo+chunk, len(order))]
		args := make([]any, 0, 5*len(keys))
		for _, k := range keys {
			args = append(args, k.event, k.dim, k.value, k.day, sum[k])
		}
		q := `INSERT INTO report_counts (event, dim, value, day, n) VALUES (?, ?, ?, ?, ?)` +
			strings.Repeat(`, (?, ?, ?, ?, ?)`, len(keys)-1) +
			` ON CONFLICT (event, dim, day, value) DO UPDATE SET n = report_counts.n + excluded.n`
		if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
			return err
		}
	}
	return nil
}

// FoldReportDeltas moves the appended deltas into report_counts. Safe to
// run from several processes at once: a delta is moved exactly once.
func (d *DB) FoldReportDeltas(ctx context.Context) (int64, error) {
	var moved int64
	err := d.inTx(ctx, func(tx *sqlx.Tx) error {
		if d.Engine == Postgres {
			// Rows inserted after this statement's snapshot stay for the next fold.
			res, err := tx.ExecContext(ctx, `WITH moved AS (DELETE FROM report_deltas RETURNING event, dim, value, day, n)
				INSERT INTO report_counts (event, dim, value, day, n)
				SELECT event, dim, value, day, SUM(n) FROM moved GROUP BY event, dim, value, day
				ON CONFLICT (event, dim, day, value) DO UPDATE SET n = report_counts.n + excluded.n`)
			if err != nil {
				return err
			}
			moved, _ = res.RowsAffected()
			return nil
		}
		// SQLite: this transaction holds the only write lock, so the two
		// statements see the same deltas.
		res, err := tx.ExecContext(ctx, `INSERT INTO report_counts (event, dim, value, day, n)
			SELECT event, dim, value, day, SUM(n) FROM report_deltas WHERE true GROUP BY event, dim, value, day
			ON CONFLICT (event, dim, day, value) DO UPDATE SET n = report_counts.n + excluded.n`)
		if err != nil {
			return err
		}
		moved, _ = res.RowsAffected()
		_, err = tx.ExecContext(ctx, `DELETE FROM report_deltas`)
		return err
	})
	return moved, err
}
