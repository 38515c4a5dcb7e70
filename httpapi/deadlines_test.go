package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/httpapi"
	"github.com/appraisal/appraisal/workflows"
)

// Deadlines, versions and diagrams over HTTP, on both databases. Expected
// days are counted by hand on the shipped calendar (Tết 2026: 16-20 Feb).

// settableClock is the database's and the server's clock at once.
type settableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *settableClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// set moves the clock to 10:00 Vietnam time on day.
func (c *settableClock) set(day string) {
	d, err := time.ParseInLocation(time.DateOnly, day, engine.VietnamTime)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.now = d.Add(10 * time.Hour)
	c.mu.Unlock()
}

// eachEngineAt is eachEngine with the server's and the database's clock
// under the test's hand.
func eachEngineAt(t *testing.T, fn func(t *testing.T, e *env, clock *settableClock)) {
	for _, eng := range dbtest.Engines {
		t.Run(string(eng), func(t *testing.T) {
			t.Parallel()
			clock := &settableClock{now: time.Now()}
			e := newEnvWith(t, dbtest.Open(t, eng), func(cfg *httpapi.Config) { cfg.Now = clock.Now })
			e.d.Now = clock.Now
			fn(t, e, clock)
		})
	}
}

// clockOf is the deadline part of an appraisal as the API shows it.
func clockOf(m map[string]any) string {
	due := func(v any) string {
		if v == nil {
			return "-"
		}
		return fmt.Sprint(v)
	}
	td := "-"
	if x, ok := m["trigger_due"].(map[string]any); ok {
		td = fmt.Sprintf("%s by %s overdue=%v", x["trigger"], x["due_at"], x["overdue"])
	}
	return fmt.Sprintf("%s due %s overdue=%v paused=%v left=%s extensions=%v on_time=%s trigger_due=%s",
		m["state"], due(m["due_at"]), m["overdue"], m["clock_paused"], due(m["working_days_left"]), m["extensions"], due(m["on_time"]), td)
}

