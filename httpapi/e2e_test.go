package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/httpapi"
	"github.com/appraisal/appraisal/workflows"
)

// env is one API server on a fresh database, driven over real HTTP.
type env struct {
	t      testing.TB
	d      *db.DB
	srv    *httptest.Server
	api    *httpapi.Server
	check  func(t testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte)
	tokens map[string]string // user name → token
	ids    map[string]int64  // user name → id
}

// eachEngine runs fn on a fresh server over each database engine.
func eachEngine(t *testing.T, fn func(t *testing.T, e *env)) {
	for _, eng := range dbtest.Engines {
		t.Run(string(eng), func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, dbtest.Open(t, eng)))
		})
	}
}

func newEnv(t testing.TB, d *db.DB) *env {
	e := &env{t: t, d: d, tokens: map[string]string{}, ids: map[string]int64{}}
	e.serve(t, nil)
	e.check = newAPIChecker(t).check
	for _, u := range []struct {
		name string
		role engine.Role
	}{
		{"Nguyễn Thị Hoa", engine.RoleApplicant}, {"Trần Văn Bình", engine.RoleApplicant},
		{"Lê Reviewer", engine.RoleReviewer}, {"Phạm Appraiser", engine.RoleAppraiser}, {"Admin", engine.RoleAdmin},
	} {
		token, hash := engine.NewToken()
		a, err := d.CreateUser(context.Background(), u.name, u.role, hash)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[u.name], e.ids[u.name] = token, a.ID
	}
	return e
}

// serve starts e's server over e's database, configured by configure (nil:
// the embedded workflows, real time).
func (e *env) serve(t testing.TB, configure func(cfg *httpapi.Config)) {
	cfg := httpapi.Config{Store: e.d, Catalog: workflows.Embedded(), UnitCode: "SKHCN",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if configure != nil {
		configure(&cfg)
	}
	api, err := httpapi.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.api, e.srv = api, httptest.NewServer(api)
	t.Cleanup(e.srv.Close)
}

// restart is e served by a new server configured by configure: the same
// database and users, as after an upgrade.
func (e *env) restart(t testing.TB, configure func(cfg *httpapi.Config)) *env {
	again := *e
	again.serve(t, configure)
	return &again
}

// Short names for the users every env has.
const (
	hoa       = "Nguyễn Thị Hoa" // applicant, owner of what she submits
	binh      = "Trần Văn Bình"  // another applicant
	reviewer  = "Lê Reviewer"
	appraiser = "Phạm Appraiser"
	admin     = "Admin"
	anonymous = ""
)

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %v\n%s", r.status, err, r.body)
	}
	return m
}

