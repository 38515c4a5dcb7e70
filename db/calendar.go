package db

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"github.com/appraisal/appraisal/engine"
)

// CalendarDays returns the days off and working weekends the operator
// added to the shipped calendar, by day.
func (d *DB) CalendarDays(ctx context.Context) (engine.CalendarData, error) {
	var rows []struct {
		Day     string `db:"day"`
		Name    string `db:"name"`
		Working bool   `db:"working"`
	}
	out := engine.CalendarData{Holidays: []engine.Holiday{}, WorkingWeekends: []engine.Holiday{}}
	if err := d.SelectContext(ctx, &rows, `SELECT day, name, working FROM calendar_days ORDER BY day`); err != nil {
		return out, mapError(err)
	}
	for _, r := range rows {
		h := engine.Holiday{Day: r.Day, Name: r.Name}
		if r.Working {
			out.WorkingWeekends = append(out.WorkingWeekends, h)
		} else {
			out.Holidays = append(out.Holidays, h)
		}
	}
	return out, nil
}

// AddCalendarDays stores days the operator adds, all or none. A day
// already stored as it is given is left alone; stored otherwise, it is an
// ECONFLICT. Validate the days (engine.Calendar.With) before.
func (d *DB) AddCalendarDays(ctx context.Context, add engine.CalendarData) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		now := d.timeArg(d.now())
		for _, list := range []struct {
			days    []engine.Holiday
			working bool
		}{{add.Holidays, false}, {add.WorkingWeekends, true}} {
			for _, h := range list.days {
				// Insert unless the day is there; then it must be as given (a
				// concurrent identical addition is fine).
				res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO calendar_days (day, name, working, added_at)
					VALUES (?, ?, ?, ?) ON CONFLICT (day) DO NOTHING`), h.Day, h.Name, list.working, now)
				if err != nil {
					return fmt.Errorf("adding %s to the calendar: %w", h.Day, err)
				}
				if n, _ := res.RowsAffected(); n == 1 {
					continue
				}
				var stored struct {
					Name    string `db:"name"`
					Working bool   `db:"working"`
				}
				if err := tx.GetContext(ctx, &stored, tx.Rebind(`SELECT name, working FROM calendar_days WHERE day = ?`), h.Day); err != nil {
					return err
				}
				if stored.Name != h.Name || stored.Working != list.working {
					return engine.Errorf(engine.ECONFLICT, "%s is already in the calendar as %q", h.Day, stored.Name)
				}
			}
		}
		return nil
	})
}