// TestDeadlineOverTheAPI walks one group C dossier (10 working days)
// through a supplement round across Tết and the one extension.
func TestDeadlineOverTheAPI(t *testing.T) {
	eachEngineAt(t, func(t *testing.T, e *env, clock *settableClock) {
		d := dossier()
		d["project_group"] = "C"
		clock.set("2026-02-09")
		m := expect(t, e.request(t, "POST", "/api/v1/appraisals", hoa, d), http.StatusCreated)
		id := int64(m["id"].(float64))
		path := fmt.Sprintf("/api/v1/appraisals/%d", id)
		steps := []struct {
			day, user string
			body      map[string]any
			want      string
		}{
			{"2026-02-09", "", nil, "submitted due 2026-03-02 overdue=false paused=false left=- extensions=0 on_time=- trigger_due=request_supplement by 2026-02-12 overdue=false"},
			{"2026-02-13", "", nil, "submitted due 2026-03-02 overdue=false paused=false left=- extensions=0 on_time=- trigger_due=request_supplement by 2026-02-12 overdue=true"},
			{"2026-02-13", reviewer, trig("request_supplement", "comment", "Bổ sung hợp đồng chuyển giao công nghệ"),
				"returned due - overdue=false paused=true left=6 extensions=0 on_time=- trigger_due=-"},
			{"2026-03-09", hoa, trig("resubmit"), "submitted due 2026-03-17 overdue=false paused=false left=- extensions=0 on_time=- trigger_due=request_supplement by 2026-03-12 overdue=false"},
			{"2026-03-12", reviewer, trig("review"), "reviewed due 2026-03-17 overdue=false paused=false left=- extensions=0 on_time=- trigger_due=-"},
			{"2026-03-17", appraiser, trig("extend", "comment", "Cần ý kiến chuyên gia; xin lỗi nhà đầu tư", "due_at", "2026-03-26"),
				"reviewed due 2026-03-26 overdue=false paused=false left=- extensions=1 on_time=- trigger_due=-"},
			{"2026-03-27", "", nil, "reviewed due 2026-03-26 overdue=true paused=false left=- extensions=1 on_time=- trigger_due=-"},
			{"2026-03-27", appraiser, trig("appraise", "outcome", "approved"), "appraised due 2026-03-26 overdue=false paused=false left=- extensions=1 on_time=late trigger_due=-"},
		}
		for _, s := range steps {
			clock.set(s.day)
			var got map[string]any
			if s.user == "" {
				got = expect(t, e.request(t, "GET", path, hoa, nil), http.StatusOK)
			} else {
				got = expect(t, e.fire(t, id, s.user, s.body), http.StatusOK)
			}
			if c := clockOf(got); c != s.want {
				t.Fatalf("%s %v:\n got %s\nwant %s", s.day, s.body["trigger"], c, s.want)
			}
			t.Logf("%s %-18v due_at=%v overdue=%v clock_paused=%v working_days_left=%v extensions=%v on_time=%v trigger_due=%v",
				s.day, s.body["trigger"], got["due_at"], got["overdue"], got["clock_paused"], got["working_days_left"],
				got["extensions"], got["on_time"], got["trigger_due"])
		}
		// The extension is in the trail, with its new date, and changes no state.
		events := expect(t, e.request(t, "GET", path+"/events", hoa, nil), http.StatusOK)["items"].([]any)
		ext := events[4].(map[string]any)
		if ext["trigger"] != "extend" || ext["from_state"] != "reviewed" || ext["to_state"] != "reviewed" || ext["due_at"] != "2026-03-26" {
			t.Errorf("extension event %v", ext)
		}
		if events[3].(map[string]any)["due_at"] != nil {
			t.Errorf("a review event carries due_at: %v", events[3])
		}
		// A second extension is refused, and bad dates are named.
		clock.set("2026-03-30")
		other := expect(t, e.request(t, "POST", "/api/v1/appraisals", hoa, d), http.StatusCreated)
		oid := int64(other["id"].(float64))
		for _, c := range []struct {
			due    string
			status int
		}{{"2026-04-11", 422}, {"2026-03-31", 422}, {"31/12/2026", 422}, {"", 422}} {
			body := trig("extend", "comment", "x")
			if c.due != "" {
				body["due_at"] = c.due
			}
			r := expect(t, e.fire(t, oid, reviewer, body), c.status)
			if r["field"] != "due_at" {
				t.Errorf("extend to %q: field %v, want due_at", c.due, r["field"])
			}
		}
		expect(t, e.fire(t, oid, reviewer, trig("extend", "comment", "x", "due_at", "2026-04-20")), http.StatusOK)
		expect(t, e.fire(t, oid, reviewer, trig("extend", "comment", "x", "due_at", "2026-04-21")), http.StatusConflict)
		expect(t, e.fire(t, oid, reviewer, trig("review", "due_at", "2026-04-21")), http.StatusUnprocessableEntity)

		// Listing: overdue and due_before, on 27 April (the first is done).
		clock.set("2026-04-27")
		for q, want := range map[string][]int64{
			"overdue=true":                         {oid},
			"overdue=false":                        {oid, id},
			"due_before=2026-04-20":                {},
			"due_before=2026-04-21":                {oid},
			"overdue=true&due_before=2026-04-21":   {oid},
			"overdue=true&state=submitted":         {oid},
			"overdue=true&state=reviewed":          {},
			"due_before=2099-01-01&stage=decision": {oid},
		} {
			got := itemIDs(expect(t, e.request(t, "GET", "/api/v1/appraisals?"+q, reviewer, nil), http.StatusOK))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %v, want %v", q, got, want)
			}
		}
		for _, q := range []string{"overdue=yes", "due_before=2026-13-01", "due_before=tomorrow"} {
			expect(t, e.request(t, "GET", "/api/v1/appraisals?"+q, reviewer, nil), http.StatusUnprocessableEntity)
		}
	})
}

