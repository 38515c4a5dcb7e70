package main

// Several `appraisal serve` processes on one PostgreSQL database, driven by
// many concurrent clients that race each other on the same appraisals:
// afterwards, read straight from the database, every transition answered
// 2xx has exactly one event, no event lacks its answer, no chain is broken
// and no request was answered 5xx. The same holds when a process is killed
// with SIGKILL under load and restarted.
//
// The default run is short: 5 s of load, then 5 s with 1 crash. The full
// form, 60 s and 60 s with 10 crashes, is
//
//	APPRAISAL_STRESS=60s go test -race -count=1 -v -run TestMultiProcess ./cmd/appraisal/
//
// (APPRAISAL_STRESS_CRASHES=N sets the number of crashes), as
// docs/operations.md says.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

const (
	stressProcesses = 3
	stressClients   = 64
)

// stressConfig is how long the load runs and how many processes are
// killed meanwhile: short by default, the full form with APPRAISAL_STRESS.
func stressConfig(t *testing.T) (time.Duration, int) {
	t.Helper()
	duration, crashes := 5*time.Second, 1
	if v := os.Getenv("APPRAISAL_STRESS"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("APPRAISAL_STRESS=%q: want a duration such as 60s", v)
		}
		duration, crashes = d, 10
	}
	if v := os.Getenv("APPRAISAL_STRESS_CRASHES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			t.Fatalf("APPRAISAL_STRESS_CRASHES=%q: want a number of crashes", v)
		}
		crashes = n
	}
	return duration, crashes
}

// loadUser is one account the load acts as.
type loadUser struct {
	token string
	id    int64
	role  engine.Role
}

// loadUsers adds the accounts the load acts as. In this process, with
// the store `users add` uses: a dozen runs of the binary would each take
// the migration lock, and wait on each other for nothing.
func loadUsers(t *testing.T, dsn string, applicants, reviewers, appraisers, admins int) map[engine.Role][]*loadUser {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	users := map[engine.Role][]*loadUser{}
	for _, g := range []struct {
		role engine.Role
		n    int
	}{{engine.RoleApplicant, applicants}, {engine.RoleReviewer, reviewers}, {engine.RoleAppraiser, appraisers}, {engine.RoleAdmin, admins}} {
		for i := range g.n {
			token, hash := engine.NewToken()
			actor, err := d.CreateUser(ctx, fmt.Sprintf("Tải %s %d", g.role, i+1), g.role, hash)
			if err != nil {
				t.Fatal(err)
			}
			users[g.role] = append(users[g.role], &loadUser{token: token, id: actor.ID, role: g.role})
		}
	}
	return users
}

// loadNames numbers the project names of the loads, so that each creation
// is known by its name, even one whose answer was lost.
var loadNames atomic.Int64

// loadRecord is one request of the load and its answer.
type loadRecord struct {
	op          string // create, read, fire, list, events
	addr        string
	actor       *loadUser
	appraisalID int64  // for create: from the answer
	trigger     string // fire
	projectName string // create
	start, end  time.Time
	status      int // 0: no answer (the connection failed)
	version     int // from a 2xx answer
	code        string
	retryAfter  string
	body        string // kept for answers the checks may quote
	err         string
}

func (r *loadRecord) String() string {
	s := fmt.Sprintf("%s by %s %d to %s", r.op, r.actor.role, r.actor.id, r.addr)
	if r.appraisalID != 0 {
		s += fmt.Sprintf(" appraisal %d", r.appraisalID)
	}
	if r.trigger != "" {
		s += " trigger " + r.trigger
	}
	if r.status == 0 {
		return s + ": no answer: " + r.err
	}
	return fmt.Sprintf("%s: %d %s", s, r.status, r.body)
}

// loadRun drives servers at addrs with concurrent clients and records every
// request. Clients pick a server at random per request, as a load balancer
// would, and race each other on the newest appraisals.
type loadRun struct {
	addrs  []string
	users  map[engine.Role][]*loadUser
	client *http.Client

	mu      sync.Mutex
	created []int64           // appraisals answered 201, oldest first
	state   map[int64]string  // each appraisal's state as last answered
	owned   map[int64][]int64 // applicant id -> their appraisals
	records [][]loadRecord    // per client
	running sync.WaitGroup
}

