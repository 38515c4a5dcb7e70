package engine

import "time"

// Report events: whose time a report buckets and filters by.
const (
	EventSubmitted = "submitted" // the day the dossier was received
	EventAppraised = "appraised" // the day the outcome was recorded
)

// CountDimensions are the values of a counts report's "by".
var CountDimensions = []string{"state", "stage", "sector", "ownership", "investor_country", "outcome", "month", "quarter", "year"}

// CountsQuery asks how many appraisals there are per value of By, among
// those whose Event time lies in [Since, Until); a zero bound is open.
type CountsQuery struct {
	By           string
	Event        string
	Since, Until time.Time
}

// Count is one row of a counts report. Key is nil for appraisals that have
// no value (no investing country, no outcome yet).
type Count struct {
	Key   *string
	Count int64
}

// Period is a half-open range of instants; a zero bound is open.
type Period struct{ Since, Until time.Time }

// DayRange turns inclusive dates, read in Vietnam time, into a Period;
// a zero date leaves that side open.
func DayRange(from, to time.Time) Period {
	var p Period
	if !from.IsZero() {
		p.Since = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, VietnamTime)
	}
	if !to.IsZero() {
		p.Until = time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, VietnamTime)
	}
	return p
}

// Form07 is the provincial statistics form (Biểu 07/TKTH-KHCN-ĐP): the
// number of projects given a technology appraisal or opinion in a period,
// by ownership × economic sector (VSIC section), and by investing country.
type Form07 struct {
	Period Period
	// Cells[ownership][section] counts; every ownership and section is present.
	Cells map[string]map[string]int64
	// ByCountry counts per investing country; "" is no country given.
	ByCountry map[string]int64
}

// Ownerships are the ownership values in the form's order.
func Ownerships() []string { return append([]string(nil), ownerships...) }

// Sections are the VSIC 2018 section letters, A to U.
func Sections() []string {
	out := make([]string, 0, len(vsicDivisions))
	for c := byte('A'); c <= 'U'; c++ {
		out = append(out, string(c))
	}
	return out
}