// TestOnTimeReports: the on-time share per period and by=on_time, against
// a tally of what the test made late and on time.
func TestOnTimeReports(t *testing.T) {
	eachEngineAt(t, func(t *testing.T, e *env, clock *settableClock) {
		type life struct {
			received, concluded string
			group               string
			want                string // on_time, late, or "" for not judged
		}
		lives := []life{
			// Group C, received 2 March 2026: due 16 March.
			{"2026-03-02", "2026-03-16", "C", "on_time"},
			{"2026-03-02", "2026-03-17", "C", "late"},
			{"2026-03-03", "2026-03-10", "B", "on_time"},
			{"2026-04-01", "2026-04-06", "A", "on_time"},
			{"2026-04-01", "", "A", ""},                  // still running
			{"2026-04-02", "2026-09-01", "national", ""}, // no deadline
			{"2026-04-03", "2026-06-01", "C", "late"},
		}
		for _, l := range lives {
			clock.set(l.received)
			d := dossier()
			d["project_group"] = l.group
			id := int64(expect(t, e.request(t, "POST", "/api/v1/appraisals", hoa, d), http.StatusCreated)["id"].(float64))
			if l.concluded == "" {
				continue
			}
			expect(t, e.fire(t, id, reviewer, trig("review")), http.StatusOK)
			clock.set(l.concluded)
			m := expect(t, e.fire(t, id, appraiser, trig("appraise", "outcome", "approved")), http.StatusOK)
			if got, _ := m["on_time"].(string); got != l.want {
				t.Fatalf("%+v: on_time %q", l, got)
			}
		}
		tally := map[string]map[string]int{} // month of the event → on_time/late → n
		for _, l := range lives {
			for _, ev := range []struct{ name, day string }{{"submitted", l.received}, {"appraised", l.concluded}} {
				if ev.day == "" || l.want == "" {
					continue
				}
				k := ev.name + " " + ev.day[:7]
				if tally[k] == nil {
					tally[k] = map[string]int{}
				}
				tally[k][l.want]++
			}
		}
		for _, event := range []string{"submitted", "appraised"} {
			m := expect(t, e.request(t, "GET", "/api/v1/reports/counts?by=month&event="+event, reviewer, nil), http.StatusOK)
			var onTime, late int
			for _, it := range m["items"].([]any) {
				item := it.(map[string]any)
				want := tally[event+" "+item["key"].(string)]
				if item["on_time"] != float64(want["on_time"]) || item["late"] != float64(want["late"]) {
					t.Errorf("%s %s: on_time %v late %v, want %d %d", event, item["key"], item["on_time"], item["late"], want["on_time"], want["late"])
				}
				if n := want["on_time"] + want["late"]; n > 0 && item["on_time_share"] != float64(want["on_time"])/float64(n) {
					t.Errorf("%s %s: share %v", event, item["key"], item["on_time_share"])
				}
				onTime, late = onTime+want["on_time"], late+want["late"]
			}
			if m["on_time"] != float64(onTime) || m["late"] != float64(late) || m["on_time_share"] != float64(onTime)/float64(onTime+late) {
				t.Errorf("%s: totals %v %v %v, want %d %d", event, m["on_time"], m["late"], m["on_time_share"], onTime, late)
			}
			byOnTime := expect(t, e.request(t, "GET", "/api/v1/reports/counts?by=on_time&event="+event, reviewer, nil), http.StatusOK)
			got := map[string]float64{}
			for _, it := range byOnTime["items"].([]any) {
				item := it.(map[string]any)
				k, _ := item["key"].(string)
				got[k] = item["count"].(float64)
			}
			notJudged := 0
			for _, l := range lives {
				if l.want == "" && (event == "submitted" || l.concluded != "") {
					notJudged++
				}
			}
			if got["on_time"] != float64(onTime) || got["late"] != float64(late) || got[""] != float64(notJudged) {
				t.Errorf("%s by on_time: %v, want on_time %d late %d null %d", event, got, onTime, late, notJudged)
			}
		}
		csv := e.request(t, "GET", "/api/v1/reports/counts?by=on_time", reviewer, nil, "Accept", "text/csv")
		if csv.status != 200 || !bytes.Contains(csv.body, []byte("on_time,count\r\n")) && !bytes.Contains(csv.body, []byte("on_time,count\n")) {
			t.Errorf("CSV by on_time: %d %s", csv.status, csv.body)
		}
	})
}

