package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// The authorization matrix: what every party may see and do over HTTP, on
// every endpoint and in every state of the workflow. Expectations come from
// DESIGN.md's tables, written out below, never from the engine.

// party is who calls: the applicant who owns the appraisal, another
// applicant, or a member of staff. Each is a user of newEnv.
type party struct {
	user string
	role string // applicant, reviewer, appraiser, admin
	// owner: the applicant who submitted the appraisals under test.
	owner bool
}

var authzParties = []party{
	{hoa, "applicant", true},
	{binh, "applicant", false},
	{reviewer, "reviewer", false},
	{appraiser, "appraiser", false},
	{admin, "admin", false},
}

func (p party) String() string {
	if p.role == "applicant" && p.owner {
		return "owner"
	}
	if p.role == "applicant" {
		return "other applicant"
	}
	return p.role
}

// designTrigger is one row of DESIGN.md's workflow table.
type designTrigger struct {
	name string
	from []string // none: the trigger creates the appraisal
	to   string
	// who may fire it: a role, or "owner" for "the applicant who owns it".
	who []string
	// data satisfies the required data; each field named in required is
	// one whose absence is a 422.
	data     map[string]any
	required []string
}

var designStates = []string{"submitted", "returned", "reviewed", "appraised", "rejected", "withdrawn", "archived"}

var designWorkflow = []designTrigger{
	{name: "submit", to: "submitted", who: []string{"applicant"}},
	{name: "review", from: []string{"submitted"}, to: "reviewed", who: []string{"reviewer"}},
	{name: "request_supplement", from: []string{"submitted"}, to: "returned", who: []string{"reviewer"},
		data: map[string]any{"comment": "Bổ sung hợp đồng chuyển giao công nghệ"}, required: []string{"comment"}},
	{name: "resubmit", from: []string{"returned"}, to: "submitted", who: []string{"owner"}},
	{name: "reject", from: []string{"submitted"}, to: "rejected", who: []string{"reviewer"},
		data: map[string]any{"comment": "Công nghệ lạc hậu"}, required: []string{"comment"}},
	{name: "appraise", from: []string{"reviewed"}, to: "appraised", who: []string{"appraiser"},
		data: map[string]any{"outcome": "approved"}, required: []string{"outcome"}},
	{name: "withdraw", from: []string{"submitted", "returned"}, to: "withdrawn", who: []string{"owner"}},
	{name: "archive", from: []string{"appraised", "rejected", "withdrawn"}, to: "archived", who: []string{"reviewer", "admin"}},
	// Version 2 adds the one extension of the law's time limit ("Time
	// limits"): it changes no state (to is empty). The dossiers here are
	// of group B, whose clock runs while submitted and reviewed.
	{name: "extend", from: []string{"submitted", "reviewed"}, who: []string{"reviewer", "appraiser"},
		data: map[string]any{"comment": "Hội đồng cần thêm thời gian", "due_at": workingDayAfter(120)}, required: []string{"comment", "due_at"}},
}

// workingDayAfter returns the first working day at least days from today:
// a date an extension may move a running deadline to.
func workingDayAfter(days int) string {
	cal := workflows.MustCalendar()
	d := engine.Day(time.Now().AddDate(0, 0, days))
	if !cal.IsWorkingDay(d) {
		d = cal.AddWorkingDays(d, 1)
	}
	return d
}

// after is the state firing t from state leads to.
func (t designTrigger) after(state string) string {
	if t.to == "" {
		return state
	}
	return t.to
}

// mayFire: the table's "who may fire it" column for p.
func (t designTrigger) mayFire(p party) bool {
	for _, w := range t.who {
		if w == p.role || w == "owner" && p.role == "applicant" && p.owner {
			return true
		}
	}
	return false
}

func (t designTrigger) body(without string) map[string]any {
	b := map[string]any{"trigger": t.name}
	for k, v := range t.data {
		if k != without {
			b[k] = v
		}
	}
	return b
}

// designPermitted is what p may fire in state, sorted: the triggers from
// state that p's column allows.
func designPermitted(state string, p party) []string {
	out := []string{}
	for _, t := range designWorkflow {
		if slices.Contains(t.from, state) && t.mayFire(p) {
			out = append(out, t.name)
		}
	}
	slices.Sort(out)
	return out
}

