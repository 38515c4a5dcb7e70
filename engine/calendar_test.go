package engine_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appraisal/appraisal/engine"
)

// testCalendarData mirrors part of the shipped Vietnam calendar, so that the
// engine's tests do not depend on the data file.
func testCalendarData() engine.CalendarData {
	h := func(day, name string) engine.Holiday { return engine.Holiday{Day: day, Name: name} }
	return engine.CalendarData{
		Holidays: []engine.Holiday{
			h("2024-01-01", "Tết Dương lịch"),
			h("2024-02-08", "Tết"), h("2024-02-09", "Tết"), h("2024-02-10", "Tết"), h("2024-02-11", "Tết"),
			h("2024-02-12", "Tết"), h("2024-02-13", "Nghỉ bù Tết"), h("2024-02-14", "Nghỉ bù Tết"),
			h("2024-04-18", "Giỗ Tổ Hùng Vương"),
			h("2024-04-29", "Nghỉ hoán đổi"), h("2024-04-30", "Ngày Chiến thắng"), h("2024-05-01", "Quốc tế Lao động"),
			h("2024-09-02", "Quốc khánh"), h("2024-09-03", "Quốc khánh"),

			h("2025-01-01", "Tết Dương lịch"),
			h("2025-01-27", "Tết"), h("2025-01-28", "Tết"), h("2025-01-29", "Tết"), h("2025-01-30", "Tết"), h("2025-01-31", "Tết"),
			h("2025-04-07", "Giỗ Tổ Hùng Vương"),
			h("2025-04-30", "Ngày Chiến thắng"), h("2025-05-01", "Quốc tế Lao động"), h("2025-05-02", "Nghỉ hoán đổi"),
			h("2025-09-01", "Quốc khánh"), h("2025-09-02", "Quốc khánh"),

			h("2026-01-01", "Tết Dương lịch"), h("2026-01-02", "Nghỉ hoán đổi"),
			h("2026-02-16", "Tết"), h("2026-02-17", "Tết"), h("2026-02-18", "Tết"), h("2026-02-19", "Tết"), h("2026-02-20", "Tết"),
			h("2026-04-26", "Giỗ Tổ Hùng Vương"), h("2026-04-27", "Nghỉ bù Giỗ Tổ Hùng Vương"),
			h("2026-04-30", "Ngày Chiến thắng"), h("2026-05-01", "Quốc tế Lao động"),
			h("2026-08-31", "Nghỉ hoán đổi"), h("2026-09-01", "Quốc khánh"), h("2026-09-02", "Quốc khánh"),
		},
		WorkingWeekends: []engine.Holiday{
			h("2024-05-04", "Làm bù"),
			h("2025-04-26", "Làm bù"),
			h("2026-01-10", "Làm bù"),
			h("2026-08-22", "Làm bù"),
		},
	}
}