// TestCalendarChangesNewDeadlines: a day off an admin adds moves the due
// dates computed after it, on every server (each reloads), not before.
func TestCalendarChangesNewDeadlines(t *testing.T) {
	eachEngineAt(t, func(t *testing.T, e *env, clock *settableClock) {
		d := dossier()
		d["project_group"] = "C"
		// Monday 4 January 2027: the shipped calendar has no 2027; ten
		// weekdays on is Monday 18 January.
		clock.set("2027-01-04")
		before := expect(t, e.request(t, "POST", "/api/v1/appraisals", hoa, d), http.StatusCreated)
		if before["due_at"] != "2027-01-18" {
			t.Fatalf("due_at %v, want 2027-01-18", before["due_at"])
		}
		cal := expect(t, e.request(t, "GET", "/api/v1/calendar?year=2027", reviewer, nil), http.StatusOK)
		if cal["covered"] != false {
			t.Errorf("2027 covered: %v", cal)
		}
		r := e.request(t, "POST", "/api/v1/calendar/days", admin, map[string]any{
			"holidays": []map[string]string{{"day": "2027-01-06", "name": "Ngày nghỉ thử"}, {"day": "2027-01-07", "name": "Ngày nghỉ thử"}}})
		if r.status != http.StatusNoContent {
			t.Fatalf("adding days: %d %s", r.status, r.body)
		}
		after := expect(t, e.request(t, "POST", "/api/v1/appraisals", hoa, d), http.StatusCreated)
		if after["due_at"] != "2027-01-20" {
			t.Errorf("due_at %v after two days off, want 2027-01-20", after["due_at"])
		}
		again := expect(t, e.request(t, "GET", fmt.Sprintf("/api/v1/appraisals/%v", before["id"]), hoa, nil), http.StatusOK)
		if again["due_at"] != "2027-01-18" {
			t.Errorf("an existing due date moved: %v", again["due_at"])
		}
		// Another server over the same database sees them once it loads.
		other := e.restart(t, func(cfg *httpapi.Config) { cfg.Catalog = workflows.Embedded(); cfg.Now = clock.Now })
		if err := other.reloadCalendar(t); err != nil {
			t.Fatal(err)
		}
		cal = expect(t, other.request(t, "GET", "/api/v1/calendar?year=2027", reviewer, nil), http.StatusOK)
		if fmt.Sprint(cal["holidays"]) != "[map[day:2027-01-06 name:Ngày nghỉ thử] map[day:2027-01-07 name:Ngày nghỉ thử]]" {
			t.Errorf("the other server's 2027: %v", cal["holidays"])
		}
	})
}

// reloadCalendar does what serve's reload loop does, on e's server.
func (e *env) reloadCalendar(t *testing.T) error {
	t.Helper()
	return e.api.ReloadCalendar(t.Context())
}