// expectedTransition is the status POST .../transitions answers p firing t
// in state, by DESIGN.md's error table:
//   - another applicant's appraisal does not exist for her: 404, whatever
//     the trigger;
//   - submit only creates: as a transition it is no trigger, 422, as is
//     a name the table does not have;
//   - a party the table does not name for the trigger: 403, in any state
//     (who may fire a trigger does not depend on the state);
//   - a state the trigger does not leave: 409;
//   - otherwise 200.
func expectedTransition(state string, t designTrigger, p party) int {
	switch {
	case p.role == "applicant" && !p.owner:
		return http.StatusNotFound
	case len(t.from) == 0:
		return http.StatusUnprocessableEntity
	case !t.mayFire(p):
		return http.StatusForbidden
	case !slices.Contains(t.from, state):
		return http.StatusConflict
	}
	return http.StatusOK
}

// pathStep is one transition on the way to a state.
type pathStep struct {
	trigger designTrigger
	by      party
}

// designPaths finds, breadth first over the table, the shortest way from
// creation to every state, fired by the first party the table names.
func designPaths(t *testing.T) map[string][]pathStep {
	t.Helper()
	paths := map[string][]pathStep{}
	var queue []string
	for _, tr := range designWorkflow {
		if len(tr.from) == 0 {
			paths[tr.to] = nil
			queue = append(queue, tr.to)
		}
	}
	for len(queue) > 0 {
		state := queue[0]
		queue = queue[1:]
		for _, tr := range designWorkflow {
			if !slices.Contains(tr.from, state) || tr.to == "" {
				continue
			}
			if _, seen := paths[tr.to]; seen {
				continue
			}
			i := slices.IndexFunc(authzParties, tr.mayFire)
			if i < 0 {
				t.Fatalf("nobody may fire %s", tr.name)
			}
			paths[tr.to] = append(slices.Clone(paths[state]), pathStep{tr, authzParties[i]})
			queue = append(queue, tr.to)
		}
	}
	for _, s := range designStates {
		if _, ok := paths[s]; !ok {
			t.Fatalf("state %s is not reachable by the table", s)
		}
	}
	if len(paths) != len(designStates) {
		t.Fatalf("the table reaches %d states, DESIGN.md lists %d", len(paths), len(designStates))
	}
	return paths
}

// appraisalIn submits an appraisal as hoa and brings it to state.
func (e *env) appraisalIn(t *testing.T, paths map[string][]pathStep, state string) int64 {
	t.Helper()
	id := e.submit(t, hoa)
	for _, s := range paths[state] {
		m := expect(t, e.fire(t, id, s.by.user, s.trigger.body("")), http.StatusOK)
		if m["state"] != s.trigger.to {
			t.Fatalf("%s by %s: state %v, want %s", s.trigger.name, s.by, m["state"], s.trigger.to)
		}
	}
	return id
}

// written is what a refused request must leave as it was.
type written struct {
	version, events, appraisals int
}