// request sends one request as user (anonymous: no token). body is sent
// as is when it is a string or []byte, else as JSON. headers are pairs.
func (e *env) request(t testing.TB, method, path, user string, body any, headers ...string) response {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if user != anonymous {
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if e.check != nil {
		e.check(t, req, raw, resp, data)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// expect checks a response's status and, for errors, that it is a problem
// document of that status with a request id.
func expect(t testing.TB, r response, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	m := r.json(t)
	if status >= 400 {
		if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("error Content-Type %q, want application/problem+json", ct)
		}
		if m["status"] != float64(status) || m["title"] == "" || m["detail"] == "" || m["type"] == "" {
			t.Errorf("not a complete problem document: %s", r.body)
		}
		if id, _ := m["request_id"].(string); id == "" || id != r.header.Get("X-Request-Id") {
			t.Errorf("problem request_id %q, header %q", id, r.header.Get("X-Request-Id"))
		}
	}
	return m
}

func dossier() map[string]any {
	return map[string]any{
		"project_name":      "Dự án nhà máy sản xuất linh kiện điện tử Đông Anh",
		"investor":          "Công ty TNHH Công nghệ Hà Nội",
		"technology":        "Dây chuyền SMT tự động\nkiểm tra quang học AOI",
		"stage":             "decision",
		"project_group":     "B",
		"ownership":         "foreign_invested",
		"sector":            "C26",
		"capital_vnd":       1250000000000,
		"investor_country":  "KR",
		"technology_origin": "JP",
		"locality":          "Xã Đông Anh",
	}
}

// submit creates an appraisal as user and returns its id.
func (e *env) submit(t testing.TB, user string) int64 {
	t.Helper()
	m := expect(t, e.request(t, "POST", "/api/v1/appraisals", user, dossier()), http.StatusCreated)
	return int64(m["id"].(float64))
}

func (e *env) fire(t testing.TB, id int64, user string, body map[string]any, headers ...string) response {
	t.Helper()
	return e.request(t, "POST", fmt.Sprintf("/api/v1/appraisals/%d/transitions", id), user, body, headers...)
}

func trig(name string, kv ...string) map[string]any {
	m := map[string]any{"trigger": name}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// eventCount counts an appraisal's events straight from the database.
func (e *env) eventCount(t testing.TB, id int64) int {
	t.Helper()
	var n int
	if err := e.d.GetContext(context.Background(), &n, e.d.Rebind(`SELECT COUNT(*) FROM events WHERE appraisal_id = ?`), id); err != nil {
		t.Fatal(err)
	}
	return n
}

func (e *env) appraisalCount(t testing.TB) int {
	t.Helper()
	var n int
	if err := e.d.GetContext(context.Background(), &n, `SELECT COUNT(*) FROM appraisals`); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSubmitReturnsTheAppraisal(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		r := e.request(t, "POST", "/api/v1/appraisals", hoa, dossier())
		m := expect(t, r, http.StatusCreated)
		id := int64(m["id"].(float64))
		if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/appraisals/%d", id) {
			t.Errorf("Location %q", loc)
		}
		if r.header.Get("ETag") != `"1"` {
			t.Errorf("ETag %q, want \"1\"", r.header.Get("ETag"))
		}
		for k, v := range dossier() {
			want := v
			if n, ok := v.(int); ok {
				want = float64(n)
			}
			if m[k] != want {
				t.Errorf("%s = %#v, want %#v", k, m[k], want)
			}
		}
		if m["state"] != "submitted" || m["version"] != float64(1) || m["outcome"] != nil {
			t.Errorf("state %v version %v outcome %v", m["state"], m["version"], m["outcome"])
		}
		if !strings.HasPrefix(m["code"].(string), "SKHCN-") || len(m["code"].(string)) != len("SKHCN-YYMMDD-0001") {
			t.Errorf("code %v", m["code"])
		}
		wf := m["workflow"].(map[string]any)
		if wf["name"] != "technology-appraisal" || wf["version"] != float64(2) {
			t.Errorf("workflow %v", wf)
		}
		app := m["applicant"].(map[string]any)
		if app["name"] != hoa || app["id"] != float64(e.ids[hoa]) {
			t.Errorf("applicant %v", app)
		}
		if got := fmt.Sprint(m["permitted_triggers"]); got != "[withdraw]" {
			t.Errorf("owner's permitted_triggers %s, want [withdraw]", got)
		}
		// Staff see what they may do.
		g := expect(t, e.request(t, "GET", fmt.Sprintf("/api/v1/appraisals/%d", id), reviewer, nil), http.StatusOK)
		if got := fmt.Sprint(g["permitted_triggers"]); got != "[extend reject request_supplement review]" {
			t.Errorf("reviewer's permitted_triggers %s", got)
		}
		// Optional fields absent come back null.
		d := dossier()
		delete(d, "investor_country")
		delete(d, "technology_origin")
		delete(d, "locality")
		d["stage"], d["project_group"] = "policy", nil
		m = expect(t, e.request(t, "POST", "/api/v1/appraisals", hoa, d), http.StatusCreated)
		for _, k := range []string{"investor_country", "technology_origin", "locality", "project_group"} {
			if v, ok := m[k]; !ok || v != nil {
				t.Errorf("%s = %#v, want null", k, v)
			}
		}
	})
}

// step is one transition of a life: who fires what, and the state after.
type step struct {
	user, trigger string
	data          []string
	state         string
}

func TestLives(t *testing.T) {
	lives := map[string][]step{
		"main line": {
			{reviewer, "review", nil, "reviewed"},
			{appraiser, "appraise", []string{"outcome", "approved"}, "appraised"},
			{reviewer, "archive", nil, "archived"},
		},
		"return and resubmit": {
			{reviewer, "request_supplement", []string{"comment", "Thiếu bản vẽ công nghệ"}, "returned"},
			{hoa, "resubmit", nil, "submitted"},
			{reviewer, "review", nil, "reviewed"},
			{appraiser, "appraise", []string{"outcome", "approved_with_conditions", "comment", "Bổ sung đánh giá môi trường"}, "appraised"},
			{admin, "archive", nil, "archived"},
		},
		"reject": {
			{reviewer, "reject", []string{"comment", "Công nghệ lạc hậu"}, "rejected"},
			{reviewer, "archive", nil, "archived"},
		},
		"withdraw while submitted": {
			{hoa, "withdraw", nil, "withdrawn"},
			{admin, "archive", nil, "archived"},
		},
		"withdraw while returned": {
			{reviewer, "request_supplement", []string{"comment", "Thiếu hồ sơ"}, "returned"},
			{hoa, "withdraw", nil, "withdrawn"},
			{reviewer, "archive", nil, "archived"},
		},
		"not approved": {
			{reviewer, "review", nil, "reviewed"},
			{appraiser, "appraise", []string{"outcome", "not_approved", "comment", "Không đạt"}, "appraised"},
			{reviewer, "archive", nil, "archived"},
		},
	}
	eachEngine(t, func(t *testing.T, e *env) {
		for name, steps := range lives {
			t.Run(name, func(t *testing.T) {
				id := e.submit(t, hoa)
				for i, s := range steps {
					m := expect(t, e.fire(t, id, s.user, trig(s.trigger, s.data...), "If-Match", fmt.Sprintf(`"%d"`, i+1)), http.StatusOK)
					if m["state"] != s.state || m["version"] != float64(i+2) {
						t.Fatalf("after %s: state %v version %v, want %s %d", s.trigger, m["state"], m["version"], s.state, i+2)
					}
				}
				last := steps[len(steps)-1]
				ev := expect(t, e.request(t, "GET", fmt.Sprintf("/api/v1/appraisals/%d/events", id), hoa, nil), http.StatusOK)
				items := ev["items"].([]any)
				if len(items) != len(steps)+1 {
					t.Fatalf("%d events, want %d", len(items), len(steps)+1)
				}
				prev := engine.GenesisHash
				for i, it := range items {
					ev := it.(map[string]any)
					if ev["seq"] != float64(i+1) || ev["prev_hash"] != prev {
						t.Errorf("event %d: seq %v prev_hash %v, want %s", i+1, ev["seq"], ev["prev_hash"], prev)
					}
					prev = ev["hash"].(string)
					if i == 0 {
						if ev["trigger"] != "submit" || ev["from_state"] != nil || ev["to_state"] != "submitted" {
							t.Errorf("first event %v", ev)
						}
						continue
					}
					s := steps[i-1]
					actor := ev["actor"].(map[string]any)
					if ev["trigger"] != s.trigger || ev["to_state"] != s.state || actor["name"] != s.user {
						t.Errorf("event %d = %v, want %s by %s to %s", i+1, ev, s.trigger, s.user, s.state)
					}
					for j := 0; j+1 < len(s.data); j += 2 {
						if ev[s.data[j]] != s.data[j+1] {
							t.Errorf("event %d %s = %v, want %q", i+1, s.data[j], ev[s.data[j]], s.data[j+1])
						}
					}
				}
				final := expect(t, e.request(t, "GET", fmt.Sprintf("/api/v1/appraisals/%d", id), hoa, nil), http.StatusOK)
				if final["state"] != last.state || fmt.Sprint(final["permitted_triggers"]) != "[]" {
					t.Errorf("final %v %v", final["state"], final["permitted_triggers"])
				}
			})
		}
		_, faults, err := e.d.VerifyChains(context.Background())
		if err != nil || len(faults) > 0 {
			t.Errorf("chains: %v %v", faults, err)
		}
	})
}

func TestErrorTable(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		id := e.submit(t, hoa)
		path := fmt.Sprintf("/api/v1/appraisals/%d", id)
		tr := path + "/transitions"
		huge := `{"trigger":"review","comment":"` + strings.Repeat("x", 70<<10) + `"}`
		noCapital := dossier()
		delete(noCapital, "capital_vnd")
		cases := []struct {
			name, method, path, user string
			body                     any
			headers                  []string
			status                   int
			detail                   string // a fragment the detail must contain
		}{
			{"malformed JSON", "POST", tr, reviewer, `{"trigger": "review"`, nil, 400, "JSON"},
			{"unknown field", "POST", tr, reviewer, `{"trigger": "review", "approve": true}`, nil, 400, "unknown field"},
			{"wrong type", "POST", tr, reviewer, `{"trigger": 7}`, nil, 400, "trigger"},
			{"wrong type in dossier", "POST", "/api/v1/appraisals", hoa, `{"capital_vnd": "many"}`, nil, 400, "capital_vnd"},
			{"two JSON values", "POST", tr, reviewer, `{"trigger":"review"} {}`, nil, 400, "after"},
			{"empty body", "POST", tr, reviewer, ``, nil, 400, "empty"},
			{"invalid UTF-8", "POST", tr, reviewer, "{\"trigger\":\"review\",\"comment\":\"\xff\xfe\"}", nil, 400, "UTF-8"},
			{"malformed If-Match", "POST", tr, reviewer, trig("review"), []string{"If-Match", "3"}, 400, "If-Match"},
			{"no token", "GET", path, anonymous, nil, nil, 401, "Bearer"},
			{"bad token", "GET", path, anonymous, nil, []string{"Authorization", "Bearer apr_not-a-real-token"}, 401, "token"},
			{"not bearer", "GET", path, anonymous, nil, []string{"Authorization", "Basic dXNlcjpwYXNz"}, 401, "Bearer"},
			{"role may not fire", "POST", tr, appraiser, trig("review"), nil, 403, "appraiser may not fire review"},
			{"applicant may not review own", "POST", tr, hoa, trig("review"), nil, 403, "applicant may not fire review"},
			{"staff may not submit", "POST", "/api/v1/appraisals", reviewer, dossier(), nil, 403, "reviewer may not fire submit"},
			{"no such appraisal", "GET", "/api/v1/appraisals/999999", reviewer, nil, nil, 404, "999999"},
			{"id too large", "GET", "/api/v1/appraisals/99999999999999999999", reviewer, nil, nil, 404, "appraisal"},
			{"another applicant's: get", "GET", path, binh, nil, nil, 404, "no appraisal"},
			{"another applicant's: events", "GET", path + "/events", binh, nil, nil, 404, "no appraisal"},
			{"another applicant's: transition", "POST", tr, binh, trig("withdraw"), nil, 404, "no appraisal"},
			{"another applicant's: transition with a bad trigger", "POST", tr, binh, trig("nonsense"), nil, 404, "no appraisal"},
			{"unknown route", "GET", "/api/v1/nothing", reviewer, nil, nil, 404, "no such"}, // not in the OpenAPI document, by definition
			{"not permitted in state", "POST", tr, hoa, trig("resubmit"), nil, 409, "permitted now: [withdraw]"},
			{"If-Match another version", "POST", tr, reviewer, trig("review"), []string{"If-Match", `"7"`}, 412, "version 7"},
			{"If-Match weak tag", "POST", tr, reviewer, trig("review"), []string{"If-Match", `W/"1"`}, 412, "version"},
			{"body too large", "POST", tr, reviewer, huge, nil, 413, "larger"},
			{"unknown trigger", "POST", tr, reviewer, trig("approve_all"), nil, 422, "no trigger"},
			{"creation trigger fired again", "POST", tr, hoa, trig("submit"), nil, 422, "no trigger"},
			{"missing trigger", "POST", tr, reviewer, `{}`, nil, 422, "trigger is required"},
			{"missing comment", "POST", tr, reviewer, trig("request_supplement"), nil, 422, "comment"},
			{"blank comment", "POST", tr, reviewer, trig("reject", "comment", "   "), nil, 422, "comment"},
			{"missing required dossier field", "POST", "/api/v1/appraisals", hoa, map[string]any{"project_name": "x"}, nil, 422, "required"},
			{"missing capital", "POST", "/api/v1/appraisals", hoa, noCapital, nil, 422, "capital_vnd"},
			{"invalid sector", "POST", "/api/v1/appraisals", hoa, with(dossier(), "sector", "Z9"), nil, 422, "sector"},
			{"invalid country", "POST", "/api/v1/appraisals", hoa, with(dossier(), "investor_country", "UK"), nil, 422, "investor_country"},
			{"negative capital", "POST", "/api/v1/appraisals", hoa, with(dossier(), "capital_vnd", -1), nil, 422, "capital_vnd"},
			{"decision without group", "POST", "/api/v1/appraisals", hoa, with(dossier(), "project_group", nil), nil, 422, "project_group"},
			{"bad list limit", "GET", "/api/v1/appraisals?limit=500", reviewer, nil, nil, 422, "limit"},
			{"bad list state", "GET", "/api/v1/appraisals?state=approved", reviewer, nil, nil, 422, "state"},
			{"unknown list parameter", "GET", "/api/v1/appraisals?colour=red", reviewer, nil, nil, 422, "colour"},
			{"bad cursor", "GET", "/api/v1/appraisals?cursor=bm9wZQ", reviewer, nil, nil, 422, "cursor"},
			{"unknown workflow", "GET", "/api/v1/workflows/nothing", reviewer, nil, nil, 404, "nothing"},
			{"wrong content type", "POST", tr, reviewer, "trigger=review", []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "application/json"},
			{"wrong method", "DELETE", path, reviewer, nil, nil, 405, "DELETE"},
		}
		before := e.appraisalCount(t)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.name == "unknown route" {
					check := e.check
					e.check = nil
					defer func() { e.check = check }()
				}
				m := expect(t, e.request(t, c.method, c.path, c.user, c.body, c.headers...), c.status)
				if !strings.Contains(m["detail"].(string), c.detail) {
					t.Errorf("detail %q lacks %q", m["detail"], c.detail)
				}
				if c.status == 409 && fmt.Sprint(m["permitted_triggers"]) != "[withdraw]" {
					t.Errorf("permitted_triggers %v, want [withdraw]", m["permitted_triggers"])
				}
			})
		}
		// None of it wrote anything.
		if n := e.appraisalCount(t); n != before {
			t.Errorf("%d appraisals after the bad requests, want %d", n, before)
		}
		if n := e.eventCount(t, id); n != 1 {
			t.Errorf("%d events after the bad requests, want 1", n)
		}
	})
}

