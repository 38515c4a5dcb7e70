package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The reports are tested only through HTTP, against a dataset made through
// the API at chosen instants (the db clock) and tallied here, in plain Go,
// from the test's own list of what it made.

// vn is Vietnam time as the test reads it: UTC+7, no daylight saving.
var vn = time.FixedZone("UTC+7", 7*60*60)

// made is one appraisal of the dataset, as the test made it.
type made struct {
	owner                      string
	stage, group               string // group "" for the policy stage
	ownership, sector, country string // country "": none given
	submitted                  time.Time
	life                       string    // see lifeSteps
	outcome                    string    // for lives with appraise
	appraised                  time.Time // for lives with appraise

	id    int64
	state string // final state, from lifeSteps
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

// reportData is the dataset: submission and appraisal instants over three
// years, many on either side of Vietnam midnight at the turn of a month,
// quarter or year (16:59:59.999999Z is 23:59:59.999999 in Vietnam, 17:00Z
// is midnight), across stages, groups, ownerships, sections (with and
// without division), countries (and none) and every end of the workflow.
func reportData() []made {
	const st, ns, fi = "state", "non_state", "foreign_invested"
	const ok, cond, no = "approved", "approved_with_conditions", "not_approved"
	return []made{
		{owner: hoa, stage: "decision", group: "B", ownership: fi, sector: "C26", country: "KR", submitted: at("2023-12-31T16:59:59Z"), life: "archived", outcome: ok, appraised: at("2024-01-15T03:00:00Z")},
		{owner: binh, stage: "decision", group: "A", ownership: st, sector: "D", submitted: at("2023-12-31T17:00:00Z"), life: "appraised", outcome: no, appraised: at("2024-03-31T16:30:00Z")},
		{owner: hoa, stage: "decision", group: "C", ownership: ns, sector: "C10", country: "VN", submitted: at("2024-02-10T02:00:00Z"), life: "rejected"},
		{owner: hoa, stage: "decision", group: "C", ownership: ns, sector: "A01", submitted: at("2024-03-31T16:30:00Z"), life: "appraised", outcome: cond, appraised: at("2024-03-31T17:30:00Z")},
		{owner: binh, stage: "decision", group: "national", ownership: fi, sector: "C", country: "JP", submitted: at("2024-03-31T17:00:00Z"), life: "appraised", outcome: ok, appraised: at("2024-06-30T18:00:00Z")},
		{owner: hoa, stage: "policy", ownership: st, sector: "J62", submitted: at("2024-03-31T17:30:00Z"), life: "withdrawn"},
		{owner: hoa, stage: "decision", group: "B", ownership: fi, sector: "C27", country: "CN", submitted: at("2024-06-30T18:00:00Z"), life: "archived", outcome: ok, appraised: at("2024-09-30T16:00:00Z")},
		{owner: binh, stage: "policy", ownership: ns, sector: "N77", country: "SG", submitted: at("2024-07-15T06:00:00Z"), life: "returned"},
		{owner: binh, stage: "decision", group: "A", ownership: ns, sector: "F", country: "VN", submitted: at("2024-09-30T16:00:00Z"), life: "returned"},
		{owner: hoa, stage: "policy", ownership: fi, sector: "M72", country: "US", submitted: at("2024-12-31T16:30:00Z"), life: "appraised", outcome: ok, appraised: at("2024-12-31T17:30:00Z")},
		{owner: hoa, stage: "decision", group: "C", ownership: st, sector: "E", submitted: at("2024-12-31T17:30:00Z"), life: "supplemented", outcome: no, appraised: at("2025-02-28T17:05:00Z")},
		{owner: binh, stage: "decision", group: "B", ownership: ns, sector: "G46", country: "SG", submitted: at("2025-02-28T17:05:00Z"), life: "reviewed"},
		{owner: hoa, stage: "policy", ownership: fi, sector: "C", country: "KR", submitted: at("2025-03-31T17:00:00Z"), life: "archived", outcome: cond, appraised: at("2025-12-31T16:30:00Z")},
		{owner: hoa, stage: "decision", group: "A", ownership: st, sector: "H49", submitted: at("2025-05-20T10:00:00Z"), life: "rejected_archived"},
		{owner: binh, stage: "decision", group: "C", ownership: fi, sector: "K64", country: "JP", submitted: at("2025-06-15T03:00:00Z"), life: "appraised", outcome: ok, appraised: at("2025-12-31T17:30:00Z")},
		{owner: hoa, stage: "decision", group: "B", ownership: ns, sector: "C26", country: "VN", submitted: at("2025-07-01T00:00:00Z"), life: "withdrawn_archived"},
		{owner: hoa, stage: "policy", ownership: st, sector: "Q86", submitted: at("2025-09-30T17:00:00Z"), life: "returned_withdrawn"},
		{owner: binh, stage: "decision", group: "national", ownership: st, sector: "B", submitted: at("2025-10-10T08:00:00Z"), life: "resubmitted"},
		{owner: hoa, stage: "decision", group: "A", ownership: fi, sector: "C26", country: "KR", submitted: at("2025-11-11T11:11:00Z"), life: "appraised", outcome: ok, appraised: at("2025-12-31T16:59:59.999999Z")},
		{owner: hoa, stage: "decision", group: "C", ownership: ns, sector: "A", submitted: at("2025-12-31T16:30:00Z"), life: "appraised", outcome: ok, appraised: at("2025-12-31T17:00:00Z")},
		{owner: binh, stage: "policy", ownership: fi, sector: "J", country: "US", submitted: at("2025-12-31T16:59:59.999999Z"), life: "archived", outcome: no, appraised: at("2026-02-10T04:00:00Z")},
		{owner: hoa, stage: "decision", group: "B", ownership: st, sector: "D35", submitted: at("2025-12-31T17:00:00Z"), life: "submitted"},
		{owner: hoa, stage: "decision", group: "A", ownership: fi, sector: "C10", country: "CN", submitted: at("2025-12-31T17:30:00Z"), life: "appraised", outcome: cond, appraised: at("2026-03-31T16:59:59.999999Z")},
		{owner: binh, stage: "decision", group: "C", ownership: ns, sector: "U99", submitted: at("2026-01-15T09:00:00Z"), life: "rejected"},
		{owner: hoa, stage: "policy", ownership: ns, sector: "S", country: "VN", submitted: at("2026-02-28T18:00:00Z"), life: "appraised", outcome: ok, appraised: at("2026-03-31T17:00:00Z")},
		{owner: hoa, stage: "decision", group: "B", ownership: fi, sector: "L68", country: "TW", submitted: at("2026-03-31T16:59:59.999999Z"), life: "submitted"},
		{owner: binh, stage: "decision", group: "A", ownership: st, sector: "O", submitted: at("2026-03-31T17:00:00Z"), life: "reviewed"},
		{owner: hoa, stage: "decision", group: "C", ownership: fi, sector: "C26", country: "KR", submitted: at("2026-06-30T23:00:00Z"), life: "appraised", outcome: no, appraised: at("2026-07-01T16:59:00Z")},
		{owner: hoa, stage: "policy", ownership: ns, sector: "R90", submitted: at("2026-08-08T08:00:00Z"), life: "withdrawn"},
		{owner: binh, stage: "decision", group: "B", ownership: fi, sector: "T97", country: "JP", submitted: at("2026-09-30T17:00:00Z"), life: "supplemented", outcome: ok, appraised: at("2026-10-01T02:00:00Z")},
		{owner: hoa, stage: "decision", group: "national", ownership: fi, sector: "C", country: "US", submitted: at("2026-10-31T17:00:00Z"), life: "appraised", outcome: ok, appraised: at("2026-11-20T03:00:00Z")},
		{owner: hoa, stage: "decision", group: "A", ownership: st, sector: "P85", submitted: at("2026-11-01T02:00:00Z"), life: "archived", outcome: cond, appraised: at("2026-11-02T16:30:00Z")},
	}
}

// timedStep is one transition at a chosen instant.
type timedStep struct {
	at            time.Time
	user, trigger string
	data          []string
	state         string
}

// lifeSteps lays out m's life after its submission. Steps before the
// appraisal fall evenly between the submission and the appraisal; others a
// day apart.
// A dossier of the policy stage runs on technology-opinion, where the same
// lives take that workflow's triggers and states.
func lifeSteps(m made) []timedStep {
	appraise := step{appraiser, "appraise", []string{"outcome", m.outcome}, "appraised"}
	if m.outcome != "approved" {
		appraise.data = append(appraise.data, "comment", "Kết luận: "+m.outcome)
	}
	review := step{reviewer, "review", nil, "reviewed"}
	supplement := step{reviewer, "request_supplement", []string{"comment", "Thiếu hồ sơ"}, "returned"}
	resubmit := step{m.owner, "resubmit", nil, "submitted"}
	if m.stage == "policy" {
		appraise = step{appraiser, "give_opinion", []string{"outcome", m.outcome}, "answered"}
		if m.outcome != "agreed" {
			appraise.data = append(appraise.data, "comment", "Ý kiến: "+m.outcome)
		}
		review = step{reviewer, "draft_opinion", []string{"comment", "Dự thảo ý kiến"}, "drafted"}
		resubmit.state = "received"
	}
	withdraw := step{m.owner, "withdraw", nil, "withdrawn"}
	reject := step{reviewer, "reject", []string{"comment", "Công nghệ lạc hậu"}, "rejected"}
	archive := step{admin, "archive", nil, "archived"}
	var before, after []step
	switch m.life {
	case "submitted":
	case "returned":
		before = []step{supplement}
	case "resubmitted":
		before = []step{supplement, resubmit}
	case "reviewed":
		before = []step{review}
	case "appraised":
		before, after = []step{review}, []step{appraise}
	case "supplemented":
		before, after = []step{supplement, resubmit, review}, []step{appraise}
	case "archived":
		before, after = []step{review}, []step{appraise, archive}
	case "rejected":
		before = []step{reject}
	case "rejected_archived":
		before = []step{reject, archive}
	case "withdrawn":
		before = []step{withdraw}
	case "returned_withdrawn":
		before = []step{supplement, withdraw}
	case "withdrawn_archived":
		before = []step{withdraw, archive}
	default:
		panic("unknown life " + m.life)
	}
	var out []timedStep
	gap := 24 * time.Hour
	if len(after) > 0 {
		gap = m.appraised.Sub(m.submitted) / time.Duration(len(before)+1)
	}
	for i, s := range before {
		out = append(out, timedStep{m.submitted.Add(time.Duration(i+1) * gap), s.user, s.trigger, s.data, s.state})
	}
	for i, s := range after {
		out = append(out, timedStep{m.appraised.Add(time.Duration(i) * 24 * time.Hour), s.user, s.trigger, s.data, s.state})
	}
	return out
}

// opinionOutcomes are technology-opinion's outcomes for the dataset's.
var opinionOutcomes = map[string]string{"approved": "agreed", "approved_with_conditions": "agreed_with_conditions", "not_approved": "not_agreed"}

// seedReports makes the dataset through the API, each submission and
// transition at its instant, and returns the test's list of it.
func seedReports(t *testing.T, e *env) []made {
	t.Helper()
	data := reportData()
	defer func() { e.d.Now = time.Now }()
	for i := range data {
		m := &data[i]
		if (m.outcome != "") != slices.Contains([]string{"appraised", "supplemented", "archived"}, m.life) {
			t.Fatalf("dataset %d: outcome %q does not fit life %s", i, m.outcome, m.life)
		}
		if m.stage == "policy" && m.outcome != "" {
			m.outcome = opinionOutcomes[m.outcome]
		}
		d := dossier()
		d["stage"], d["ownership"], d["sector"] = m.stage, m.ownership, m.sector
		d["project_name"] = fmt.Sprintf("Dự án %d", i+1)
		if m.group == "" {
			delete(d, "project_group")
		} else {
			d["project_group"] = m.group
		}
		if m.country == "" {
			delete(d, "investor_country")
		} else {
			d["investor_country"] = m.country
		}
		when := m.submitted
		e.d.Now = func() time.Time { return when }
		a := expect(t, e.request(t, "POST", "/api/v1/appraisals", m.owner, d), http.StatusCreated)
		m.id, m.state = int64(a["id"].(float64)), "submitted"
		if m.stage == "policy" {
			m.state = "received"
		}
		if got := at(a["submitted_at"].(string)); !got.Equal(m.submitted) {
			t.Fatalf("dataset %d: submitted_at %v, want %v", i, got, m.submitted)
		}
		for _, s := range lifeSteps(*m) {
			when := s.at
			e.d.Now = func() time.Time { return when }
			r := expect(t, e.fire(t, m.id, s.user, trig(s.trigger, s.data...)), http.StatusOK)
			if r["state"] != s.state {
				t.Fatalf("dataset %d: %s gives %v, want %s", i, s.trigger, r["state"], s.state)
			}
			m.state = s.state
		}
		if m.outcome != "" {
			g := expect(t, e.request(t, "GET", fmt.Sprintf("/api/v1/appraisals/%d", m.id), reviewer, nil), http.StatusOK)
			if g["outcome"] != m.outcome {
				t.Fatalf("dataset %d: outcome %v, want %s", i, g["outcome"], m.outcome)
			}
		}
	}
	return data
}

// period is a report period as query parameters, and the instants it
// selects, [since, until), worked out here.
type period struct {
	query        string // "from=...&to=..." or ""
	since, until time.Time
}

// day is midnight starting date s in Vietnam.
func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, vn)
	if err != nil {
		panic(err)
	}
	return t
}

