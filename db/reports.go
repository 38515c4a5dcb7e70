package db

import (
	"context"
	"fmt"
	"strings"

	"github.com/appraisal/appraisal/engine"
)

// reportTime names the column a report event buckets and filters by.
var reportTime = map[string]string{
	engine.EventSubmitted: "submitted_at",
	engine.EventAppraised: "appraised_at",
}

// dimension returns the SQL expression of a counts dimension over the
// event time column t. Only names from fixed tables reach the SQL.
func (d *DB) dimension(by, t string) (string, bool) {
	local := func(pgFormat, sqliteFormat string) string {
		if d.Engine == Postgres {
			return fmt.Sprintf("to_char(%s AT TIME ZONE 'Asia/Ho_Chi_Minh', '%s')", t, pgFormat)
		}
		return fmt.Sprintf("strftime('%s', %s, '+7 hours')", sqliteFormat, t)
	}
	switch by {
	case "state", "stage", "ownership", "investor_country", "outcome":
		return by, true
	case "sector":
		return "substr(sector, 1, 1)", true // the VSIC section
	case "month":
		return local("YYYY-MM", "%Y-%m"), true
	case "year":
		return local("YYYY", "%Y"), true
	case "quarter":
		if d.Engine == Postgres {
			return local(`YYYY-"Q"Q`, ""), true
		}
		return fmt.Sprintf("strftime('%%Y', %[1]s, '+7 hours') || '-Q' || ((CAST(strftime('%%m', %[1]s, '+7 hours') AS INTEGER) + 2) / 3)", t), true
	}
	return "", false
}

// periodWhere returns the condition and arguments selecting event times in p.
func (d *DB) periodWhere(t string, p engine.Period) (string, []any) {
	conds := []string{t + " IS NOT NULL"}
	var args []any
	if !p.Since.IsZero() {
		conds, args = append(conds, t+" >= ?"), append(args, d.timeArg(p.Since))
	}
	if !p.Until.IsZero() {
		conds, args = append(conds, t+" < ?"), append(args, d.timeArg(p.Until))
	}
	return strings.Join(conds, " AND "), args
}

// Counts answers a counts report, ordered by key (no value last).
// Returns EINVALID for an unknown By or Event.
func (d *DB) Counts(ctx context.Context, q engine.CountsQuery) ([]engine.Count, error) {
	t, ok := reportTime[q.Event]
	if !ok {
		return nil, engine.FieldErrorf("event", "event %q is not one of submitted, appraised", q.Event)
	}
	expr, ok := d.dimension(q.By, t)
	if !ok {
		return nil, engine.FieldErrorf("by", "by %q is not one of %s", q.By, strings.Join(engine.CountDimensions, ", "))
	}
	where, args := d.periodWhere(t, engine.Period{Since: q.Since, Until: q.Until})
	rows, err := d.QueryxContext(ctx, d.Rebind(`SELECT `+expr+` AS k, COUNT(*) FROM appraisals WHERE `+where+
		` GROUP BY k ORDER BY k NULLS LAST`), args...)
	if err != nil {
		return nil, mapError(err)
	}
	defer rows.Close()
	out := []engine.Count{}
	for rows.Next() {
		var c engine.Count
		if err := rows.Scan(&c.Key, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, mapError(rows.Err())
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
	where, args := d.periodWhere("appraised_at", p)
	var cells []struct {
		Ownership string `db:"ownership"`
		Section   string `db:"section"`
		N         int64  `db:"n"`
	}
	if err := d.SelectContext(ctx, &cells, d.Rebind(`SELECT ownership, substr(sector, 1, 1) AS section, COUNT(*) AS n
		FROM appraisals WHERE `+where+` GROUP BY ownership, section`), args...); err != nil {
		return nil, mapError(err)
	}
	for _, c := range cells {
		if f.Cells[c.Ownership] == nil {
			f.Cells[c.Ownership] = map[string]int64{}
		}
		f.Cells[c.Ownership][c.Section] += c.N
	}
	var countries []struct {
		Country *string `db:"country"`
		N       int64   `db:"n"`
	}
	if err := d.SelectContext(ctx, &countries, d.Rebind(`SELECT investor_country AS country, COUNT(*) AS n
		FROM appraisals WHERE `+where+` GROUP BY investor_country`), args...); err != nil {
		return nil, mapError(err)
	}
	for _, c := range countries {
		f.ByCountry[deref(c.Country)] += c.N
	}
	return f, nil
}