func testCalendar(t testing.TB) *engine.Calendar {
	t.Helper()
	c, err := engine.NewCalendar(testCalendarData())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCalendarIsWorkingDay(t *testing.T) {
	c := testCalendar(t)
	for _, tc := range []struct {
		day  string
		want bool
		why  string
	}{
		{"2025-03-03", true, "an ordinary Monday"},
		{"2025-03-07", true, "an ordinary Friday"},
		{"2025-03-08", false, "an ordinary Saturday"},
		{"2025-03-09", false, "an ordinary Sunday"},
		{"2026-02-13", true, "the Friday before Tết 2026"},
		{"2026-02-14", false, "the Saturday opening Tết 2026"},
		{"2026-02-16", false, "Tết 2026, 29 tháng Chạp"},
		{"2026-02-17", false, "Tết 2026, mùng 1"},
		{"2026-02-20", false, "Tết 2026, mùng 4"},
		{"2026-02-23", true, "the Monday after Tết 2026"},
		{"2024-02-10", false, "Tết 2024, mùng 1 on a Saturday"},
		{"2024-02-13", false, "compensatory day for Tết 2024"},
		{"2024-02-15", true, "back to work after Tết 2024"},
		{"2026-04-26", false, "Giỗ Tổ 2026, a Sunday"},
		{"2026-04-27", false, "its compensatory Monday"},
		{"2026-04-28", true, "the Tuesday after"},
		{"2025-04-26", true, "working Saturday for the 2 May 2025 bridge"},
		{"2025-04-27", false, "the Sunday after it"},
		{"2025-05-02", false, "the bridge Friday"},
		{"2026-01-10", true, "working Saturday for 2 January 2026"},
		{"2025-09-02", false, "National Day 2025"},
		{"2027-02-08", true, "a Monday in a year without data"},
	} {
		if got := c.IsWorkingDay(tc.day); got != tc.want {
			t.Errorf("IsWorkingDay(%s) = %v, want %v (%s)", tc.day, got, tc.want, tc.why)
		}
	}
}

func TestCalendarAddWorkingDays(t *testing.T) {
	c := testCalendar(t)
	for _, tc := range []struct {
		day  string
		n    int
		want string
		why  string
	}{
		{"2025-03-07", 1, "2025-03-10", "Friday + 1 is Monday"},
		{"2025-03-08", 1, "2025-03-10", "Saturday + 1 is Monday"},
		{"2025-03-03", 5, "2025-03-10", "a week"},
		{"2025-03-03", 0, "2025-03-03", "zero"},
		{"2025-03-03", -3, "2025-03-03", "negative"},
		{"2024-12-31", 1, "2025-01-02", "year end, over 1 January"},
		{"2025-12-31", 1, "2026-01-05", "year end, over 1 January and its bridge Friday"},
		{"2026-01-09", 1, "2026-01-10", "Friday + 1 is the working Saturday"},
		{"2026-01-09", 2, "2026-01-12", "then Monday"},
		{"2026-02-13", 1, "2026-02-23", "over Tết 2026"},
		{"2026-02-12", 3, "2026-02-24", "over Tết 2026, three days"},
		{"2026-02-17", 1, "2026-02-23", "from within Tết"},
		{"2024-02-07", 1, "2024-02-15", "over Tết 2024 with its compensatory days"},
		{"2026-04-24", 1, "2026-04-28", "over Giỗ Tổ's compensatory Monday"},
		{"2026-04-24", 4, "2026-05-05", "over Giỗ Tổ and 30/4-1/5 2026"},
		{"2026-02-02", 15, "2026-03-02", "15 working days over Tết 2026"},
		{"2026-02-02", 20, "2026-03-09", "20 working days over Tết 2026"},
		{"2027-03-01", 20, "2027-03-29", "a year without data"},
		{"2023-12-01", 30, "2024-01-15", "into the data from a year without"},
	} {
		if got := c.AddWorkingDays(tc.day, tc.n); got != tc.want {
			t.Errorf("AddWorkingDays(%s, %d) = %s, want %s (%s)", tc.day, tc.n, got, tc.want, tc.why)
		}
	}
}

func TestCalendarWorkingDaysBetween(t *testing.T) {
	c := testCalendar(t)
	for _, tc := range []struct {
		from, to string
		want     int
	}{
		{"2025-03-03", "2025-03-03", 0},
		{"2025-03-03", "2025-03-04", 1},
		{"2025-03-04", "2025-03-03", -1},
		{"2025-03-07", "2025-03-10", 1},
		{"2025-03-08", "2025-03-09", 0},
		{"2025-03-03", "2025-03-10", 5},
		{"2025-03-10", "2025-03-03", -5},
		{"2026-02-13", "2026-02-23", 1},
		{"2026-02-23", "2026-02-13", -1},
		{"2026-02-13", "2026-02-22", 0},
		{"2026-01-09", "2026-01-12", 2},
		{"2024-12-31", "2025-01-02", 1},
		// 2025: 261 weekdays, 12 of them days off, plus one working Saturday.
		{"2024-12-31", "2025-12-31", 250},
		{"2025-12-31", "2024-12-31", -250},
		// A year without data: 2027 has 261 weekdays.
		{"2026-12-31", "2027-12-31", 261},
	} {
		if got := c.WorkingDaysBetween(tc.from, tc.to); got != tc.want {
			t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tc.from, tc.to, got, tc.want)
		}
	}
}

