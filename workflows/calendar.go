package workflows

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/appraisal/appraisal/engine"
)

// vietnamCalendar is Vietnam's working-day calendar for civil servants:
// public holidays, compensatory and swapped days off, and working weekends,
// for the years it lists, with a note on the sources of each year.
//
//go:embed calendar/vietnam.json
var vietnamCalendar []byte

var calendarOnce = sync.OnceValues(func() (*engine.Calendar, error) {
	return ParseCalendar(vietnamCalendar)
})

// Calendar returns the calendar shipped in the binary. It is parsed once and
// shared: an *engine.Calendar is immutable. Add an operator's days with its
// With method.
func Calendar() (*engine.Calendar, error) { return calendarOnce() }

// MustCalendar is Calendar for callers that treat a broken shipped file as
// the build defect it is (it is tested): it panics on error.
func MustCalendar() *engine.Calendar {
	c, err := Calendar()
	if err != nil {
		panic(err)
	}
	return c
}

// ParseCalendar decodes one engine.CalendarData document, rejecting unknown
// fields, and builds the calendar.
func ParseCalendar(data []byte) (*engine.Calendar, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cd engine.CalendarData
	if err := dec.Decode(&cd); err != nil {
		return nil, fmt.Errorf("decoding calendar: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decoding calendar: data after the calendar")
	}
	c, err := engine.NewCalendar(cd)
	if err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	return c, nil
}
