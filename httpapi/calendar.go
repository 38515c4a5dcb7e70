package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// The working-day calendar deadlines count in: the one shipped in the
// binary (workflows/calendar) plus the days the operator added, kept in the
// database. An addition changes the due dates computed from then on; due
// dates already set stay as they were.

type calendarJSON struct {
	Year            int                   `json:"year"`
	Covered         bool                  `json:"covered"`
	Holidays        []engine.Holiday      `json:"holidays"`
	WorkingWeekends []engine.Holiday      `json:"working_weekends"`
	Notes           []engine.CalendarNote `json:"notes"`
	Years           []int                 `json:"years"`
}

// getCalendar answers one year of the calendar (?year=, this year by default).
func (s *Server) getCalendar(w http.ResponseWriter, r *http.Request) error {
	q, err := strictQuery(r)
	if err != nil {
		return err
	}
	if err := checkParams(q, "year"); err != nil {
		return err
	}
	year := s.now().In(engine.VietnamTime).Year()
	if v := q.Get("year"); v != "" {
		year, err = strconv.Atoi(v)
		if err != nil || year < engine.CalendarMinYear || year > engine.CalendarMaxYear || strconv.Itoa(year) != v {
			return engine.FieldErrorf("year", "year must be a year from %d to %d", engine.CalendarMinYear, engine.CalendarMaxYear)
		}
	}
	cal := s.catalog.Calendar()
	notes := cal.Notes(year)
	if notes == nil {
		notes = []engine.CalendarNote{}
	}
	writeJSON(w, http.StatusOK, "application/json", calendarJSON{
		Year: year, Covered: cal.Covers(time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)),
		Holidays: cal.Holidays(year), WorkingWeekends: cal.WorkingWeekends(year), Notes: notes, Years: cal.Years(),
	})
	return nil
}

type calendarDaysRequest struct {
	Holidays        []engine.Holiday `json:"holidays"`
	WorkingWeekends []engine.Holiday `json:"working_weekends"`
}

// addCalendarDays adds days off and working weekends (admin only), such as
// next year's lunar new year holidays once they are announced.
func (s *Server) addCalendarDays(w http.ResponseWriter, r *http.Request) error {
	if actorOf(r).Role != engine.RoleAdmin {
		return engine.Errorf(engine.EFORBIDDEN, "only an admin may change the calendar")
	}
	var req calendarDaysRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	add := engine.CalendarData{Holidays: req.Holidays, WorkingWeekends: req.WorkingWeekends}
	if len(add.Holidays)+len(add.WorkingWeekends) == 0 {
		return engine.FieldErrorf("holidays", "give at least one day in holidays or working_weekends")
	}
	cal, err := AddCalendarDays(r.Context(), s.store, add)
	if err != nil {
		return err
	}
	s.catalog.SetCalendar(cal)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ReloadCalendar rebuilds the calendar from the shipped one and the days
// stored; servers call it now and then to see what another one added.
func (s *Server) ReloadCalendar(ctx context.Context) error {
	cal, err := LoadCalendar(ctx, s.store)
	if err != nil {
		return err
	}
	s.catalog.SetCalendar(cal)
	return nil
}

// CalendarStore keeps the days the operator added to the calendar;
// package db implements it.
type CalendarStore interface {
	CalendarDays(ctx context.Context) (engine.CalendarData, error)
	AddCalendarDays(ctx context.Context, add engine.CalendarData) error
}

// AddCalendarDays validates add against the calendar in force (shipped and
// stored, read afresh), stores it, all or none, and returns the calendar
// with it. The admin API and `appraisal calendar add` both add through it.
func AddCalendarDays(ctx context.Context, db CalendarStore, add engine.CalendarData) (*engine.Calendar, error) {
	current, err := LoadCalendar(ctx, db)
	if err != nil {
		return nil, err
	}
	cal, err := current.With(add)
	if err != nil {
		return nil, err
	}
	if err := db.AddCalendarDays(ctx, add); err != nil {
		return nil, err
	}
	return cal, nil
}

// LoadCalendar returns the shipped calendar with the days stored in db. A
// stored day that a newer release ships otherwise is left out, with a
// warning: the shipped calendar wins, and a server always starts.
func LoadCalendar(ctx context.Context, db CalendarStore) (*engine.Calendar, error) {
	added, err := db.CalendarDays(ctx)
	if err != nil {
		return nil, err
	}
	cal := workflows.MustCalendar()
	if merged, err := cal.With(added); err == nil {
		return merged, nil
	}
	for _, one := range splitCalendar(added) {
		merged, err := cal.With(one)
		if err != nil {
			slog.WarnContext(ctx, "a day added to the calendar conflicts with the shipped calendar; the shipped one counts", "err", err)
			continue
		}
		cal = merged
	}
	return cal, nil
}

// splitCalendar returns each day of data on its own.
func splitCalendar(data engine.CalendarData) []engine.CalendarData {
	var out []engine.CalendarData
	for _, h := range data.Holidays {
		out = append(out, engine.CalendarData{Holidays: []engine.Holiday{h}})
	}
	for _, h := range data.WorkingWeekends {
		out = append(out, engine.CalendarData{WorkingWeekends: []engine.Holiday{h}})
	}
	return out
}