func newPeriod(from, to string) period {
	var p period
	var q []string
	if from != "" {
		p.since = day(from)
		q = append(q, "from="+from)
	}
	if to != "" {
		p.until = day(to).AddDate(0, 0, 1)
		q = append(q, "to="+to)
	}
	p.query = strings.Join(q, "&")
	return p
}

func (p period) has(t time.Time) bool {
	return !t.IsZero() && (p.since.IsZero() || !t.Before(p.since)) && (p.until.IsZero() || t.Before(p.until))
}

// reportPeriods are the periods every report is checked over: none, and
// bounds that cut through the data at Vietnam midnight, where an instant a
// microsecond or an hour to either side falls in a different day.
func reportPeriods() []period {
	return []period{
		newPeriod("", ""),
		newPeriod("2024-04-01", "2025-12-31"),
		newPeriod("2026-01-01", "2026-03-31"),
		newPeriod("2025-12-31", "2025-12-31"),
		newPeriod("2025-01-01", ""),
		newPeriod("", "2024-12-31"),
		newPeriod("2024-03-31", "2024-04-01"),
		newPeriod("1900-01-01", "9999-12-31"), // the widest dates the API takes
		newPeriod("2030-01-01", "2030-12-31"), // nothing
	}
}

var countDimensions = []string{"state", "stage", "sector", "ownership", "investor_country", "outcome", "month", "quarter", "year"}

