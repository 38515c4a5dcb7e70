package engine

import (
	"fmt"
	"slices"
	"strings"
)

// Holiday is one day of a calendar: a day off, or a weekend day declared a
// working day, with what it is for.
type Holiday struct {
	Day  string `json:"day"` // "2006-01-02", a Vietnam day
	Name string `json:"name"`
}

// CalendarNote is metadata about one year of a calendar: where its days come
// from and what is uncertain about them. It does not change any day.
type CalendarNote struct {
	Year   int    `json:"year"`
	Source string `json:"source,omitempty"`
	Note   string `json:"note,omitempty"`
}

// CalendarData is what a Calendar is built from.
//
// Holidays are days off: the public holidays themselves (one may fall on a
// weekend, where it changes nothing), the compensatory weekdays given when a
// holiday falls on a weekend, and the weekdays swapped away for a bridge.
// WorkingWeekends are the Saturdays and Sundays declared working days in
// exchange for such a bridge day (làm bù).
type CalendarData struct {
	Holidays        []Holiday      `json:"holidays"`
	WorkingWeekends []Holiday      `json:"working_weekends"`
	Notes           []CalendarNote `json:"notes,omitempty"`
}

// Calendar years accepted for entries. Days outside them can still be asked
// about; only the data must lie inside.
const (
	CalendarMinYear = 1900
	CalendarMaxYear = 2199
)

// Calendar tells working days from days off. It is immutable once built, so
// one value may be shared by any number of goroutines.
//
// Day arguments are "2006-01-02" days as ParseDay accepts and Day returns.
// IsWorkingDay and Covers answer false for a malformed day, so they may test
// raw input; AddWorkingDays and WorkingDaysBetween take validated days only,
// and panic on a malformed one, as on the programming error it is. Days in
// years the data does not cover (see Years and Covers) count as if they had
// no holidays: Monday to Friday work.
type Calendar struct {
	holidays []Holiday // sorted by day
	working  []Holiday // sorted by day
	notes    []CalendarNote

	// Internally days are day numbers, days since 1970-01-01.
	// kind[x-lo] says whether day x has an entry; adj[x-lo] is the running
	// sum over lo..x of (working? 1:0) minus (a weekday? 1:0), so that
	// working days are weekdays plus adj. lo > hi when there is no entry.
	lo, hi int
	kind   []uint8
	adj    []int32
}

const (
	kindNone uint8 = iota
	kindHoliday
	kindWorking
)

// NewCalendar validates data and builds a calendar from it. Every day must be
// a real "2006-01-02" date in CalendarMinYear..CalendarMaxYear, no day may be
// listed twice, a working weekend must be a Saturday or a Sunday, and no day
// may be both a holiday and a working weekend. The error is an EINVALID
// *Error naming the offending entry.
func NewCalendar(data CalendarData) (*Calendar, error) {
	return build(data, false)
}

// With returns a new calendar holding c's entries and more's (an operator's
// additions, say); c is unchanged. An entry of more identical to one already
// present (same list, day and name) is ignored; any other clash is an error,
// as in NewCalendar.
func (c *Calendar) With(more CalendarData) (*Calendar, error) {
	data := CalendarData{
		Holidays:        append(slices.Clip(c.holidays), more.Holidays...),
		WorkingWeekends: append(slices.Clip(c.working), more.WorkingWeekends...),
	}
	data.Notes = slices.Clone(c.notes)
	for _, n := range more.Notes {
		if !slices.Contains(data.Notes, n) {
			data.Notes = append(data.Notes, n)
		}
	}
	return build(data, true)
}