// TestWorkflowVersionsSideBySide publishes a version 2 that adds a state:
// appraisals started on version 1 finish on it, new ones run on version 2.
func TestWorkflowVersionsSideBySide(t *testing.T) {
	v1, err := os.ReadFile("../workflows/definitions/technology-appraisal.v1.json")
	if err != nil {
		t.Fatal(err)
	}
	// Version 2: a council meeting between review and appraisal.
	v2 := strings.Replace(string(v1), `"version": 1,`, `"version": 2,`, 1)
	v2 = strings.Replace(v2, `{"name": "appraised",`, `{"name": "council", "title": "Before the appraisal council"},
    {"name": "appraised",`, 1)
	v2 = strings.Replace(v2, `{"name": "appraise", "title": "Record the appraisal's conclusion", "from": ["reviewed"]`,
		`{"name": "convene_council", "title": "Convene the council", "from": ["reviewed"], "to": "council", "roles": ["appraiser"]},
    {"name": "appraise", "title": "Record the appraisal's conclusion", "from": ["council"]`, 1)
	if !strings.Contains(v2, `"council"`) || !strings.Contains(v2, `"convene_council"`) {
		t.Fatal("the test's version 2 did not come out")
	}
	only1, err := workflows.Load(fstest.MapFS{"technology-appraisal.v1.json": {Data: v1}})
	if err != nil {
		t.Fatal(err)
	}
	both, err := workflows.Load(fstest.MapFS{"technology-appraisal.v1.json": {Data: v1}, "technology-appraisal.v2.json": {Data: []byte(v2)}})
	if err != nil {
		t.Fatal(err)
	}
	eachEngineWith(t, func(cfg *httpapi.Config) { cfg.Catalog = only1 }, func(t *testing.T, e *env) {
		old := int64(expect(t, e.request(t, "POST", "/api/v1/appraisals", hoa, dossier()), http.StatusCreated)["id"].(float64))
		expect(t, e.fire(t, old, reviewer, trig("review")), http.StatusOK)

		// Version 2 is published: the server restarts with both files.
		e = e.restart(t, func(cfg *httpapi.Config) { cfg.Catalog = both })
		w := expect(t, e.request(t, "GET", "/api/v1/workflows/technology-appraisal", hoa, nil), http.StatusOK)
		if fmt.Sprint(w["versions"]) != "[1 2]" || w["latest_version"] != float64(2) {
			t.Errorf("versions %v latest %v", w["versions"], w["latest_version"])
		}
		one := expect(t, e.request(t, "GET", "/api/v1/workflows/technology-appraisal/versions/1", hoa, nil), http.StatusOK)
		two := expect(t, e.request(t, "GET", "/api/v1/workflows/technology-appraisal/versions/2", hoa, nil), http.StatusOK)
		if len(one["states"].([]any)) != 7 || len(two["states"].([]any)) != 8 {
			t.Errorf("v1 has %d states, v2 %d", len(one["states"].([]any)), len(two["states"].([]any)))
		}
		expect(t, e.request(t, "GET", "/api/v1/workflows/technology-appraisal/versions/3", hoa, nil), http.StatusNotFound)

		fresh := expect(t, e.request(t, "POST", "/api/v1/appraisals", hoa, dossier()), http.StatusCreated)
		id := int64(fresh["id"].(float64))
		if fmt.Sprint(fresh["workflow"]) != "map[name:technology-appraisal version:2]" {
			t.Fatalf("a new appraisal is on %v", fresh["workflow"])
		}
		// The old one finishes on version 1: no council, straight to appraised.
		g := expect(t, e.request(t, "GET", fmt.Sprintf("/api/v1/appraisals/%d", old), appraiser, nil), http.StatusOK)
		if fmt.Sprint(g["workflow"]) != "map[name:technology-appraisal version:1]" || fmt.Sprint(g["permitted_triggers"]) != "[appraise]" {
			t.Errorf("the old appraisal: %v %v", g["workflow"], g["permitted_triggers"])
		}
		expect(t, e.fire(t, old, appraiser, trig("convene_council")), http.StatusUnprocessableEntity)
		expect(t, e.fire(t, old, appraiser, trig("appraise", "outcome", "approved")), http.StatusOK)
		// The new one goes through the council.
		expect(t, e.fire(t, id, reviewer, trig("review")), http.StatusOK)
		m := expect(t, e.fire(t, id, appraiser, trig("appraise", "outcome", "approved")), http.StatusConflict)
		if fmt.Sprint(m["permitted_triggers"]) != "[convene_council]" {
			t.Errorf("permitted %v", m["permitted_triggers"])
		}
		if s := expect(t, e.fire(t, id, appraiser, trig("convene_council")), http.StatusOK)["state"]; s != "council" {
			t.Errorf("state %v, want council", s)
		}
		expect(t, e.fire(t, id, appraiser, trig("appraise", "outcome", "approved")), http.StatusOK)
		for _, x := range []int64{old, id} {
			if s := expect(t, e.fire(t, x, reviewer, trig("archive")), http.StatusOK)["state"]; s != "archived" {
				t.Errorf("%d: %v", x, s)
			}
		}
		// Both in the listing, each with its version.
		list := expect(t, e.request(t, "GET", "/api/v1/appraisals?state=archived", reviewer, nil), http.StatusOK)["items"].([]any)
		if len(list) != 2 || list[0].(map[string]any)["workflow"].(map[string]any)["version"] != float64(2) ||
			list[1].(map[string]any)["workflow"].(map[string]any)["version"] != float64(1) {
			t.Errorf("listing %v", list)
		}
	})
}