func newLoadRun(addrs []string, users map[engine.Role][]*loadUser) *loadRun {
	return &loadRun{addrs: addrs, users: users, owned: map[int64][]int64{}, state: map[int64]string{},
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: stressClients * 2, MaxIdleConnsPerHost: stressClients, IdleConnTimeout: time.Minute,
		}}}
}

// start runs n clients until ctx ends; each finishes the request it is in.
// The mix of roles: 3/8 applicants, 5/16 reviewers, 3/16 appraisers, 1/8
// admins; clients of one role share few accounts, so they race as the
// same user too.
func (l *loadRun) start(ctx context.Context, n int) {
	l.records = make([][]loadRecord, n)
	for i := range n {
		var role engine.Role
		switch k := i % 16; {
		case k < 6:
			role = engine.RoleApplicant
		case k < 11:
			role = engine.RoleReviewer
		case k < 14:
			role = engine.RoleAppraiser
		default:
			role = engine.RoleAdmin
		}
		group := l.users[role]
		u := group[i%len(group)]
		l.running.Add(1)
		go func() {
			defer l.running.Done()
			rng := rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))
			for ctx.Err() == nil {
				n := len(l.records[i])
				l.step(rng, u, &l.records[i])
				time.Sleep(backoff(l.records[i][n:]))
			}
		}()
	}
}

// backoff is how long a client waits after a step, as a client should:
// Retry-After after a 503, a moment after no answer (a process is down:
// no use spinning while it restarts), else not at all.
func backoff(step []loadRecord) time.Duration {
	wait := time.Duration(0)
	for _, r := range step {
		switch {
		case r.status == 0:
			wait = max(wait, 20*time.Millisecond)
		case r.retryAfter != "":
			if n, err := strconv.Atoi(r.retryAfter); err == nil {
				wait = max(wait, time.Duration(n)*time.Second)
			}
		}
	}
	return wait
}

// wait waits for the clients and returns every record.
func (l *loadRun) wait() []loadRecord {
	l.running.Wait()
	l.client.CloseIdleConnections()
	var all []loadRecord
	for _, r := range l.records {
		all = append(all, r...)
	}
	return all
}

// step does one thing as u: one to three requests.
func (l *loadRun) step(rng *rand.Rand, u *loadUser, out *[]loadRecord) {
	addr := l.addrs[rng.IntN(len(l.addrs))]
	do := func(r loadRecord, method, path string, body any, ifMatch int) loadRecord {
		r.addr, r.actor = addr, u
		l.send(&r, method, path, body, ifMatch)
		*out = append(*out, r)
		return r
	}
	// fire reads the appraisal, then mostly fires what it permits and
	// otherwise one of the role's triggers, half the time under If-Match.
	fire := func(id int64, own []string, body map[string]string) {
		read := do(loadRecord{op: "read", appraisalID: id}, http.MethodGet, fmt.Sprintf("/api/v1/appraisals/%d", id), nil, 0)
		if read.status != http.StatusOK {
			return
		}
		var a apiAppraisal
		json.Unmarshal([]byte(read.body), &a)
		trigger := own[rng.IntN(len(own))]
		if len(a.PermittedTriggers) > 0 && rng.IntN(4) > 0 {
			trigger = a.PermittedTriggers[rng.IntN(len(a.PermittedTriggers))]
		}
		ifMatch := 0
		if rng.IntN(2) == 0 {
			ifMatch = a.Version
		}
		if body == nil {
			body = map[string]string{}
		}
		body["trigger"] = trigger
		switch trigger {
		case "request_supplement", "reject":
			body["comment"] = "Hồ sơ thiếu bản sao hợp đồng chuyển giao công nghệ"
		case "appraise":
			body["outcome"] = []string{"approved", "approved_with_conditions", "not_approved"}[rng.IntN(3)]
			body["comment"] = "Kết luận của hội đồng thẩm định"
		case "extend":
			body["comment"] = "Cần thêm ý kiến chuyên gia"
			body["due_at"] = extensionDay // after any due date of the run
		}
		do(loadRecord{op: "fire", appraisalID: id, trigger: trigger}, http.MethodPost,
			fmt.Sprintf("/api/v1/appraisals/%d/transitions", id), body, ifMatch)
	}

	switch u.role {
	case engine.RoleApplicant:
		own := l.ownedBy(u.id)
		if len(own) == 0 || rng.IntN(10) < 3 {
			name := fmt.Sprintf("Dự án tải số %d", loadNames.Add(1))
			r := do(loadRecord{op: "create", projectName: name}, http.MethodPost, "/api/v1/appraisals", dossier(name), 0)
			if r.status == http.StatusCreated {
				l.mu.Lock()
				l.created = append(l.created, r.appraisalID)
				l.owned[u.id] = append(l.owned[u.id], r.appraisalID)
				l.mu.Unlock()
			}
			return
		}
		// Mostly one of the newest: the clients sharing this account race on it.
		id := own[len(own)-1-rng.IntN(min(len(own), 3))]
		fire(id, []string{"withdraw", "resubmit"}, nil)
	case engine.RoleReviewer, engine.RoleAppraiser, engine.RoleAdmin:
		id, ok := l.hot(rng, u.role)
		if !ok {
			do(loadRecord{op: "list"}, http.MethodGet, "/api/v1/appraisals?limit=20", nil, 0)
			return
		}
		switch k := rng.IntN(4); {
		case u.role == engine.RoleReviewer:
			fire(id, []string{"review", "request_supplement", "reject", "archive"}, nil)
		case u.role == engine.RoleAppraiser:
			fire(id, []string{"appraise"}, nil)
		case k == 0: // an admin
			do(loadRecord{op: "list"}, http.MethodGet, "/api/v1/appraisals?limit=20&state=submitted", nil, 0)
		case k == 1:
			do(loadRecord{op: "events", appraisalID: id}, http.MethodGet, fmt.Sprintf("/api/v1/appraisals/%d/events", id), nil, 0)
		default:
			fire(id, []string{"archive"}, nil)
		}
	default:
		panic("no load for role " + u.role)
	}
}