func build(data CalendarData, dropExact bool) (*Calendar, error) {
	type entry struct {
		x    int
		kind uint8
		h    Holiday
	}
	byDay := map[int]entry{}
	var entries []entry
	add := func(list string, i int, h Holiday, kind uint8) error {
		field := fmt.Sprintf("%s[%d]", list, i)
		x, ok := parseDayNumber(h.Day)
		if !ok {
			return FieldErrorf(field+".day", "%s.day %q is not a day (YYYY-MM-DD)", field, h.Day)
		}
		if y := dayYear(h.Day); y < CalendarMinYear || y > CalendarMaxYear {
			return FieldErrorf(field+".day", "%s.day %s is outside the years %d to %d", field, h.Day, CalendarMinYear, CalendarMaxYear)
		}
		if strings.TrimSpace(h.Name) == "" {
			return FieldErrorf(field+".name", "%s (%s) has no name", field, h.Day)
		}
		if kind == kindWorking && !isWeekend(x) {
			return FieldErrorf(field+".day", "%s.day %s is a %s, not a Saturday or Sunday", field, h.Day, weekdayName(x))
		}
		if have, dup := byDay[x]; dup {
			if dropExact && have.kind == kind && have.h == h {
				return nil
			}
			what := "a holiday"
			if have.kind == kindWorking {
				what = "a working weekend"
			}
			return FieldErrorf(field+".day", "%s.day %s is already listed as %s (%s)", field, h.Day, what, have.h.Name)
		}
		e := entry{x, kind, h}
		byDay[x] = e
		entries = append(entries, e)
		return nil
	}
	for i, h := range data.Holidays {
		if err := add("holidays", i, h, kindHoliday); err != nil {
			return nil, err
		}
	}
	for i, h := range data.WorkingWeekends {
		if err := add("working_weekends", i, h, kindWorking); err != nil {
			return nil, err
		}
	}

	c := &Calendar{lo: 1, hi: 0, notes: slices.Clone(data.Notes)}
	for _, e := range entries {
		if e.kind == kindHoliday {
			c.holidays = append(c.holidays, e.h)
		} else {
			c.working = append(c.working, e.h)
		}
		if c.lo > c.hi {
			c.lo, c.hi = e.x, e.x
		}
		c.lo, c.hi = min(c.lo, e.x), max(c.hi, e.x)
	}
	byDayString := func(a, b Holiday) int { return strings.Compare(a.Day, b.Day) }
	slices.SortFunc(c.holidays, byDayString)
	slices.SortFunc(c.working, byDayString)
	if len(entries) > 0 {
		n := c.hi - c.lo + 1
		c.kind = make([]uint8, n)
		c.adj = make([]int32, n)
		for _, e := range entries {
			c.kind[e.x-c.lo] = e.kind
		}
		var sum int32
		for i := range n {
			x := c.lo + i
			switch {
			case c.kind[i] == kindHoliday && !isWeekend(x):
				sum--
			case c.kind[i] == kindWorking:
				sum++
			}
			c.adj[i] = sum
		}
	}
	return c, nil
}

// ParseDay checks that s is a real date written "2006-01-02" and returns it.
// The error is an EINVALID *Error on the field "day"; a caller validating
// another field may set its Field.
func ParseDay(s string) (string, error) {
	if _, ok := parseDayNumber(s); !ok {
		return "", FieldErrorf("day", "%q is not a day: a real date written YYYY-MM-DD is needed", s)
	}
	return s, nil
}

// IsWorkingDay reports whether day is a working day: Monday to Friday and not
// a holiday, or a declared working weekend. A malformed day is no working
// day: the answer is false.
func (c *Calendar) IsWorkingDay(day string) bool {
	x, ok := parseDayNumber(day)
	return ok && c.working1(x)
}

// AddWorkingDays returns the n-th working day after day, day itself not
// counted: received on a Friday, 1 working day later is the next Monday
// (when that is no holiday). For n <= 0 it returns day unchanged. It panics
// past 9999-12-31.
func (c *Calendar) AddWorkingDays(day string, n int) string {
	x := mustDayNumber(day)
	if n <= 0 {
		return day
	}
	w := weekday(x)
	for n > 0 {
		// Any 7 days without an entry hold exactly 5 working days. Keeping
		// n > 5 leaves the exact landing day to the single steps.
		if n > 5 && (x+7 < c.lo || x+1 > c.hi) {
			x += 7
			n -= 5
			continue
		}
		x++
		if w++; w == 7 {
			w = 0
		}
		working := w != 0 && w != 6
		if x >= c.lo && x <= c.hi && c.kind[x-c.lo] != kindNone {
			working = c.kind[x-c.lo] == kindWorking
		}
		if working {
			n--
		}
	}
	return formatDayNumber(x)
}

// WorkingDaysBetween counts the working days d with from < d <= to. When to
// is before from it is minus the count of those with to < d <= from, and 0
// when they are equal; so WorkingDaysBetween(d, AddWorkingDays(d, n)) == n
// for every n >= 1.
func (c *Calendar) WorkingDaysBetween(from, to string) int {
	return c.workingUpTo(mustDayNumber(to)) - c.workingUpTo(mustDayNumber(from))
}