func with(m map[string]any, k string, v any) map[string]any { m[k] = v; return m }

// TestInternalErrorHidesTheCause: a failure the client did not cause is a
// 500 problem with a request id, and nothing of the cause.
func TestInternalErrorHidesTheCause(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		id := e.submit(t, hoa)
		e.d.Close()
		m := expect(t, e.request(t, "GET", fmt.Sprintf("/api/v1/appraisals/%d", id), reviewer, nil), 500)
		detail := m["detail"].(string)
		for _, leak := range []string{"sql", "database", "closed", "goroutine", ".go:"} {
			if strings.Contains(strings.ToLower(detail), leak) {
				t.Errorf("500 detail leaks %q: %s", leak, detail)
			}
		}
		expect(t, e.request(t, "GET", "/readyz", anonymous, nil), 503)
	})
}

func TestConcurrentReviewsOneWins(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		id := e.submit(t, hoa)
		const n = 20
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = e.fire(t, id, reviewer, trig("review")).status
			}()
		}
		wg.Wait()
		slices.Sort(statuses)
		if statuses[0] != 200 || statuses[1] != 409 || statuses[n-1] != 409 {
			t.Errorf("statuses %v, want one 200 and %d 409", statuses, n-1)
		}
		if got := e.eventCount(t, id); got != 2 {
			t.Errorf("%d events, want 2 (submit and one review)", got)
		}
		m := expect(t, e.request(t, "GET", fmt.Sprintf("/api/v1/appraisals/%d", id), reviewer, nil), 200)
		if m["version"] != float64(2) || m["state"] != "reviewed" {
			t.Errorf("version %v state %v", m["version"], m["state"])
		}
	})
}

