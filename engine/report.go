package engine

import "time"

// Report events: whose time a report buckets and filters by.
const (
	EventSubmitted = "submitted" // the day the dossier was received
	EventAppraised = "appraised" // the day the outcome was recorded
)

// CountDimensions are the values of a counts report's "by".
var CountDimensions = []string{"state", "stage", "sector", "ownership", "investor_country", "outcome", "on_time", "month", "quarter", "year"}

// Period is a range of whole days in Vietnam time, inclusive, as
// "2006-01-02"; an empty bound is open.
type Period struct{ From, To string }

// Day returns t's date in Vietnam time, as "2006-01-02".
func Day(t time.Time) string { return t.In(VietnamTime).Format(time.DateOnly) }

// CountsQuery asks how many appraisals there are per value of By, among
// those whose Event day lies in Period.
type CountsQuery struct {
	By     string
	Event  string
	Period Period
}

// Count is one row of a counts report. Key is nil for appraisals that have
// no value (no investing country, no outcome yet).
type Count struct {
	Key   *string
	Count int64
	// OnTime and Late count those of a period (by month, quarter or year)
	// whose handling was judged on time and late; zero for other keys.
	OnTime, Late int64
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

// Reports are answered from counts kept per event, dimension, value and
// day, changed by every write in the same transaction. These are the
// dimensions kept; month, quarter and year are sums of DimStage by day
// (every appraisal has exactly one stage).
const (
	DimState           = "state"
	DimStage           = "stage"
	DimSector          = "sector" // the VSIC section
	DimOwnership       = "ownership"
	DimInvestorCountry = "investor_country"
	DimOutcome         = "outcome"
	DimOwnershipSector = "ownership_sector" // "state|C", for the statistics form
	DimOnTime          = "on_time"          // OnTime, Late or "" (not judged)
)

// ReportDelta is a change to one kept count. Value "" is "no value".
type ReportDelta struct {
	Event, Dim, Value, Day string
	N                      int64
}

// reportContributions lists the counts a counts as one in.
func reportContributions(a *Appraisal) []ReportDelta {
	if a == nil {
		return nil
	}
	d := a.Dossier
	section := ""
	if d.Sector != "" {
		section = d.Sector[:1]
	}
	add := func(out []ReportDelta, event, day string) []ReportDelta {
		for _, kv := range [][2]string{
			{DimState, a.State}, {DimStage, d.Stage}, {DimSector, section}, {DimOwnership, d.Ownership},
			{DimInvestorCountry, d.InvestorCountry}, {DimOutcome, a.Outcome}, {DimOnTime, a.Judged},
			{DimOwnershipSector, d.Ownership + "|" + section},
		} {
			out = append(out, ReportDelta{Event: event, Dim: kv[0], Value: kv[1], Day: day, N: 1})
		}
		return out
	}
	out := add(nil, EventSubmitted, Day(a.SubmittedAt))
	if !a.AppraisedAt.IsZero() {
		out = add(out, EventAppraised, Day(a.AppraisedAt))
	}
	return out
}

// ReportDeltas returns the changes to the kept counts when an appraisal
// goes from before to after; before is nil for a new appraisal.
func ReportDeltas(before, after *Appraisal) []ReportDelta {
	type key struct{ event, dim, value, day string }
	net := map[key]int64{}
	var order []key
	for _, side := range []struct {
		sign int64
		a    *Appraisal
	}{{-1, before}, {1, after}} {
		sign := side.sign
		for _, c := range reportContributions(side.a) {
			k := key{c.Event, c.Dim, c.Value, c.Day}
			if _, ok := net[k]; !ok {
				order = append(order, k)
			}
			net[k] += sign
		}
	}
	var out []ReportDelta
	for _, k := range order {
		if n := net[k]; n != 0 {
			out = append(out, ReportDelta{Event: k.event, Dim: k.dim, Value: k.value, Day: k.day, N: n})
		}
	}
	return out
}