// TestTheOpinionWorkflow: a dossier of the policy stage runs on
// technology-opinion, with its states, roles and 15 working days.
func TestTheOpinionWorkflow(t *testing.T) {
	eachEngineAt(t, func(t *testing.T, e *env, clock *settableClock) {
		d := dossier()
		d["stage"] = "policy"
		delete(d, "project_group")
		clock.set("2026-04-22")
		m := expect(t, e.request(t, "POST", "/api/v1/appraisals", hoa, d), http.StatusCreated)
		id := int64(m["id"].(float64))
		if fmt.Sprint(m["workflow"]) != "map[name:technology-opinion version:1]" || m["state"] != "received" || m["due_at"] != "2026-05-18" {
			t.Fatalf("policy stage: %v %v due %v", m["workflow"], m["state"], m["due_at"])
		}
		// Its own roles: a reviewer drafts, an appraiser signs.
		expect(t, e.fire(t, id, appraiser, trig("draft_opinion", "comment", "x")), http.StatusForbidden)
		expect(t, e.fire(t, id, reviewer, trig("review")), http.StatusUnprocessableEntity)
		clock.set("2026-05-04")
		expect(t, e.fire(t, id, reviewer, trig("draft_opinion", "comment", "Dự thảo: công nghệ phù hợp")), http.StatusOK)
		expect(t, e.fire(t, id, appraiser, trig("give_opinion", "outcome", "approved")), http.StatusUnprocessableEntity)
		clock.set("2026-05-18")
		m = expect(t, e.fire(t, id, appraiser, trig("give_opinion", "outcome", "agreed")), http.StatusOK)
		if m["state"] != "answered" || m["on_time"] != "on_time" || m["outcome"] != "agreed" {
			t.Errorf("after the opinion: %v %v %v", m["state"], m["on_time"], m["outcome"])
		}
		// The statistics form counts opinions with appraisals.
		f := expect(t, e.request(t, "GET", "/api/v1/reports/form07?year=2026", reviewer, nil), http.StatusOK)
		if f["total"] != float64(1) {
			t.Errorf("form07 total %v, want 1", f["total"])
		}
	})
}

// TestAppraisalGraph: the diagram of one dossier names every state of its
// version, fills the current one and marks the path taken.
func TestAppraisalGraph(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		id := e.submit(t, hoa)
		expect(t, e.fire(t, id, reviewer, trig("request_supplement", "comment", "Thiếu")), http.StatusOK)
		expect(t, e.fire(t, id, hoa, trig("resubmit")), http.StatusOK)
		expect(t, e.fire(t, id, reviewer, trig("review")), http.StatusOK)
		path := fmt.Sprintf("/api/v1/appraisals/%d/graph", id)
		dot := e.request(t, "GET", path, hoa, nil)
		if dot.status != 200 || !strings.HasPrefix(dot.header.Get("Content-Type"), "text/vnd.graphviz") {
			t.Fatalf("DOT: %d %s", dot.status, dot.header.Get("Content-Type"))
		}
		for _, want := range []string{`"reviewed" [shape=box, style="rounded,filled,bold"`, `"submitted" -> "returned" [label="request_supplement\n(reviewer)\n#2"`,
			`"returned" -> "submitted" [label="resubmit\n(applicant)\n#3"`, `"submitted" -> "reviewed" [label="review\n(reviewer)\n#4"`} {
			if !strings.Contains(string(dot.body), want) {
				t.Errorf("DOT lacks %s:\n%s", want, dot.body)
			}
		}
		svg := e.request(t, "GET", path, reviewer, nil, "Accept", "image/svg+xml")
		if svg.status != 200 || svg.header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("SVG: %d %s", svg.status, svg.header.Get("Content-Type"))
		}
		body := string(svg.body)
		for _, s := range []string{"submitted", "returned", "reviewed", "appraised", "rejected", "withdrawn", "archived"} {
			if !strings.Contains(body, ">"+s+"</text>") {
				t.Errorf("SVG does not name state %s", s)
			}
		}
		// The current state's node: its group has id "current" and is filled.
		current := regexp.MustCompile(`(?s)<g id="current" class="node">.*?</g>`).FindString(body)
		if !strings.Contains(current, ">reviewed</text>") || !strings.Contains(current, `fill="`+engine.CurrentStateColor+`"`) {
			t.Errorf("the current state is not marked: %q", current)
		}
		if n := strings.Count(body, `stroke="`+engine.PathColor+`"`); n < 4 {
			t.Errorf("%d elements drawn in the path's colour, want the 4 taken edges and more", n)
		}
		expect(t, e.request(t, "GET", path, binh, nil), http.StatusNotFound)
	})
}

// itemIDs returns the ids of a listing's items, in order.
func itemIDs(m map[string]any) []int64 {
	out := []int64{}
	for _, it := range m["items"].([]any) {
		out = append(out, int64(it.(map[string]any)["id"].(float64)))
	}
	return out
}
