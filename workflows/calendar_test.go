package workflows_test

import (
	"strings"
	"testing"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

func TestShippedCalendarLoads(t *testing.T) {
	c, err := workflows.Calendar()
	if err != nil {
		t.Fatal(err)
	}
	if workflows.MustCalendar() != c {
		t.Error("MustCalendar returns another calendar than Calendar")
	}
	years := c.Years()
	for _, y := range []int{2024, 2025, 2026} {
		found := false
		for _, have := range years {
			found = found || have == y
		}
		if !found {
			t.Errorf("shipped calendar lacks %d (has %v)", y, years)
		}
		if len(c.Notes(y)) == 0 {
			t.Errorf("shipped calendar has no note on the sources of %d", y)
		}
		for _, h := range c.Holidays(y) {
			if strings.TrimSpace(h.Name) == "" {
				t.Errorf("%s has no name", h.Day)
			}
		}
	}
}

func TestShippedCalendarDays(t *testing.T) {
	c := workflows.MustCalendar()
	off := []string{
		"2024-01-01", "2024-02-08", "2024-02-09", "2024-02-12", "2024-02-13", "2024-02-14",
		"2024-04-18", "2024-04-29", "2024-04-30", "2024-05-01", "2024-09-02", "2024-09-03",
		"2025-01-01", "2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31",
		"2025-04-07", "2025-04-30", "2025-05-01", "2025-05-02", "2025-09-01", "2025-09-02",
		"2026-01-01", "2026-01-02", "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
		"2026-04-27", "2026-04-30", "2026-05-01", "2026-08-31", "2026-09-01", "2026-09-02",
	}
	for _, day := range off {
		if c.IsWorkingDay(day) {
			t.Errorf("%s is a working day in the shipped calendar, want a day off", day)
		}
	}
	working := []string{
		"2024-05-04", "2025-04-26", "2026-01-10", "2026-08-22", // working Saturdays
		"2024-02-15", "2025-02-03", "2026-02-23", // back after Tết
		"2026-02-13", "2025-01-24", "2024-02-07", // last day before Tết
	}
	for _, day := range working {
		if !c.IsWorkingDay(day) {
			t.Errorf("%s is a day off in the shipped calendar, want a working day", day)
		}
	}
	// Working days of a year: its weekdays, less the weekdays off (12 in
	// 2024 and 2025, 13 in 2026), plus the working weekends.
	for _, tc := range []struct {
		from, to string
		want     int
	}{
		{"2023-12-31", "2024-12-31", 262 - 12 + 1},
		{"2024-12-31", "2025-12-31", 261 - 12 + 1},
		{"2025-12-31", "2026-12-31", 261 - 13 + 2},
	} {
		if got := c.WorkingDaysBetween(tc.from, tc.to); got != tc.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tc.from, tc.to, got, tc.want)
		}
	}
	if got := c.AddWorkingDays("2026-02-13", 1); got != "2026-02-23" {
		t.Errorf("AddWorkingDays(2026-02-13, 1) = %s, want 2026-02-23", got)
	}
}

func TestShippedCalendarWith(t *testing.T) {
	base := workflows.MustCalendar()
	c, err := base.With(engine.CalendarData{Holidays: []engine.Holiday{{Day: "2026-11-24", Name: "Ngày Văn hóa Việt Nam"}}})
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay("2026-11-24") || !base.IsWorkingDay("2026-11-24") {
		t.Error("With did not add the day to a new calendar only")
	}
}

func TestParseCalendarRejects(t *testing.T) {
	for _, doc := range []string{
		`{"holidays": [{"day": "2025-01-01", "name": "x", "extra": 1}]}`,
		`{"holidays": [], "unknown": true}`,
		`{"holidays": [{"day": "2025-02-30", "name": "x"}]}`,
		`{"holidays": []} {}`,
		`not json`,
	} {
		if _, err := workflows.ParseCalendar([]byte(doc)); err == nil {
			t.Errorf("ParseCalendar(%s) accepted it", doc)
		}
	}
}