// keyCount is one row of a counts report; key "" with null true is no value.
type keyCount struct {
	key   *string
	count int64
}

func (k keyCount) String() string {
	if k.key == nil {
		return fmt.Sprintf("null=%d", k.count)
	}
	return fmt.Sprintf("%s=%d", *k.key, k.count)
}

func str(s string) *string { return &s }

// tallyCounts is what a counts report must say about data: by dimension,
// for the event, over p; ordered by key, no value last.
func tallyCounts(data []made, by, event string, p period) []keyCount {
	n := map[string]int64{}
	var none int64
	for _, m := range data {
		when := m.submitted
		if event == "appraised" {
			when = m.appraised
		}
		if !p.has(when) {
			continue
		}
		local := when.In(vn)
		var key string
		switch by {
		case "state":
			key = m.state
		case "stage":
			key = m.stage
		case "sector":
			key = m.sector[:1]
		case "ownership":
			key = m.ownership
		case "investor_country":
			key = m.country
		case "outcome":
			key = m.outcome
		case "month":
			key = fmt.Sprintf("%04d-%02d", local.Year(), int(local.Month()))
		case "quarter":
			key = fmt.Sprintf("%04d-Q%d", local.Year(), (int(local.Month())+2)/3)
		case "year":
			key = strconv.Itoa(local.Year())
		default:
			panic(by)
		}
		if key == "" {
			none++
		} else {
			n[key]++
		}
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := []keyCount{}
	for _, k := range keys {
		out = append(out, keyCount{str(k), n[k]})
	}
	if none > 0 {
		out = append(out, keyCount{nil, none})
	}
	return out
}

func sumCounts(c []keyCount) int64 {
	var n int64
	for _, k := range c {
		n += k.count
	}
	return n
}

// staff take turns asking for reports: each of them may.
var staff = []string{reviewer, appraiser, admin}

func TestReportCounts(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		data := seedReports(t, e)
		i := 0
		for _, p := range reportPeriods() {
			for _, event := range []string{"submitted", "appraised", ""} {
				for _, by := range countDimensions {
					q := url.Values{"by": {by}}
					if event != "" {
						q.Set("event", event)
					}
					path := "/api/v1/reports/counts?" + q.Encode()
					if p.query != "" {
						path += "&" + p.query
					}
					wantEvent := event
					if wantEvent == "" {
						wantEvent = "submitted" // the default
					}
					want := tallyCounts(data, by, wantEvent, p)
					user := staff[i%len(staff)]
					i++

					// JSON
					r := e.request(t, "GET", path, user, nil)
					expect(t, r, http.StatusOK)
					if ct := r.header.Get("Content-Type"); ct != "application/json" {
						t.Errorf("%s: Content-Type %q", path, ct)
					}
					var got struct {
						By    string `json:"by"`
						Event string `json:"event"`
						Items []struct {
							Key   *string `json:"key"`
							Count int64   `json:"count"`
						} `json:"items"`
						Total *int64 `json:"total"`
					}
					if err := json.Unmarshal(r.body, &got); err != nil {
						t.Fatalf("%s: %v", path, err)
					}
					var items []keyCount
					for _, it := range got.Items {
						items = append(items, keyCount{it.Key, it.Count})
					}
					if got.By != by || got.Event != wantEvent {
						t.Errorf("%s: by %q event %q", path, got.By, got.Event)
					}
					if fmt.Sprint(items) != fmt.Sprint(want) {
						t.Errorf("%s (JSON):\n got %v\nwant %v", path, items, want)
					}
					if got.Total == nil {
						t.Errorf("%s: no total", path)
					} else if *got.Total != sumCounts(want) {
						t.Errorf("%s: total %d, want %d", path, *got.Total, sumCounts(want))
					}

					// CSV
					r = e.request(t, "GET", path, user, nil, "Accept", "text/csv")
					if r.status != http.StatusOK {
						t.Fatalf("%s (CSV): status %d: %s", path, r.status, r.body)
					}
					if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
						t.Errorf("%s (CSV): Content-Type %q", path, ct)
					}
					if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="counts-by-`+by+`.csv"` {
						t.Errorf("%s (CSV): Content-Disposition %q", path, cd)
					}
					rows := readCSV(t, r.body, 2)
					if len(rows) == 0 || fmt.Sprint(rows[0]) != fmt.Sprint([]string{by, "count"}) {
						t.Fatalf("%s (CSV): header %q, want %q", path, rows[:min(1, len(rows))], by+",count")
					}
					items = nil
					for _, row := range rows[1:] {
						n, err := strconv.ParseInt(row[1], 10, 64)
						if err != nil {
							t.Errorf("%s (CSV): count %q", path, row[1])
						}
						k := keyCount{str(row[0]), n}
						if row[0] == "" {
							k.key = nil
						}
						items = append(items, k)
					}
					if fmt.Sprint(items) != fmt.Sprint(want) {
						t.Errorf("%s (CSV):\n got %v\nwant %v", path, items, want)
					}
				}
			}
		}
	})
}

// TestReportCountsAcceptCSVAmongOthers: CSV is chosen when Accept names it
// among other types, with parameters.
func TestReportCountsAcceptCSVAmongOthers(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		data := seedReports(t, e)
		r := e.request(t, "GET", "/api/v1/reports/counts?by=year&event=appraised", admin, nil,
			"Accept", "application/xml;q=0.5, Text/CSV; charset=utf-8; q=0.9")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
			t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
		}
		rows := readCSV(t, r.body, 2)
		want := [][]string{{"year", "count"}}
		for _, k := range tallyCounts(data, "year", "appraised", period{}) {
			want = append(want, []string{*k.key, strconv.FormatInt(k.count, 10)})
		}
		if fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Errorf("CSV %q, want %q", rows, want)
		}
	})
}

// readCSV checks body is UTF-8 CSV starting with a byte-order mark and
// parses it; fields > 0 requires that many fields a record.
func readCSV(t *testing.T, body []byte, fields int) [][]string {
	t.Helper()
	const bom = "\uFEFF"
	if !bytes.HasPrefix(body, []byte(bom)) {
		t.Fatalf("CSV does not start with a byte-order mark: %q", body[:min(16, len(body))])
	}
	cr := csv.NewReader(bytes.NewReader(body[len(bom):]))
	cr.FieldsPerRecord = fields
	if fields <= 0 {
		cr.FieldsPerRecord = -1
	}
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, body)
	}
	return rows
}

// form07Tally is what form 07 must say about data over p.
type form07Tally struct {
	cells     map[string]map[string]int64 // section → ownership → count
	rowTotal  map[string]int64
	totals    map[string]int64 // per ownership
	total     int64
	byCountry []keyCount // most first, then by code, none last
}

var (
	form07Ownerships = []string{"state", "non_state", "foreign_invested"}
	form07Headings   = map[string]string{"state": "Nhà nước", "non_state": "Ngoài nhà nước", "foreign_invested": "Có vốn đầu tư nước ngoài"}
)

func sections() []string {
	var out []string
	for c := 'A'; c <= 'U'; c++ {
		out = append(out, string(c))
	}
	return out
}

func tallyForm07(data []made, p period) form07Tally {
	f := form07Tally{cells: map[string]map[string]int64{}, rowTotal: map[string]int64{}, totals: map[string]int64{}}
	for _, s := range sections() {
		f.cells[s] = map[string]int64{}
	}
	countries := map[string]int64{}
	for _, m := range data {
		if m.outcome == "" || !p.has(m.appraised) {
			continue
		}
		s := m.sector[:1]
		f.cells[s][m.ownership]++
		f.rowTotal[s]++
		f.totals[m.ownership]++
		f.total++
		countries[m.country]++
	}
	var codes []string
	for c := range countries {
		if c != "" {
			codes = append(codes, c)
		}
	}
	slices.SortFunc(codes, func(a, b string) int {
		if countries[a] != countries[b] {
			return int(countries[b] - countries[a])
		}
		return strings.Compare(a, b)
	})
	for _, c := range codes {
		f.byCountry = append(f.byCountry, keyCount{str(c), countries[c]})
	}
	if n := countries[""]; n > 0 {
		f.byCountry = append(f.byCountry, keyCount{nil, n})
	}
	return f
}

// form07Cases are the periods form 07 is checked over: a year, a range
// whose bounds cut at Vietnam midnight, one side open, and everything.
func form07Cases() []struct {
	query, from, to string // from, to: what the form must say, "" for null
	p               period
} {
	return []struct {
		query, from, to string
		p               period
	}{
		{"year=2025", "2025-01-01", "2025-12-31", newPeriod("2025-01-01", "2025-12-31")},
		{"year=2024", "2024-01-01", "2024-12-31", newPeriod("2024-01-01", "2024-12-31")},
		{"from=2024-04-01&to=2026-03-31", "2024-04-01", "2026-03-31", newPeriod("2024-04-01", "2026-03-31")},
		{"from=2026-01-01", "2026-01-01", "", newPeriod("2026-01-01", "")},
		{"to=2025-12-31", "", "2025-12-31", newPeriod("", "2025-12-31")},
		{"", "", "", newPeriod("", "")},
	}
}

func TestReportForm07(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		data := seedReports(t, e)
		for i, c := range form07Cases() {
			want := tallyForm07(data, c.p)
			path := "/api/v1/reports/form07"
			if c.query != "" {
				path += "?" + c.query
			}
			user := staff[i%len(staff)]
			t.Run(c.query, func(t *testing.T) {
				checkForm07JSON(t, e, path, user, c.from, c.to, want)
				checkForm07CSV(t, e, path, user, c.from, c.to, want)
				checkForm07XLSX(t, e, path, user, want)
			})
		}
	})
}

func checkForm07JSON(t *testing.T, e *env, path, user, from, to string, want form07Tally) {
	r := e.request(t, "GET", path, user, nil)
	expect(t, r, http.StatusOK)
	var got struct {
		Form       string   `json:"form"`
		Title      string   `json:"title"`
		From       *string  `json:"from"`
		To         *string  `json:"to"`
		Ownerships []string `json:"ownerships"`
		Rows       []struct {
			Section string           `json:"section"`
			Name    string           `json:"name"`
			Counts  map[string]int64 `json:"counts"`
			Total   int64            `json:"total"`
		} `json:"rows"`
		Totals    map[string]int64  `json:"totals"`
		Total     int64             `json:"total"`
		ByCountry []keyCountJSON    `json:"by_country"`
		Headings  map[string]string `json:"headings"`
	}
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatal(err)
	}
	if got.Form != "Biểu 07/TKTH-KHCN-ĐP" || got.Title == "" {
		t.Errorf("form %q title %q", got.Form, got.Title)
	}
	if s := fmt.Sprint(deref(got.From), "..", deref(got.To)); s != from+".."+to {
		t.Errorf("period %s, want %s..%s", s, from, to)
	}
	if fmt.Sprint(got.Ownerships) != fmt.Sprint(form07Ownerships) {
		t.Errorf("ownerships %v", got.Ownerships)
	}
	if fmt.Sprint(got.Headings) != fmt.Sprint(form07Headings) {
		t.Errorf("headings %v, want %v", got.Headings, form07Headings)
	}
	if len(got.Rows) != 21 {
		t.Fatalf("%d rows, want 21", len(got.Rows))
	}
	for i, s := range sections() {
		row := got.Rows[i]
		if row.Section != s || row.Name == "" {
			t.Errorf("row %d: section %q name %q, want %s", i, row.Section, row.Name, s)
		}
		if fmt.Sprint(row.Counts) != fmt.Sprint(fill(want.cells[s])) || row.Total != want.rowTotal[s] {
			t.Errorf("section %s: %v total %d, want %v total %d", s, row.Counts, row.Total, fill(want.cells[s]), want.rowTotal[s])
		}
	}
	if fmt.Sprint(got.Totals) != fmt.Sprint(fill(want.totals)) || got.Total != want.total {
		t.Errorf("totals %v total %d, want %v total %d", got.Totals, got.Total, fill(want.totals), want.total)
	}
	var countries []keyCount
	for _, c := range got.ByCountry {
		countries = append(countries, keyCount{c.Country, c.Count})
	}
	if fmt.Sprint(countries) != fmt.Sprint(want.byCountry) {
		t.Errorf("by_country %v, want %v", countries, want.byCountry)
	}
}

type keyCountJSON struct {
	Country *string `json:"country"`
	Count   int64   `json:"count"`
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// fill gives every ownership a count.
func fill(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for _, o := range form07Ownerships {
		out[o] = m[o]
	}
	return out
}

// form07Grid checks the printed layout, as read from the CSV or the
// workbook, against want: the form code, the header, the total row, a row
// per section, then the table by country.
func form07Grid(t *testing.T, what string, rows [][]string, want form07Tally) {
	t.Helper()
	cell := func(r []string, i int) string {
		if i < len(r) {
			return r[i]
		}
		return ""
	}
	if len(rows) == 0 || cell(rows[0], 0) != "Biểu 07/TKTH-KHCN-ĐP" {
		t.Fatalf("%s: first cell is not the form code: %q", what, rows[:min(1, len(rows))])
	}
	head := slices.IndexFunc(rows, func(r []string) bool { return cell(r, 0) == "Mã ngành (VSIC)" })
	if head < 0 || head+23 > len(rows) {
		t.Fatalf("%s: no header row and 22 rows under it: %q", what, rows)
	}
	wantHead := []string{"Mã ngành (VSIC)", "Ngành kinh tế", "Tổng số"}
	for _, o := range form07Ownerships {
		wantHead = append(wantHead, form07Headings[o])
	}
	if fmt.Sprint(rows[head]) != fmt.Sprint(wantHead) {
		t.Errorf("%s: header %q, want %q", what, rows[head], wantHead)
	}
	nums := func(total int64, per map[string]int64) string {
		s := []string{strconv.FormatInt(total, 10)}
		for _, o := range form07Ownerships {
			s = append(s, strconv.FormatInt(per[o], 10))
		}
		return fmt.Sprint(s)
	}
	if r := rows[head+1]; cell(r, 1) != "Tổng số" || len(r) < 3 || fmt.Sprint(r[2:]) != nums(want.total, want.totals) {
		t.Errorf("%s: total row %q, want %s", what, r, nums(want.total, want.totals))
	}
	for i, s := range sections() {
		r := rows[head+2+i]
		if cell(r, 0) != s || cell(r, 1) == "" || len(r) < 3 || fmt.Sprint(r[2:]) != nums(want.rowTotal[s], want.cells[s]) {
			t.Errorf("%s: section %s row %q, want %s", what, s, r, nums(want.rowTotal[s], want.cells[s]))
		}
	}
	ch := slices.IndexFunc(rows, func(r []string) bool { return cell(r, 0) == "Mã nước" })
	if ch < 0 {
		t.Fatalf("%s: no table by country", what)
	}
	var got []keyCount
	for _, r := range rows[ch+1:] {
		if len(r) == 0 || strings.Join(r, "") == "" {
			continue
		}
		n, err := strconv.ParseInt(cell(r, 2), 10, 64)
		if err != nil {
			t.Errorf("%s: country row %q", what, r)
		}
		k := keyCount{str(cell(r, 0)), n}
		if cell(r, 0) == "" {
			k.key = nil
			if cell(r, 1) != "Không xác định" {
				t.Errorf("%s: no-country row %q", what, r)
			}
		}
		got = append(got, k)
	}
	if fmt.Sprint(got) != fmt.Sprint(want.byCountry) {
		t.Errorf("%s: by country %v, want %v", what, got, want.byCountry)
	}
}

func checkForm07CSV(t *testing.T, e *env, path, user, from, to string, want form07Tally) {
	r := e.request(t, "GET", path, user, nil, "Accept", "text/csv")
	if r.status != 200 || r.header.Get("Content-Type") != "text/csv; charset=utf-8" {
		t.Fatalf("CSV: status %d, Content-Type %q: %.200s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="bieu-07.csv"` {
		t.Errorf("CSV: Content-Disposition %q", cd)
	}
	rows := readCSV(t, r.body, -1)
	form07Grid(t, "CSV", rows, want)
	period := "Kỳ báo cáo: "
	switch {
	case from != "" && to != "":
		period += from + " đến " + to
	case from != "":
		period += "từ " + from
	case to != "":
		period += "đến " + to
	default:
		period += "toàn bộ"
	}
	if !slices.ContainsFunc(rows, func(r []string) bool { return len(r) > 0 && r[0] == period }) {
		t.Errorf("CSV lacks the period %q", period)
	}
}

func checkForm07XLSX(t *testing.T, e *env, path, user string, want form07Tally) {
	const xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	r := e.request(t, "GET", path, user, nil, "Accept", xlsx)
	if r.status != 200 || r.header.Get("Content-Type") != xlsx {
		t.Fatalf("XLSX: status %d, Content-Type %q: %.200s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="bieu-07.xlsx"` {
		t.Errorf("XLSX: Content-Disposition %q", cd)
	}
	x, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("XLSX: %v", err)
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) != 1 || sheets[0] != "Biểu 07" {
		t.Errorf("XLSX sheets %q, want [Biểu 07]", sheets)
	}
	rows, err := x.GetRows(sheets[0])
	if err != nil {
		t.Fatal(err)
	}
	// The headings are cells of their own, somewhere.
	for _, h := range []string{"Biểu 07/TKTH-KHCN-ĐP", "Nhà nước", "Ngoài nhà nước", "Có vốn đầu tư nước ngoài"} {
		if cells, err := x.SearchSheet(sheets[0], "^"+h+"$", true); err != nil || len(cells) == 0 {
			t.Errorf("XLSX lacks a cell %q (%v)", h, err)
		}
	}
	form07Grid(t, "XLSX", rows, want)
	// The counts are numbers, not text.
	head := slices.IndexFunc(rows, func(r []string) bool { return len(r) > 0 && r[0] == "Mã ngành (VSIC)" })
	if head >= 0 {
		cell, _ := excelize.CoordinatesToCellName(3, head+3) // section A's total
		if ty, err := x.GetCellType(sheets[0], cell); err != nil || (ty != excelize.CellTypeUnset && ty != excelize.CellTypeNumber) {
			t.Errorf("XLSX %s is of type %v, want a number (%v)", cell, ty, err)
		}
	}
}

// TestReportBadParameters: every bad parameter is a 422 problem naming it
// in "field"; applicants get 403 and no report.
func TestReportBadParameters(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		seedReports(t, e)
		const counts, form07 = "/api/v1/reports/counts", "/api/v1/reports/form07"
		cases := []struct{ path, field string }{
			{counts, "by"},
			{counts + "?event=submitted", "by"},
			{counts + "?by=", "by"},
			{counts + "?by=colour", "by"},
			{counts + "?by=STATE", "by"},
			{counts + "?by=state&event=closed", "event"},
			{counts + "?by=state&from=2025-13-01", "from"},
			{counts + "?by=state&from=2025-02-30", "from"},
			{counts + "?by=state&to=01/02/2025", "to"},
			{counts + "?by=state&to=2025-1-2", "to"},
			{counts + "?by=state&from=2025-02-01&to=2025-01-31", "to"},
			{counts + "?by=state&from=0001-01-01", "from"},
			{counts + "?by=state&year=2025", "year"}, // counts takes from and to only
			{counts + "?by=state&colour=red", "colour"},
			{counts + "?by=state&by=stage", "by"},
			{counts + "?by=state&event=submitted&event=appraised", "event"},
			{counts + "?by=state&from=2025-01-01&from=2025-02-01", "from"},
			{form07 + "?year=abc", "year"},
			{form07 + "?year=20250", "year"},
			{form07 + "?year=1899", "year"},
			{form07 + "?year=2025&from=2025-01-01", "year"},
			{form07 + "?year=2025&to=2025-12-31", "year"},
			{form07 + "?from=2025-13-01", "from"},
			{form07 + "?to=01/02/2025", "to"},
			{form07 + "?from=2025-02-01&to=2025-01-31", "to"},
			{form07 + "?by=state", "by"},
			{form07 + "?colour=red", "colour"},
			{form07 + "?year=2025&year=2026", "year"},
		}
		for _, c := range cases {
			for _, accept := range []string{"", "text/csv"} {
				m := expect(t, e.request(t, "GET", c.path, reviewer, nil, "Accept", accept), http.StatusUnprocessableEntity)
				if m["field"] != c.field {
					t.Errorf("%s (Accept %q): field %v, want %q: %v", c.path, accept, m["field"], c.field, m["detail"])
				}
			}
		}
		for _, path := range []string{counts + "?by=state", counts + "?by=state&event=appraised&from=2025-01-01", form07, form07 + "?year=2025"} {
			for _, who := range []string{hoa, binh} {
				for _, accept := range []string{"", "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} {
					expect(t, e.request(t, "GET", path, who, nil, "Accept", accept), http.StatusForbidden)
				}
			}
			expect(t, e.request(t, "GET", path, anonymous, nil), http.StatusUnauthorized)
		}
		// A bad parameter from an applicant is still a 403: who asks comes first.
		expect(t, e.request(t, "GET", counts+"?by=colour", hoa, nil), http.StatusForbidden)
	})
}

// TestReportCountsUnderConcurrentWrites: with submissions and racing
// transitions (of which one wins per appraisal), the reports still agree
// with the appraisals as they are read back one by one.
func TestReportCountsUnderConcurrentWrites(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		const n = 12
		ids := make([]int64, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				d := dossier()
				d["sector"] = []string{"C26", "A", "J62"}[i%3]
				if i%4 == 0 {
					delete(d, "investor_country")
				}
				r := e.request(t, "POST", "/api/v1/appraisals", []string{hoa, binh}[i%2], d)
				if r.status == http.StatusCreated {
					ids[i] = int64(r.json(t)["id"].(float64))
				} else {
					t.Errorf("submit: %d %s", r.status, r.body)
				}
			}()
		}
		wg.Wait()
		race := func(bodies func(i int) []struct {
			user string
			body map[string]any
		}) {
			for i, id := range ids {
				for _, b := range bodies(i) {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if r := e.fire(t, id, b.user, b.body); r.status != 200 && r.status != 409 {
							t.Errorf("%v: %d %s", b.body, r.status, r.body)
						}
					}()
				}
			}
			wg.Wait()
		}
		type fire = struct {
			user string
			body map[string]any
		}
		owner := func(i int) string { return []string{hoa, binh}[i%2] }
		race(func(i int) []fire {
			return []fire{{reviewer, trig("review")}, {reviewer, trig("reject", "comment", "Không đạt")},
				{owner(i), trig("withdraw")}, {reviewer, trig("review")}}
		})
		race(func(i int) []fire {
			return []fire{{appraiser, trig("appraise", "outcome", "approved")},
				{appraiser, trig("appraise", "outcome", "not_approved", "comment", "Không đạt")},
				{admin, trig("archive")}}
		})
		// What the appraisals say, read one by one.
		var data []made
		for _, id := range ids {
			a := expect(t, e.request(t, "GET", fmt.Sprintf("/api/v1/appraisals/%d", id), reviewer, nil), 200)
			m := made{id: id, state: a["state"].(string), stage: a["stage"].(string), ownership: a["ownership"].(string),
				sector: a["sector"].(string), submitted: at(a["submitted_at"].(string))}
			m.country, _ = a["investor_country"].(string)
			m.outcome, _ = a["outcome"].(string)
			if m.outcome != "" {
				// The appraisal's instant is its appraise event's.
				ev := expect(t, e.request(t, "GET", fmt.Sprintf("/api/v1/appraisals/%d/events", id), reviewer, nil), 200)
				for _, it := range ev["items"].([]any) {
					if it := it.(map[string]any); it["trigger"] == "appraise" {
						m.appraised = at(it["at"].(string))
					}
				}
				if m.appraised.IsZero() {
					t.Fatalf("appraisal %d has an outcome and no appraise event", id)
				}
			}
			data = append(data, m)
		}
		for _, event := range []string{"submitted", "appraised"} {
			for _, by := range countDimensions {
				path := "/api/v1/reports/counts?by=" + by + "&event=" + event
				var got struct {
					Items []struct {
						Key   *string `json:"key"`
						Count int64   `json:"count"`
					} `json:"items"`
				}
				if err := json.Unmarshal(e.request(t, "GET", path, admin, nil).body, &got); err != nil {
					t.Fatal(err)
				}
				var items []keyCount
				for _, it := range got.Items {
					items = append(items, keyCount{it.Key, it.Count})
				}
				if want := tallyCounts(data, by, event, period{}); fmt.Sprint(items) != fmt.Sprint(want) {
					t.Errorf("%s:\n got %v\nwant %v", path, items, want)
				}
			}
		}
	})
}