// TestCalendarProperty checks AddWorkingDays and WorkingDaysBetween against
// each other and against a plain day-by-day count, over every day from 2023
// to 2027 and n from 1 to 25.
func TestCalendarProperty(t *testing.T) {
	c := testCalendar(t)
	for d := time.Date(2023, 12, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2027; d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		for n := 1; n <= 25; n++ {
			got := c.AddWorkingDays(day, n)
			if between := c.WorkingDaysBetween(day, got); between != n {
				t.Fatalf("WorkingDaysBetween(%s, AddWorkingDays(%s, %d) = %s) = %d", day, day, n, got, between)
			}
			if back := c.WorkingDaysBetween(got, day); back != -n {
				t.Fatalf("WorkingDaysBetween(%s, %s) = %d, want %d", got, day, back, -n)
			}
			if !c.IsWorkingDay(got) {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, not a working day", day, n, got)
			}
			// The slow way: step a day at a time.
			x, left := d, n
			for left > 0 {
				x = x.AddDate(0, 0, 1)
				if c.IsWorkingDay(x.Format(time.DateOnly)) {
					left--
				}
			}
			if want := x.Format(time.DateOnly); got != want {
				t.Fatalf("AddWorkingDays(%s, %d) = %s, stepping gives %s", day, n, got, want)
			}
		}
	}
}

// TestCalendarWeekdaysAgainstTime checks the internal day arithmetic against
// the time package, over four centuries and across the edges of the data.
func TestCalendarWeekdaysAgainstTime(t *testing.T) {
	empty, err := engine.NewCalendar(engine.CalendarData{})
	if err != nil {
		t.Fatal(err)
	}
	full := testCalendar(t)
	for d := time.Date(1899, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2301; d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		wd := d.Weekday()
		want := wd != time.Saturday && wd != time.Sunday
		if got := empty.IsWorkingDay(day); got != want {
			t.Fatalf("empty calendar: IsWorkingDay(%s) = %v, a %s", day, got, wd)
		}
		next := d.AddDate(0, 0, 1)
		for next.Weekday() == time.Saturday || next.Weekday() == time.Sunday {
			next = next.AddDate(0, 0, 1)
		}
		if got := empty.AddWorkingDays(day, 1); got != next.Format(time.DateOnly) {
			t.Fatalf("empty calendar: AddWorkingDays(%s, 1) = %s, want %s", day, got, next.Format(time.DateOnly))
		}
		if d.Year() < 2023 || d.Year() > 2027 {
			if got := full.AddWorkingDays(day, 7); got != empty.AddWorkingDays(day, 7) {
				t.Fatalf("AddWorkingDays(%s, 7) = %s away from the data, want %s", day, got, empty.AddWorkingDays(day, 7))
			}
		}
	}
}

func TestParseDay(t *testing.T) {
	for _, ok := range []string{"2025-01-01", "2024-02-29", "2000-02-29", "0001-01-01", "9999-12-31"} {
		if got, err := engine.ParseDay(ok); err != nil || got != ok {
			t.Errorf("ParseDay(%q) = %q, %v", ok, got, err)
		}
	}
	for _, bad := range []string{"", "2025-1-01", "2025/01/01", "2025-13-01", "2025-00-10", "2025-02-29",
		"1900-02-29", "2025-04-31", "2025-01-32", "2025-01-00", "0000-01-01", "2025-01-01T00:00:00Z",
		" 2025-01-01", "2025-01-0a", "２０２５-01-01"} {
		_, err := engine.ParseDay(bad)
		var e *engine.Error
		if !errors.As(err, &e) || e.Code != engine.EINVALID || e.Field != "day" {
			t.Errorf("ParseDay(%q) = %v, want an EINVALID error on day", bad, err)
		}
	}
}