func TestListing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		var hoas, binhs []int64
		for range 5 {
			hoas = append(hoas, e.submit(t, hoa))
		}
		for range 2 {
			binhs = append(binhs, e.submit(t, binh))
		}
		expect(t, e.fire(t, hoas[0], reviewer, trig("review")), 200)
		ids := func(m map[string]any) []int64 {
			var out []int64
			for _, it := range m["items"].([]any) {
				out = append(out, int64(it.(map[string]any)["id"].(float64)))
			}
			return out
		}
		// An applicant sees only her own, newest first, page by page.
		var seen []int64
		cursor := ""
		for pages := 0; ; pages++ {
			q := "/api/v1/appraisals?limit=2"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			m := expect(t, e.request(t, "GET", q, hoa, nil), 200)
			seen = append(seen, ids(m)...)
			if m["next_cursor"] == nil {
				break
			}
			cursor = m["next_cursor"].(string)
			if pages > 5 {
				t.Fatal("paging does not end")
			}
		}
		want := slices.Clone(hoas)
		slices.Reverse(want)
		if fmt.Sprint(seen) != fmt.Sprint(want) {
			t.Errorf("applicant's pages %v, want %v", seen, want)
		}
		// Staff see everyone's; filters apply.
		all := ids(expect(t, e.request(t, "GET", "/api/v1/appraisals", reviewer, nil), 200))
		if len(all) != 7 {
			t.Errorf("reviewer sees %d, want 7", len(all))
		}
		got := ids(expect(t, e.request(t, "GET", "/api/v1/appraisals?state=reviewed", reviewer, nil), 200))
		if fmt.Sprint(got) != fmt.Sprint([]int64{hoas[0]}) {
			t.Errorf("state=reviewed gives %v", got)
		}
		for _, q := range []string{"sector=C", "sector=C26", "stage=decision", "ownership=foreign_invested", "q=%C4%90%C3%B4ng+Anh", "q=linh+ki"} {
			if n := len(ids(expect(t, e.request(t, "GET", "/api/v1/appraisals?"+q, reviewer, nil), 200))); n != 7 {
				t.Errorf("%s gives %d, want 7", q, n)
			}
		}
		for _, q := range []string{"sector=D", "sector=C27", "stage=policy", "ownership=state", "q=nothing+like+it", "q=%25%25"} {
			if n := len(ids(expect(t, e.request(t, "GET", "/api/v1/appraisals?"+q, reviewer, nil), 200))); n != 0 {
				t.Errorf("%s gives %d, want 0", q, n)
			}
		}
	})
}