// Covers reports whether the data has any entry in day's year, that is
// whether the answers about that day rest on known holidays; false for a
// malformed day.
func (c *Calendar) Covers(day string) bool {
	if _, ok := parseDayNumber(day); !ok {
		return false
	}
	return slices.Contains(c.Years(), dayYear(day))
}

// Holidays returns the holidays of year, sorted by day.
func (c *Calendar) Holidays(year int) []Holiday { return ofYear(c.holidays, year) }

// WorkingWeekends returns the working weekends of year, sorted by day.
func (c *Calendar) WorkingWeekends(year int) []Holiday { return ofYear(c.working, year) }

// Notes returns the notes on year's data, in the order given.
func (c *Calendar) Notes(year int) []CalendarNote {
	var out []CalendarNote
	for _, n := range c.notes {
		if n.Year == year {
			out = append(out, n)
		}
	}
	return out
}

// Years returns, ascending, the years that have a holiday or a working
// weekend.
func (c *Calendar) Years() []int {
	var years []int
	for _, list := range [][]Holiday{c.holidays, c.working} {
		for _, h := range list {
			years = append(years, dayYear(h.Day))
		}
	}
	slices.Sort(years)
	return slices.Compact(years)
}

func ofYear(list []Holiday, year int) []Holiday {
	out := []Holiday{}
	for _, h := range list {
		if dayYear(h.Day) == year {
			out = append(out, h)
		}
	}
	return out
}

// working1 reports whether day number x is a working day.
func (c *Calendar) working1(x int) bool {
	if x >= c.lo && x <= c.hi {
		switch c.kind[x-c.lo] {
		case kindHoliday:
			return false
		case kindWorking:
			return true
		}
	}
	return !isWeekend(x)
}

// workingUpTo counts the working days up to and including day number x, from
// an arbitrary origin: only differences mean anything.
func (c *Calendar) workingUpTo(x int) int {
	n := weekdaysUpTo(x)
	switch {
	case c.lo > c.hi || x < c.lo:
	case x <= c.hi:
		n += int(c.adj[x-c.lo])
	default:
		n += int(c.adj[len(c.adj)-1])
	}
	return n
}

// Day numbers: days since 1970-01-01, a Thursday.

// weekday returns 0 for Sunday to 6 for Saturday.
func weekday(x int) int { return ((x+4)%7 + 7) % 7 }

func isWeekend(x int) bool {
	w := weekday(x)
	return w == 0 || w == 6
}

func weekdayName(x int) string {
	return [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}[weekday(x)]
}

// weekdaysUpTo counts Monday-to-Friday days up to and including x, from the
// Sunday 1970-01-04 (day 3); negative before it. Only differences matter.
func weekdaysUpTo(x int) int {
	k := x - 3
	q, r := k/7, k%7
	if r < 0 {
		q, r = q-1, r+7
	}
	return 5*q + min(r, 5)
}

func mustDayNumber(s string) int {
	x, ok := parseDayNumber(s)
	if !ok {
		panic(fmt.Sprintf("engine: calendar given %q, not a day (YYYY-MM-DD); validate with ParseDay", s))
	}
	return x
}

// dayYear returns the year of a day already known to be valid.
func dayYear(s string) int {
	return int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
}

// parseDayNumber parses "YYYY-MM-DD", years 0001 to 9999, into a day number.
func parseDayNumber(s string) (int, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	for _, i := range [...]int{0, 1, 2, 3, 5, 6, 8, 9} {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	y := dayYear(s)
	m := int(s[5]-'0')*10 + int(s[6]-'0')
	d := int(s[8]-'0')*10 + int(s[9]-'0')
	if y < 1 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil and civilFromDays are Howard Hinnant's algorithms for the
// proleptic Gregorian calendar.
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400
	mp := m - 3
	if m <= 2 {
		mp = m + 9
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(x int) (y, m, d int) {
	z := x + 719468
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func formatDayNumber(x int) string {
	y, m, d := civilFromDays(x)
	if y < 1 || y > 9999 {
		panic(fmt.Sprintf("engine: calendar day number %d is outside the years 0001 to 9999", x))
	}
	b := [10]byte{
		byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
		byte('0' + m/10), byte('0' + m%10), '-',
		byte('0' + d/10), byte('0' + d%10),
	}
	return string(b[:])
}