func TestCalendarMalformedDay(t *testing.T) {
	c := testCalendar(t)
	for _, bad := range []string{"2025-02-30", "", "2025-1-1", "9999"} {
		if c.IsWorkingDay(bad) || c.Covers(bad) {
			t.Errorf("IsWorkingDay or Covers(%q) = true, want false for a malformed day", bad)
		}
	}
	for name, f := range map[string]func(){
		"AddWorkingDays":     func() { c.AddWorkingDays("25-01-01", 1) },
		"WorkingDaysBetween": func() { c.WorkingDaysBetween("2025-01-01", "tomorrow") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s with a malformed day did not panic", name)
				}
			}()
			f()
		}()
	}
}

func TestNewCalendarValidation(t *testing.T) {
	h := func(day, name string) engine.Holiday { return engine.Holiday{Day: day, Name: name} }
	for _, tc := range []struct {
		name  string
		data  engine.CalendarData
		field string
		msg   string
	}{
		{"bad date", engine.CalendarData{Holidays: []engine.Holiday{h("2025-02-30", "x")}},
			"holidays[0].day", "not a day"},
		{"bad format", engine.CalendarData{Holidays: []engine.Holiday{h("2025-01-01", "a"), h("1/1/2025", "x")}},
			"holidays[1].day", "not a day"},
		{"no name", engine.CalendarData{Holidays: []engine.Holiday{h("2025-01-01", " ")}},
			"holidays[0].name", "no name"},
		{"duplicate holiday", engine.CalendarData{Holidays: []engine.Holiday{h("2025-01-01", "a"), h("2025-01-01", "a")}},
			"holidays[1].day", "already listed as a holiday"},
		{"holiday and working weekend", engine.CalendarData{
			Holidays:        []engine.Holiday{h("2025-04-26", "a")},
			WorkingWeekends: []engine.Holiday{h("2025-04-26", "b")}},
			"working_weekends[0].day", "already listed as a holiday"},
		{"working weekday", engine.CalendarData{WorkingWeekends: []engine.Holiday{h("2025-04-25", "b")}},
			"working_weekends[0].day", "Friday, not a Saturday or Sunday"},
		{"duplicate working weekend", engine.CalendarData{WorkingWeekends: []engine.Holiday{h("2025-04-26", "a"), h("2025-04-26", "b")}},
			"working_weekends[1].day", "already listed as a working weekend"},
		{"year out of range", engine.CalendarData{Holidays: []engine.Holiday{h("1800-01-01", "a")}},
			"holidays[0].day", "outside the years"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := engine.NewCalendar(tc.data)
			var e *engine.Error
			if !errors.As(err, &e) || e.Code != engine.EINVALID || e.Field != tc.field || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("NewCalendar = %v (%+v), want EINVALID on %s containing %q", err, e, tc.field, tc.msg)
			}
		})
	}
}