func (e *env) written(t *testing.T, id int64) written {
	t.Helper()
	var w written
	err := e.d.QueryRowxContext(context.Background(), e.d.Rebind(`SELECT
		(SELECT version FROM appraisals WHERE id = ?), (SELECT COUNT(*) FROM events WHERE appraisal_id = ?),
		(SELECT COUNT(*) FROM appraisals)`), id, id).Scan(&w.version, &w.events, &w.appraisals)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestAuthorizationMatrix(t *testing.T) {
	paths := designPaths(t)
	eachEngine(t, func(t *testing.T, e *env) {
		for _, state := range designStates {
			t.Run(state, func(t *testing.T) {
				id := e.appraisalIn(t, paths, state)
				path := fmt.Sprintf("/api/v1/appraisals/%d", id)
				before := e.written(t, id)

				// Reading: the owner and staff see it and what they may do; the
				// other applicant does not see it at all.
				for _, p := range authzParties {
					r := e.request(t, "GET", path, p.user, nil)
					ev := e.request(t, "GET", path+"/events", p.user, nil)
					if p.role == "applicant" && !p.owner {
						expect(t, r, http.StatusNotFound)
						expect(t, ev, http.StatusNotFound)
						continue
					}
					m := expect(t, r, http.StatusOK)
					want := designPermitted(state, p)
					if m["state"] != state || fmt.Sprint(m["permitted_triggers"]) != fmt.Sprint(want) {
						t.Errorf("GET as %s: state %v, permitted_triggers %v; want %s, %v", p, m["state"], m["permitted_triggers"], state, want)
					}
					if items := expect(t, ev, http.StatusOK)["items"].([]any); len(items) != len(paths[state])+1 {
						t.Errorf("events as %s: %d, want %d", p, len(items), len(paths[state])+1)
					}
				}

				// Every trigger, and one that does not exist, by every party.
				triggers := append(slices.Clone(designWorkflow), designTrigger{name: "approve_all", to: "-"})
				for _, tr := range triggers {
					for _, p := range authzParties {
						want := expectedTransition(state, tr, p)
						if want == http.StatusOK {
							continue // fired below, each on an appraisal of its own
						}
						r := e.fire(t, id, p.user, tr.body(""))
						if r.status != want {
							t.Errorf("%s by %s in %s: %d, want %d: %s", tr.name, p, state, r.status, want, r.body)
						}
						m := expect(t, r, r.status)
						if want == http.StatusConflict {
							if got, w := fmt.Sprint(m["permitted_triggers"]), fmt.Sprint(designPermitted(state, p)); got != w {
								t.Errorf("%s by %s in %s: 409 permits %s, want %s", tr.name, p, state, got, w)
							}
						}
						if after := e.written(t, id); after != before {
							t.Fatalf("%s by %s in %s answered %d but wrote: %+v, before %+v", tr.name, p, state, r.status, after, before)
						}
					}
				}

				// What the table allows works, on a fresh appraisal in this state,
				// and only with its required data.
				for _, tr := range designWorkflow {
					for _, p := range authzParties {
						if expectedTransition(state, tr, p) != http.StatusOK {
							continue
						}
						fresh := e.appraisalIn(t, paths, state)
						was := e.written(t, fresh)
						for _, field := range tr.required {
							expect(t, e.fire(t, fresh, p.user, tr.body(field)), http.StatusUnprocessableEntity)
							if now := e.written(t, fresh); now != was {
								t.Fatalf("%s by %s without %s wrote: %+v, before %+v", tr.name, p, field, now, was)
							}
						}
						m := expect(t, e.fire(t, fresh, p.user, tr.body("")), http.StatusOK)
						if m["state"] != tr.after(state) || m["version"] != float64(was.version+1) {
							t.Errorf("%s by %s in %s: state %v version %v, want %s %d", tr.name, p, state, m["state"], m["version"], tr.after(state), was.version+1)
						}
						if n := e.eventCount(t, fresh); n != was.events+1 {
							t.Errorf("%s by %s in %s: %d events, want %d", tr.name, p, state, n, was.events+1)
						}
					}
				}
			})
		}
	})
}

// TestAuthorizationEndpoints: who may call each endpoint at all, and that
// another applicant's appraisal stays invisible through every one of them.
func TestAuthorizationEndpoints(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		id := e.submit(t, hoa)
		expect(t, e.fire(t, id, reviewer, trig("request_supplement", "comment", "Thiếu bản vẽ")), http.StatusOK)
		path := fmt.Sprintf("/api/v1/appraisals/%d", id)
		code := expect(t, e.request(t, "GET", path, hoa, nil), http.StatusOK)["code"].(string)

		// DESIGN.md's HTTP contract: owner, other applicant, reviewer,
		// appraiser, admin, no token.
		type row struct {
			method, path string
			body         any
			statuses     [6]int
		}
		const ok, created, unauth, forbidden, hidden = 200, 201, 401, 403, 404
		rows := []row{
			{"POST", "/api/v1/appraisals", dossier(), [6]int{created, created, forbidden, forbidden, forbidden, unauth}},
			{"GET", "/api/v1/appraisals", nil, [6]int{ok, ok, ok, ok, ok, unauth}},
			{"GET", path, nil, [6]int{ok, hidden, ok, ok, ok, unauth}},
			{"GET", path + "/events", nil, [6]int{ok, hidden, ok, ok, ok, unauth}},
			{"GET", "/api/v1/workflows", nil, [6]int{ok, ok, ok, ok, ok, unauth}},
			{"GET", "/api/v1/workflows/technology-appraisal", nil, [6]int{ok, ok, ok, ok, ok, unauth}},
			{"GET", "/api/v1/workflows/technology-appraisal/graph", nil, [6]int{ok, ok, ok, ok, ok, unauth}},
			{"GET", "/api/v1/reports/counts?by=state", nil, [6]int{forbidden, forbidden, ok, ok, ok, unauth}},
			{"GET", "/api/v1/reports/form07", nil, [6]int{forbidden, forbidden, ok, ok, ok, unauth}},
		}
		users := []string{hoa, binh, reviewer, appraiser, admin, anonymous}
		for _, r := range rows {
			for i, user := range users {
				before := e.written(t, id)
				resp := e.request(t, r.method, r.path, user, r.body)
				if resp.status != r.statuses[i] {
					t.Errorf("%s %s as %q: %d, want %d: %s", r.method, r.path, user, resp.status, r.statuses[i], resp.body)
					continue
				}
				if resp.status >= 400 {
					expect(t, resp, resp.status)
					if after := e.written(t, id); after != before {
						t.Errorf("%s %s as %q answered %d but wrote: %+v, before %+v", r.method, r.path, user, resp.status, after, before)
					}
				}
				if r.method == "POST" && resp.status == created {
					m := resp.json(t)
					if app := m["applicant"].(map[string]any); app["id"] != float64(e.ids[user]) {
						t.Errorf("an appraisal submitted by %s belongs to %v", user, app)
					}
				}
			}
		}

		// The listing never shows it to the other applicant, whatever the filter.
		for _, q := range []string{"", "?state=returned", "?q=" + code, "?stage=decision&sector=C26", "?limit=200"} {
			m := expect(t, e.request(t, "GET", "/api/v1/appraisals"+q, binh, nil), http.StatusOK)
			for _, it := range m["items"].([]any) {
				a := it.(map[string]any)
				if a["id"] == float64(id) || a["applicant"].(map[string]any)["id"] != float64(e.ids[binh]) {
					t.Errorf("GET /api/v1/appraisals%s as %s shows appraisal %v of %v", q, binh, a["id"], a["applicant"])
				}
			}
		}
		if m := expect(t, e.request(t, "GET", "/api/v1/appraisals?q="+code, hoa, nil), http.StatusOK); len(m["items"].([]any)) != 1 {
			t.Errorf("the owner's search for %s finds %d, want 1", code, len(m["items"].([]any)))
		}

		// For the other applicant her neighbour's appraisal answers exactly
		// as one that does not exist: no request tells them apart.
		missing := fmt.Sprintf("/api/v1/appraisals/%d", id+1_000_000)
		variants := []struct {
			name, method, suffix string
			body                 any
			headers              []string
		}{
			{"get", "GET", "", nil, nil},
			{"events", "GET", "/events", nil, nil},
			{"resubmit", "POST", "/transitions", trig("resubmit"), nil},
			{"withdraw", "POST", "/transitions", trig("withdraw"), nil},
			{"staff trigger", "POST", "/transitions", trig("review"), nil},
			{"unknown trigger", "POST", "/transitions", trig("approve_all"), nil},
			{"no trigger", "POST", "/transitions", map[string]any{}, nil},
			{"If-Match the version", "POST", "/transitions", trig("resubmit"), []string{"If-Match", `"2"`}},
			{"If-Match another version", "POST", "/transitions", trig("resubmit"), []string{"If-Match", `"9"`}},
			{"malformed If-Match", "POST", "/transitions", trig("resubmit"), []string{"If-Match", "2"}},
			{"malformed body", "POST", "/transitions", `{"trigger":`, nil},
			{"wrong method", "DELETE", "", nil, nil},
		}
		for _, v := range variants {
			before := e.written(t, id)
			theirs := e.request(t, v.method, path+v.suffix, binh, v.body, v.headers...)
			none := e.request(t, v.method, missing+v.suffix, binh, v.body, v.headers...)
			if theirs.status != none.status || theirs.status < 400 {
				t.Errorf("%s: another's appraisal answers %d, a missing one %d", v.name, theirs.status, none.status)
				continue
			}
			a, b := expect(t, theirs, theirs.status), expect(t, none, none.status)
			da := regexp.MustCompile(fmt.Sprintf(`\b%d\b`, id)).ReplaceAllString(a["detail"].(string), "N")
			db := regexp.MustCompile(fmt.Sprintf(`\b%d\b`, id+1_000_000)).ReplaceAllString(b["detail"].(string), "N")
			if da != db || a["type"] != b["type"] {
				t.Errorf("%s: another's appraisal answers %q, a missing one %q", v.name, a["detail"], b["detail"])
			}
			if after := e.written(t, id); after != before {
				t.Errorf("%s by another applicant wrote: %+v, before %+v", v.name, after, before)
			}
		}
	})
}