func (l *loadRun) ownedBy(applicant int64) []int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.owned[applicant])
}

// actionable are the states in which each staff role has something to fire.
var actionable = map[engine.Role][]string{
	engine.RoleReviewer:  {"submitted", "appraised", "rejected", "withdrawn"},
	engine.RoleAppraiser: {"reviewed"},
	engine.RoleAdmin:     {"appraised", "rejected", "withdrawn"},
}

// hot picks an appraisal among the newest not seen archived, mostly one
// that role can act on as last seen, so staff collide on the work to do.
func (l *loadRun) hot(rng *rand.Rand, role engine.Role) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.created)
	if n == 0 {
		return 0, false
	}
	var open, mine []int64
	for i := n - 1; i >= 0 && len(open) < 48; i-- {
		id := l.created[i]
		if st := l.state[id]; st != "archived" {
			open = append(open, id)
			if slices.Contains(actionable[role], st) {
				mine = append(mine, id)
			}
		}
	}
	switch {
	case len(mine) > 0 && rng.IntN(4) > 0:
		return mine[rng.IntN(len(mine))], true
	case len(open) > 0 && rng.IntN(8) > 0:
		return open[rng.IntN(len(open))], true
	}
	return l.created[rng.IntN(n)], true
}

// send does one request and fills r with its answer.
func (l *loadRun) send(r *loadRecord, method, path string, body any, ifMatch int) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	// No request context: a request is never cut off by the test, only by
	// the server or the network, so an unanswered one is a real unknown.
	req, _ := http.NewRequest(method, "http://"+r.addr+path, rd)
	req.Header.Set("Authorization", "Bearer "+r.actor.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if ifMatch != 0 {
		req.Header.Set("If-Match", strconv.Quote(strconv.Itoa(ifMatch)))
	}
	r.start = time.Now()
	resp, err := l.client.Do(req)
	if err != nil {
		r.end, r.err = time.Now(), err.Error()
		return
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	r.end = time.Now()
	if err != nil {
		r.err = "reading the answer: " + err.Error()
		return
	}
	r.status, r.body, r.retryAfter = resp.StatusCode, string(raw), resp.Header.Get("Retry-After")
	if resp.StatusCode/100 == 2 && (r.op == "create" || r.op == "fire" || r.op == "read") {
		var a apiAppraisal
		if err := json.Unmarshal(raw, &a); err == nil {
			r.version, r.code = a.Version, a.Code
			if r.op == "create" {
				r.appraisalID = a.ID
			}
			l.mu.Lock()
			l.state[a.ID] = a.State
			l.mu.Unlock()
		}
	}
	if r.op != "read" && resp.StatusCode < 300 {
		r.body = "" // only reads need their body kept
	}
}

// loadRules says which answers besides the normal ones a run may get.
type loadRules struct {
	// unanswered allows requests without an answer (a process was killed).
	unanswered bool
	// unavailable allows 503 for requests that overlap [from, to): the
	// database was cut off then.
	unavailableFrom, unavailableTo time.Time
}

// loadTally is what a run did, for the log and the closing notes.
type loadTally struct {
	requests, creations, transitions, conflicts, preconditions, reads int
	unanswered, unavailable, committedUnanswered                      int
	appraisals, events, lost, doubled                                 int
}

func (c loadTally) String() string {
	return fmt.Sprintf("requests %d: creations 201 %d, transitions 200 %d, conflicts 409 %d, 412 %d, reads 200 %d, "+
		"no answer %d, 503 %d (of the unanswered and 503, %d committed); in the database %d appraisals, %d events; lost %d, doubled %d",
		c.requests, c.creations, c.transitions, c.conflicts, c.preconditions, c.reads,
		c.unanswered, c.unavailable, c.committedUnanswered, c.appraisals, c.events, c.lost, c.doubled)
}

// checkLoad compares the records with the database behind dsn: each 2xx
// creation or transition has exactly its event (appraisal id, seq = the
// version answered, trigger, actor); each event has its 2xx, or else a
// extensionDay is a working day some months on, after any due date of a
// load run and within the year an extension may add.
var extensionDay = func() string {
	cal := workflows.MustCalendar()
	d := engine.Day(time.Now().AddDate(0, 4, 0))
	if !cal.IsWorkingDay(d) {
		d = cal.AddWorkingDays(d, 1)
	}
	return d
}()

// request whose outcome the client could not know (no answer, or a 503
// while the database was cut off); codes are unique; `audit verify`
// passes. Answers other than the expected ones fail the test.
func checkLoad(t *testing.T, dsn string, records []loadRecord, rules loadRules) loadTally {
	t.Helper()
	var tally loadTally
	tally.requests = len(records)
	type key struct {
		id  int64
		seq int
	}
	answered := map[key]*loadRecord{}
	var unknown []*loadRecord // may or may not have been committed
	codes := map[string]int64{}
	unexpected := 0
	for i := range records {
		r := &records[i]
		ok := false
		switch {
		case r.status == 0:
			tally.unanswered++
			ok = rules.unanswered
		case r.status == http.StatusServiceUnavailable:
			tally.unavailable++
			ok = !rules.unavailableFrom.IsZero() && r.end.After(rules.unavailableFrom) && r.start.Before(rules.unavailableTo) &&
				r.retryAfter != ""
		case r.op == "create":
			ok = r.status == http.StatusCreated
			tally.creations++
		case r.op == "fire":
			ok = slices.Contains([]int{http.StatusOK, http.StatusConflict, http.StatusPreconditionFailed}, r.status)
			switch r.status {
			case http.StatusOK:
				tally.transitions++
			case http.StatusConflict:
				tally.conflicts++
			case http.StatusPreconditionFailed:
				tally.preconditions++
			}
		default:
			ok = r.status == http.StatusOK
			tally.reads++
		}
		if !ok {
			unexpected++
			if unexpected <= 20 {
				t.Errorf("unexpected answer: %s", r)
			}
			continue
		}
		if r.op != "create" && r.op != "fire" {
			continue
		}
		if r.status == 0 || r.status == http.StatusServiceUnavailable {
			unknown = append(unknown, r)
			continue
		}
		if r.status/100 != 2 {
			continue
		}
		k := key{r.appraisalID, r.version}
		if r.op == "create" {
			k.seq = 1
			if other, dup := codes[r.code]; dup {
				tally.doubled++
				t.Errorf("doubled: code %s answered for appraisals %d and %d", r.code, other, r.appraisalID)
			}
			codes[r.code] = r.appraisalID
		}
		if k.id == 0 || k.seq == 0 {
			t.Errorf("a 2xx answer without id or version: %s", r)
			continue
		}
		if other := answered[k]; other != nil {
			tally.doubled++
			t.Errorf("doubled: appraisal %d version %d answered 2xx twice:\n  %s\n  %s", k.id, k.seq, other, r)
			continue
		}
		answered[k] = r
	}
	if unexpected > 20 {
		t.Errorf("... %d unexpected answers in all", unexpected)
	}

	raw := dbtest.Raw(t, dsn)
	var events []struct {
		AppraisalID int64  `db:"appraisal_id"`
		Seq         int    `db:"seq"`
		Trigger     string `db:"trigger_name"`
		ActorID     int64  `db:"actor_id"`
	}
	if err := raw.Select(&events, `SELECT appraisal_id, seq, trigger_name, actor_id FROM events ORDER BY appraisal_id, seq`); err != nil {
		t.Fatal(err)
	}
	var appraisals []struct {
		ID          int64  `db:"id"`
		Code        string `db:"code"`
		ProjectName string `db:"project_name"`
	}
	if err := raw.Select(&appraisals, `SELECT id, code, project_name FROM appraisals ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	tally.appraisals, tally.events = len(appraisals), len(events)
	nameOf := map[int64]string{}
	stored := map[string]bool{}
	for _, a := range appraisals {
		nameOf[a.ID] = a.ProjectName
		if stored[a.Code] {
			t.Errorf("code %s is stored twice", a.Code)
		}
		stored[a.Code] = true
		if want, ok := codes[a.Code]; ok && want != a.ID {
			t.Errorf("code %s was answered for appraisal %d but is stored for %d", a.Code, want, a.ID)
		}
		if !codePattern.MatchString(a.Code) {
			t.Errorf("appraisal %d: code %q is not UNIT-YYMMDD-NNNN", a.ID, a.Code)
		}
	}

	found := map[key]bool{}
	for _, e := range events {
		k := key{e.AppraisalID, e.Seq}
		found[k] = true
		if r := answered[k]; r != nil {
			want := r.trigger
			if r.op == "create" {
				want = "submit"
			}
			if e.Trigger != want || e.ActorID != r.actor.id {
				tally.lost++ // what was answered is not what is stored
				t.Errorf("appraisal %d event %d is %s by user %d, but %s by user %d was answered 2xx with that version",
					k.id, k.seq, e.Trigger, e.ActorID, want, r.actor.id)
			}
			continue
		}
		// An event nobody was told about: it must be one of the requests
		// whose answer was lost, each accounting for one event at most.
		i := slices.IndexFunc(unknown, func(r *loadRecord) bool {
			if r.actor.id != e.ActorID {
				return false
			}
			if e.Seq == 1 {
				return r.op == "create" && r.projectName == nameOf[e.AppraisalID]
			}
			return r.op == "fire" && r.appraisalID == e.AppraisalID && r.trigger == e.Trigger
		})
		if i < 0 {
			t.Errorf("appraisal %d event %d (%s by user %d) exists, but no request made it was answered 2xx",
				k.id, k.seq, e.Trigger, e.ActorID)
			continue
		}
		unknown = slices.Delete(unknown, i, i+1)
		tally.committedUnanswered++
	}
	for k, r := range answered {
		if !found[k] {
			tally.lost++
			if tally.lost <= 20 {
				t.Errorf("lost: appraisal %d has no event %d, though this was answered 2xx: %s", k.id, k.seq, r)
			}
		}
	}
	if tally.lost > 0 {
		t.Errorf("lost: %d transitions answered 2xx are not in the database", tally.lost)
	}

	res := runBin(t, nil, "audit", "verify", "--db", dsn)
	if want := fmt.Sprintf("ok: %d appraisals", len(appraisals)); res.code != 0 || !strings.Contains(res.stdout, want) {
		t.Errorf("audit verify after the load: want exit 0 and %q\n%s", want, res)
	}
	return tally
}

// startServers starts n processes on dsn at once, as a rolling deploy
// might: the migrations' advisory lock lets one migrate while the others wait.
func startServers(t *testing.T, dsn string, n int) []*testServer {
	t.Helper()
	servers := make([]*testServer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() { servers[i], errs[i] = launchServer(t, dsn, nil) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return servers
}

func addrsOf(servers []*testServer) []string {
	addrs := make([]string, len(servers))
	for i, s := range servers {
		addrs[i] = s.addr
	}
	return addrs
}

// stopAll stops every server still running with SIGTERM: each must exit 0.
func stopAll(t *testing.T, servers []*testServer) {
	t.Helper()
	for _, s := range servers {
		select {
		case <-s.done:
			continue
		default:
		}
		if code, _ := s.stop(t); code != 0 {
			t.Errorf("the server at %s exited with %d after SIGTERM, want 0", s.addr, code)
		}
	}
}

// TestMultiProcess runs the load twice on the same processes and
// database: first undisturbed, where every request must be answered, then
// killing one process with SIGKILL now and then and restarting it. One
// test, not two, so the two loads never run at once: each is 3 processes
// with a pool of db.PostgresPoolSize each, and most of the 2 cores.
func TestMultiProcess(t *testing.T) {
	t.Parallel()
	duration, crashes := stressConfig(t)
	dsn := dbtest.DSN(t, db.Postgres)
	servers := startServers(t, dsn, stressProcesses)
	users := loadUsers(t, dsn, 6, 3, 2, 1)
	var earlier []loadRecord

	t.Run("load", func(t *testing.T) {
		run := newLoadRun(addrsOf(servers), users)
		ctx, cancel := context.WithTimeout(context.Background(), duration)
		defer cancel()
		began := time.Now()
		run.start(ctx, stressClients)
		records := run.wait()
		took := time.Since(began)
		earlier = records

		tally := checkLoad(t, dsn, records, loadRules{})
		if tally.transitions == 0 || tally.conflicts == 0 || tally.creations == 0 {
			t.Errorf("the load did not race: %s", tally)
		}
		t.Logf("%d processes, %d clients, %s: %s; %.0f requests/s",
			stressProcesses, stressClients, took.Round(time.Millisecond), tally, float64(tally.requests)/took.Seconds())
	})

	t.Run("crash", func(t *testing.T) {
		run := newLoadRun(addrsOf(servers), users)
		ctx, cancel := context.WithTimeout(context.Background(), duration)
		defer cancel()
		began := time.Now()
		run.start(ctx, stressClients)
		type crash struct {
			addr        string
			restartedAt time.Time
			down        time.Duration
		}
		var done []crash
		for k := 1; k <= crashes; k++ {
			time.Sleep(time.Until(began.Add(duration * time.Duration(k) / time.Duration(crashes+1))))
			i := k % len(servers)
			victim := servers[i]
			killedAt := time.Now()
			if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				cancel()
				run.wait()
				t.Fatalf("kill -9 the server at %s: %v", victim.addr, err)
			}
			<-victim.done
			// Same address and database, as a supervisor restarts it; again
			// if another socket took the port meanwhile, as may happen.
			restarted, err := launchServer(t, dsn, nil, "--addr", victim.addr)
			for try := 1; err != nil && strings.Contains(err.Error(), "address already in use") && try < 5; try++ {
				time.Sleep(500 * time.Millisecond)
				restarted, err = launchServer(t, dsn, nil, "--addr", victim.addr)
			}
			if err != nil {
				cancel()
				run.wait()
				t.Fatalf("restarting the server at %s: %v", victim.addr, err)
			}
			servers[i] = restarted
			done = append(done, crash{victim.addr, time.Now(), time.Since(killedAt)})
		}
		records := run.wait()
		took := time.Since(began)

		// The database holds both loads: check them together.
		tally := checkLoad(t, dsn, append(slices.Clip(earlier), records...), loadRules{unanswered: true})
		for _, c := range done {
			served := slices.ContainsFunc(records, func(r loadRecord) bool {
				return r.addr == c.addr && r.start.After(c.restartedAt) && r.status/100 == 2
			})
			if !served && c.restartedAt.Before(began.Add(duration-time.Second)) {
				t.Errorf("the server restarted at %s answered no request 2xx afterwards", c.addr)
			}
			t.Logf("kill -9 of the server at %s: restarted and answering after %s", c.addr, c.down.Round(time.Millisecond))
		}
		t.Logf("%d processes, %d clients, %s, %d kill -9 (both loads counted): %s; %.0f requests/s in this load",
			stressProcesses, stressClients, took.Round(time.Millisecond), crashes, tally, float64(len(records))/took.Seconds())
	})

	stopAll(t, servers)
}