func TestCalendarWith(t *testing.T) {
	base := testCalendar(t)
	data := testCalendarData()
	// A provincial day off (made up) and an exact duplicate of a shipped one.
	more := engine.CalendarData{
		Holidays: []engine.Holiday{
			{Day: "2025-03-04", Name: "Ngày nghỉ của tỉnh"},
			data.Holidays[0],
		},
		WorkingWeekends: []engine.Holiday{{Day: "2025-03-08", Name: "Làm bù"}, data.WorkingWeekends[0]},
		Notes:           []engine.CalendarNote{{Year: 2025, Note: "thêm ngày của tỉnh"}},
	}
	c, err := base.With(more)
	if err != nil {
		t.Fatal(err)
	}
	if c.IsWorkingDay("2025-03-04") || !c.IsWorkingDay("2025-03-08") {
		t.Error("With: the added days are not applied")
	}
	if !base.IsWorkingDay("2025-03-04") || base.IsWorkingDay("2025-03-08") {
		t.Error("With changed the calendar it was called on")
	}
	if got, want := len(c.Holidays(2025)), len(base.Holidays(2025))+1; got != want {
		t.Errorf("With: %d holidays in 2025, want %d", got, want)
	}
	if got, want := len(c.Holidays(2024)), len(base.Holidays(2024)); got != want {
		t.Errorf("With: exact duplicate not ignored: %d holidays in 2024, want %d", got, want)
	}
	if got := c.Notes(2025); len(got) != 1 || got[0].Note != "thêm ngày của tỉnh" {
		t.Errorf("With: notes %v", got)
	}
	if got := c.WorkingDaysBetween("2025-03-03", "2025-03-10"); got != 5 {
		t.Errorf("With: WorkingDaysBetween over the added days = %d, want 5", got)
	}
	// The same day under another name, or in the other list, is a clash.
	for _, bad := range []engine.CalendarData{
		{Holidays: []engine.Holiday{{Day: "2024-01-01", Name: "another name"}}},
		{WorkingWeekends: []engine.Holiday{{Day: "2024-02-10", Name: "Làm bù"}}},
	} {
		if _, err := base.With(bad); engine.ErrorCode(err) != engine.EINVALID {
			t.Errorf("With(%v) = %v, want EINVALID", bad, err)
		}
	}
	// Adding data far outside the existing range works too.
	far, err := base.With(engine.CalendarData{Holidays: []engine.Holiday{{Day: "2030-01-01", Name: "Tết Dương lịch"}}})
	if err != nil {
		t.Fatal(err)
	}
	if far.IsWorkingDay("2030-01-01") || far.AddWorkingDays("2029-12-31", 1) != "2030-01-02" {
		t.Error("With: a later year's holiday not applied")
	}
	if got := far.Years(); !slices.Equal(got, []int{2024, 2025, 2026, 2030}) {
		t.Errorf("Years() = %v", got)
	}
}

func TestCalendarListing(t *testing.T) {
	c := testCalendar(t)
	if got := c.Years(); !slices.Equal(got, []int{2024, 2025, 2026}) {
		t.Errorf("Years() = %v", got)
	}
	hs := c.Holidays(2026)
	if len(hs) != 14 || hs[0].Day != "2026-01-01" || hs[len(hs)-1].Day != "2026-09-02" {
		t.Errorf("Holidays(2026) = %v", hs)
	}
	if !slices.IsSortedFunc(hs, func(a, b engine.Holiday) int { return strings.Compare(a.Day, b.Day) }) {
		t.Errorf("Holidays(2026) not sorted: %v", hs)
	}
	ws := c.WorkingWeekends(2026)
	if len(ws) != 2 || ws[0].Day != "2026-01-10" || ws[1].Day != "2026-08-22" {
		t.Errorf("WorkingWeekends(2026) = %v", ws)
	}
	if got := c.Holidays(2019); got == nil || len(got) != 0 {
		t.Errorf("Holidays(2019) = %#v, want an empty list", got)
	}
	if !c.Covers("2025-07-01") || c.Covers("2027-07-01") {
		t.Error("Covers")
	}
	// Listing returns copies.
	hs[0].Name = "changed"
	if c.Holidays(2026)[0].Name == "changed" {
		t.Error("Holidays returns the calendar's own slice")
	}
}

func TestCalendarConcurrent(t *testing.T) {
	c := testCalendar(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 2000 {
				day := c.AddWorkingDays("2025-01-01", (i*j)%40+1)
				if c.WorkingDaysBetween("2025-01-01", day) != (i*j)%40+1 {
					panic(fmt.Sprint("mismatch at ", day))
				}
			}
		})
	}
	wg.Wait()
}

var sinkDay string
var sinkInt int

func BenchmarkCalendarAddWorkingDays20(b *testing.B) {
	c := testCalendar(b)
	b.ReportAllocs()
	for b.Loop() {
		sinkDay = c.AddWorkingDays("2026-02-02", 20)
	}
}

func BenchmarkCalendarWorkingDaysBetween(b *testing.B) {
	c := testCalendar(b)
	b.ReportAllocs()
	for b.Loop() {
		sinkInt = c.WorkingDaysBetween("2025-06-15", "2026-03-09")
	}
}

func BenchmarkCalendarIsWorkingDay(b *testing.B) {
	c := testCalendar(b)
	b.ReportAllocs()
	for b.Loop() {
		sinkInt = 0
		if c.IsWorkingDay("2026-02-17") {
			sinkInt = 1
		}
	}
}