func TestWorkflows(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		m := expect(t, e.request(t, "GET", "/api/v1/workflows", hoa, nil), 200)
		if len(m["items"].([]any)) != 2 {
			t.Errorf("workflows %v", m["items"])
		}
		w := expect(t, e.request(t, "GET", "/api/v1/workflows/technology-appraisal", hoa, nil), 200)
		if fmt.Sprint(w["versions"]) != "[1 2]" || fmt.Sprint(w["roles"]) != "[admin applicant appraiser reviewer]" {
			t.Errorf("workflow %v %v", w["versions"], w["roles"])
		}
		dot := e.request(t, "GET", "/api/v1/workflows/technology-appraisal/graph", hoa, nil)
		if dot.status != 200 || !strings.HasPrefix(string(dot.body), "digraph") {
			t.Errorf("DOT: %d %.80s", dot.status, dot.body)
		}
		svg := e.request(t, "GET", "/api/v1/workflows/technology-appraisal/graph", hoa, nil, "Accept", "image/svg+xml")
		if svg.status != 200 || svg.header.Get("Content-Type") != "image/svg+xml" || !bytes.Contains(svg.body, []byte("<svg")) {
			t.Fatalf("SVG: %d %s %.80s", svg.status, svg.header.Get("Content-Type"), svg.body)
		}
		for _, s := range []string{"submitted", "returned", "reviewed", "appraised", "rejected", "withdrawn", "archived"} {
			if !bytes.Contains(svg.body, []byte(s)) {
				t.Errorf("SVG lacks state %s", s)
			}
		}
	})
}

func TestOperationalEndpoints(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		expect(t, e.request(t, "GET", "/healthz", anonymous, nil), 200)
		expect(t, e.request(t, "GET", "/readyz", anonymous, nil), 200)
		id := e.submit(t, hoa)
		expect(t, e.fire(t, id, reviewer, trig("review")), 200)
		r := e.request(t, "GET", "/metrics", anonymous, nil)
		for _, want := range []string{
			`appraisal_transitions_total{to_state="reviewed",trigger="review",workflow="technology-appraisal"} 1`,
			`appraisal_http_requests_total{method="POST",route="/api/v1/appraisals/{id:[0-9]+}/transitions",status="200"} 1`,
		} {
			if !bytes.Contains(r.body, []byte(want)) {
				t.Errorf("metrics lack %s", want)
			}
		}
		doc := e.request(t, "GET", "/api/v1/openapi.json", anonymous, nil)
		if doc.status != 200 || !bytes.Contains(doc.body, []byte(`"openapi"`)) {
			t.Errorf("openapi.json: %d", doc.status)
		}
	})
}
