package main

// These tests build the real binary once and run it as a subprocess, the
// way an operator does: serve, users add, migrate, audit verify, and the
// README's walk-through.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
)

// binPath is the binary built by TestMain.
var binPath string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "appraisal-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "appraisal")
	args := []string{"build", "-o", binPath}
	if raceEnabled() {
		// Under go test -race the server is built with the race detector
		// too, so a race in a request handler fails the test that caused it.
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the binary:", err)
		return 1
	}
	return m.Run()
}

func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

const raceReport = "WARNING: DATA RACE"

// checkNoRace fails t if a race-enabled binary reported a race in output.
func checkNoRace(t *testing.T, what, output string) {
	t.Helper()
	if strings.Contains(output, raceReport) {
		t.Errorf("%s: the race detector reported a data race:\n%s", what, output)
	}
}

// eachEngine runs fn as parallel subtests named sqlite and postgres.
func eachEngine(t *testing.T, fn func(t *testing.T, e db.Engine)) {
	t.Helper()
	for _, e := range dbtest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

// binEnv is the environment without the product's own variables, plus extra.
func binEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "APPRAISAL_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

type binResult struct {
	stdout, stderr string
	code           int
}

func (r binResult) String() string {
	return fmt.Sprintf("exit %d\n--- stdout\n%s--- stderr\n%s", r.code, r.stdout, r.stderr)
}

// runBin runs the binary to completion in a temporary folder.
func runBin(t *testing.T, env []string, args ...string) binResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = binEnv(env...)
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := binResult{stdout: stdout.String(), stderr: stderr.String()}
	checkNoRace(t, "appraisal "+strings.Join(args, " "), r.stderr)
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			t.Fatalf("appraisal %s: %v", strings.Join(args, " "), err)
		}
		r.code = exitErr.ExitCode()
	}
	return r
}

var tokenLine = regexp.MustCompile(`^apr_[A-Za-z0-9_-]{43}\n$`)

// addUser runs `users add` and returns the token.
func addUser(t *testing.T, dsn, name, role string) string {
	t.Helper()
	r := runBin(t, nil, "users", "add", "--db", dsn, "--name", name, "--role", role)
	if r.code != 0 || !tokenLine.MatchString(r.stdout) {
		t.Fatalf("users add --role %s: want exit 0 and a token line\n%s", role, r)
	}
	return strings.TrimSuffix(r.stdout, "\n")
}

// logBuffer keeps a server's output and reports the address it listens on.
type logBuffer struct {
	mu        sync.Mutex
	all       bytes.Buffer
	partial   []byte
	listening chan string
	seen      bool
}

var listeningLine = regexp.MustCompile(`msg=listening addr=(127\.0\.0\.1:\d+)`)

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all.Write(p)
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		line := l.partial[:i]
		if m := listeningLine.FindSubmatch(line); m != nil && !l.seen {
			l.seen = true
			l.listening <- string(m[1])
		}
		l.partial = l.partial[i+1:]
	}
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all.String()
}

// testServer is one `appraisal serve` process.
type testServer struct {
	cmd      *exec.Cmd
	addr     string
	logs     *logBuffer
	done     chan struct{}
	exitCode int // valid once done is closed
}

// startServer runs `serve --addr 127.0.0.1:0 --db dsn` and returns once it
// listens and answers /healthz. It is killed after the test if still up.
func startServer(t *testing.T, dsn string, env []string, args ...string) *testServer {
	t.Helper()
	s, err := launchServer(t, dsn, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func launchServer(t *testing.T, dsn string, env []string, args ...string) (*testServer, error) {
	logs := &logBuffer{listening: make(chan string, 1)}
	cmd := exec.Command(binPath, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, args...)...)
	cmd.Env = binEnv(env...)
	cmd.Dir = t.TempDir()
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &testServer{cmd: cmd, logs: logs, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		var exitErr *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exitErr):
			s.exitCode = exitErr.ExitCode()
		default:
			s.exitCode = -1
		}
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			cmd.Process.Kill()
			<-s.done
		}
		checkNoRace(t, "serve at "+s.addr, logs.String())
		if t.Failed() {
			t.Logf("log of the server at %s:\n%s", s.addr, logs)
		}
	})
	select {
	case s.addr = <-logs.listening:
	case <-s.done:
		return nil, fmt.Errorf("serve exited with %d before listening:\n%s", s.exitCode, logs)
	case <-time.After(time.Minute):
		return nil, fmt.Errorf("serve did not log msg=listening within a minute:\n%s", logs)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := httpClient.Get(s.url("/healthz"))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("/healthz at %s not OK within 20 s (%v)", s.addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *testServer) url(path string) string { return "http://" + s.addr + path }

// stop sends SIGTERM and returns the exit code and everything logged.
func (s *testServer) stop(t *testing.T) (int, string) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("serve did not exit within 30 s of SIGTERM:\n%s", s.logs)
	}
	return s.exitCode, s.logs.String()
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

// call sends a JSON request (body nil, a string, or a value to marshal).
func (s *testServer) call(t *testing.T, method, path, token string, body any) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.url(path), rd)
	if err != nil {
		t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, raw
}

// mustCall is call that expects status want and decodes the body into out.
func (s *testServer) mustCall(t *testing.T, want int, method, path, token string, body, out any) http.Header {
	t.Helper()
	status, h, raw := s.call(t, method, path, token, body)
	if status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, path, status, want, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decoding %s: %v", method, path, raw, err)
		}
	}
	return h
}

type apiAppraisal struct {
	ID                int64     `json:"id"`
	Code              string    `json:"code"`
	State             string    `json:"state"`
	Version           int       `json:"version"`
	ProjectName       string    `json:"project_name"`
	Investor          string    `json:"investor"`
	Outcome           *string   `json:"outcome"`
	SubmittedAt       time.Time `json:"submitted_at"`
	PermittedTriggers []string  `json:"permitted_triggers"`
}

type apiEvent struct {
	Seq       int     `json:"seq"`
	Trigger   string  `json:"trigger"`
	FromState *string `json:"from_state"`
	ToState   string  `json:"to_state"`
	Comment   *string `json:"comment"`
	Outcome   *string `json:"outcome"`
	PrevHash  string  `json:"prev_hash"`
	Hash      string  `json:"hash"`
	Actor     struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Role string `json:"role"`
	} `json:"actor"`
}

func dossier(projectName string) map[string]any {
	return map[string]any{
		"project_name":  projectName,
		"investor":      "Công ty Cổ phần Điện tử Hà Nội",
		"technology":    "Dây chuyền lắp ráp bo mạch điện tử tự động",
		"stage":         "decision",
		"project_group": "B",
		"ownership":     "state",
		"sector":        "C26",
		"capital_vnd":   120000000000,
	}
}

func (s *testServer) submit(t *testing.T, token, projectName string) apiAppraisal {
	t.Helper()
	var a apiAppraisal
	s.mustCall(t, http.StatusCreated, http.MethodPost, "/api/v1/appraisals", token, dossier(projectName), &a)
	return a
}

func (s *testServer) fire(t *testing.T, token string, id int64, body map[string]string) apiAppraisal {
	t.Helper()
	var a apiAppraisal
	s.mustCall(t, http.StatusOK, http.MethodPost, fmt.Sprintf("/api/v1/appraisals/%d/transitions", id), token, body, &a)
	return a
}

func (s *testServer) events(t *testing.T, token string, id int64) []apiEvent {
	t.Helper()
	var list struct {
		Items []apiEvent `json:"items"`
	}
	s.mustCall(t, http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/appraisals/%d/events", id), token, nil, &list)
	return list.Items
}

var codePattern = regexp.MustCompile(`^([A-Z0-9]{2,20})-(\d{6})-(\d{4,})$`)

func TestUsersAdd(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		r := runBin(t, nil, "users", "add", "--db", dsn, "--name", "Nguyễn Văn An", "--role", "applicant")
		if r.code != 0 {
			t.Fatalf("users add: %s", r)
		}
		if !tokenLine.MatchString(r.stdout) {
			t.Errorf("stdout is not the token alone on one line: %q", r.stdout)
		}
		if !strings.Contains(r.stderr, "msg=migrated") {
			t.Errorf("the migration log should go to stderr; stderr:\n%s", r.stderr)
		}
		second := addUser(t, dsn, "Trần Thị Bình", "reviewer")
		if second+"\n" == r.stdout {
			t.Error("two users got the same token")
		}

		for _, args := range [][]string{
			{"--name", "X", "--role", "boss"},
			{"--name", "X", "--role", "Applicant"},
			{"--name", "X"},
			{"--role", "applicant"},
		} {
			r := runBin(t, nil, append([]string{"users", "add", "--db", dsn}, args...)...)
			if r.code == 0 {
				t.Errorf("users add %v: exit 0, want non-zero\n%s", args, r)
			}
			if r.stdout != "" {
				t.Errorf("users add %v: a failure printed on stdout: %q", args, r.stdout)
			}
		}
		if r := runBin(t, nil, "users", "add", "--db", dsn, "--name", "X", "--role", "boss"); !strings.Contains(r.stderr, "role") {
			t.Errorf("a bad role should be named on stderr:\n%s", r)
		}
	})
}

func TestRestartKeepsEverything(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		first := startServer(t, dsn, nil)
		applicant := addUser(t, dsn, "Công ty TNHH Công nghệ Sông Hồng", "applicant")
		reviewer := addUser(t, dsn, "Trần Thị Bình", "reviewer")
		appraiser := addUser(t, dsn, "Lê Văn Cường", "appraiser")

		a := first.submit(t, applicant, "Nhà máy sản xuất linh kiện bán dẫn Hòa Lạc")
		if a.State != "submitted" || a.Version != 1 || !codePattern.MatchString(a.Code) {
			t.Fatalf("after submit: %+v", a)
		}
		a = first.fire(t, reviewer, a.ID, map[string]string{"trigger": "review"})
		if a.State != "reviewed" || a.Version != 2 {
			t.Fatalf("after review: %+v", a)
		}
		before := first.events(t, reviewer, a.ID)

		code, logs := first.stop(t)
		if code != 0 {
			t.Fatalf("serve exited with %d after SIGTERM, want 0:\n%s", code, logs)
		}
		if !strings.Contains(logs, "msg=stopped") {
			t.Errorf("no msg=stopped in the log of a graceful shutdown:\n%s", logs)
		}
		if _, err := httpClient.Get(first.url("/healthz")); err == nil {
			t.Error("the stopped server still answers")
		}

		second := startServer(t, dsn, nil)
		var got apiAppraisal
		h := second.mustCall(t, http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/appraisals/%d", a.ID), applicant, nil, &got)
		if got.ID != a.ID || got.Code != a.Code || got.State != "reviewed" || got.Version != 2 ||
			got.ProjectName != "Nhà máy sản xuất linh kiện bán dẫn Hòa Lạc" {
			t.Errorf("after restart: %+v, want %+v", got, a)
		}
		if h.Get("ETag") != `"2"` {
			t.Errorf("ETag after restart %q, want \"2\"", h.Get("ETag"))
		}
		after := second.events(t, applicant, a.ID)
		if !reflect.DeepEqual(after, before) {
			t.Errorf("events after restart:\n%+v\nwant\n%+v", after, before)
		}
		if len(after) != 2 || after[0].Trigger != "submit" || after[1].Trigger != "review" ||
			after[1].PrevHash != after[0].Hash {
			t.Errorf("events: %+v", after)
		}

		a = second.fire(t, appraiser, a.ID, map[string]string{"trigger": "appraise", "outcome": "approved_with_conditions",
			"comment": "Đạt, với điều kiện bổ sung phương án xử lý chất thải"})
		if a.State != "appraised" || a.Version != 3 || a.Outcome == nil || *a.Outcome != "approved_with_conditions" {
			t.Fatalf("appraise after restart: %+v", a)
		}
		a = second.fire(t, reviewer, a.ID, map[string]string{"trigger": "archive"})
		if a.State != "archived" || a.Version != 4 {
			t.Fatalf("archive after restart: %+v", a)
		}
		if n := len(second.events(t, applicant, a.ID)); n != 4 {
			t.Errorf("%d events, want 4", n)
		}
		if r := runBin(t, nil, "audit", "verify", "--db", dsn); r.code != 0 || !strings.Contains(r.stdout, "ok: 1 appraisals") {
			t.Errorf("audit verify after restart:\n%s", r)
		}
	})
}

func TestAuditVerifyFindsTampering(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		s := startServer(t, dsn, nil)
		applicant := addUser(t, dsn, "Công ty Cổ phần Thép Đông Anh", "applicant")
		reviewer := addUser(t, dsn, "Trần Thị Bình", "reviewer")
		returned := s.submit(t, applicant, "Dây chuyền cán thép")
		returned = s.fire(t, reviewer, returned.ID, map[string]string{"trigger": "request_supplement",
			"comment": "Thiếu bản sao hợp đồng chuyển giao công nghệ"})
		reviewed := s.submit(t, applicant, "Nhà máy xử lý nước thải")
		reviewed = s.fire(t, reviewer, reviewed.ID, map[string]string{"trigger": "review"})
		if code, logs := s.stop(t); code != 0 {
			t.Fatalf("serve exited with %d:\n%s", code, logs)
		}

		r := runBin(t, nil, "audit", "verify", "--db", dsn)
		if r.code != 0 || !strings.Contains(r.stdout, "ok: 2 appraisals") {
			t.Fatalf("audit verify on an intact database:\n%s", r)
		}

		raw := dbtest.Raw(t, dsn)
		update := raw.Rebind(`UPDATE events SET comment = ? WHERE appraisal_id = ? AND seq = 2`)
		if _, err := raw.Exec(update, "Hồ sơ đầy đủ", returned.ID); err == nil {
			t.Fatal("the database let an event be updated")
		} else if !strings.Contains(err.Error(), "append-only") {
			t.Errorf("refused update: %v, want the append-only trigger's message", err)
		}
		if e == db.SQLite {
			_, err := raw.Exec(`DROP TRIGGER events_no_update`)
			if err != nil {
				t.Fatal(err)
			}
		} else {
			if _, err := raw.Exec(`ALTER TABLE events DISABLE TRIGGER events_append_only`); err != nil {
				t.Fatal(err)
			}
		}
		if res, err := raw.Exec(update, "Hồ sơ đầy đủ", returned.ID); err != nil {
			t.Fatal(err)
		} else if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("tampering updated %d events, want 1", n)
		}

		eventBroken := fmt.Sprintf("appraisal %d (%s), event 2", returned.ID, returned.Code)
		r = runBin(t, nil, "audit", "verify", "--db", dsn)
		out := r.stdout + r.stderr
		if r.code == 0 || !strings.Contains(out, eventBroken) {
			t.Fatalf("audit verify after an event's comment changed: want non-zero naming %q\n%s", eventBroken, r)
		}
		if strings.Contains(out, fmt.Sprintf("appraisal %d ", reviewed.ID)) {
			t.Errorf("audit verify names the intact appraisal %d:\n%s", reviewed.ID, r)
		}

		if _, err := raw.Exec(raw.Rebind(`UPDATE appraisals SET project_name = ? WHERE id = ?`),
			"Nhà máy xử lý nước thải (mở rộng)", reviewed.ID); err != nil {
			t.Fatal(err)
		}
		dossierBroken := fmt.Sprintf("appraisal %d (%s), event 1", reviewed.ID, reviewed.Code)
		r = runBin(t, nil, "audit", "verify", "--db", dsn)
		out = r.stdout + r.stderr
		if r.code == 0 || !strings.Contains(out, dossierBroken) || !strings.Contains(out, eventBroken) {
			t.Fatalf("audit verify after a dossier field changed: want non-zero naming %q and %q\n%s", dossierBroken, eventBroken, r)
		}
		t.Logf("audit verify on the tampered database:\n%s", r)
	})
}

func TestAuditVerifyNeedsMigrate(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		r := runBin(t, nil, "audit", "verify", "--db", dsn)
		if r.code == 0 || !strings.Contains(r.stderr, "appraisal migrate") {
			t.Errorf("audit verify on a database never migrated: want non-zero, telling to run `appraisal migrate`\n%s", r)
		}
		if r := runBin(t, nil, "migrate", "--db", dsn); r.code != 0 || r.stdout != "" {
			t.Fatalf("migrate: want exit 0 and nothing on stdout\n%s", r)
		}
		if r := runBin(t, nil, "migrate", "--db", dsn); r.code != 0 {
			t.Fatalf("migrate again: %s", r)
		}
		if r := runBin(t, nil, "audit", "verify", "--db", dsn); r.code != 0 || !strings.Contains(r.stdout, "ok: 0 appraisals") {
			t.Errorf("audit verify after migrate:\n%s", r)
		}
	})
}

func TestServeUnitCode(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		for _, c := range []struct {
			env  []string
			args []string
		}{
			{args: []string{"--unit-code", "bad-code"}},
			{args: []string{"--unit-code", ""}},
			{env: []string{"APPRAISAL_UNIT_CODE=bad-code"}},
		} {
			r := runBin(t, c.env, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, c.args...)...)
			if r.code == 0 {
				t.Errorf("serve %v %v: exit 0, want non-zero", c.env, c.args)
			}
			if strings.Contains(r.stderr, "msg=listening") || !strings.Contains(r.stderr, "unit") {
				t.Errorf("serve %v %v: want an error naming the unit code, before listening\n%s", c.env, c.args, r)
			}
		}

		s := startServer(t, dsn, []string{"APPRAISAL_UNIT_CODE=HNDOST"})
		applicant := addUser(t, dsn, "Công ty Cổ phần Dược phẩm Thăng Long", "applicant")
		a := s.submit(t, applicant, "Nhà máy dược phẩm")
		if !strings.HasPrefix(a.Code, "HNDOST-") || !codePattern.MatchString(a.Code) {
			t.Errorf("code %q with APPRAISAL_UNIT_CODE=HNDOST", a.Code)
		}
		// The flag wins over the environment.
		s2 := startServer(t, dsn, []string{"APPRAISAL_UNIT_CODE=HNDOST"}, "--unit-code", "SKHCNHN")
		if b := s2.submit(t, applicant, "Nhà máy dược phẩm 2"); !strings.HasPrefix(b.Code, "SKHCNHN-") {
			t.Errorf("code %q with --unit-code SKHCNHN", b.Code)
		}
	})
}

func TestDossierCodesAcrossProcesses(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		if e == db.SQLite {
			// SQLite has no migration lock between processes: migrate first.
			if r := runBin(t, nil, "migrate", "--db", dsn); r.code != 0 {
				t.Fatal(r)
			}
		}
		// Two processes start at once on the same (on PostgreSQL: fresh) schema.
		servers := make([]*testServer, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				servers[i], errs[i] = launchServer(t, dsn, nil)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		applicant := addUser(t, dsn, "Công ty Cổ phần Cơ khí Gia Lâm", "applicant")

		const n = 40
		type outcome struct {
			status int
			body   []byte
		}
		results := make([]outcome, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				s := servers[i%2]
				raw, _ := json.Marshal(dossier(fmt.Sprintf("Dự án số %d", i+1)))
				req, _ := http.NewRequest(http.MethodPost, s.url("/api/v1/appraisals"), bytes.NewReader(raw))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+applicant)
				resp, err := httpClient.Do(req)
				if err != nil {
					results[i] = outcome{body: []byte(err.Error())}
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				results[i] = outcome{resp.StatusCode, body}
			}()
		}
		// Searches run beside the submissions, on both processes.
		searches := make([]outcome, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req, _ := http.NewRequest(http.MethodGet, servers[i%2].url("/api/v1/appraisals?q=D%E1%BB%B1+%C3%A1n"), nil)
				req.Header.Set("Authorization", "Bearer "+applicant)
				resp, err := httpClient.Do(req)
				if err != nil {
					searches[i] = outcome{body: []byte(err.Error())}
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				searches[i] = outcome{resp.StatusCode, body}
			}()
		}
		close(start)
		wg.Wait()
		for i, r := range searches {
			if r.status != http.StatusOK {
				t.Errorf("search %d beside the submissions: status %d: %s", i+1, r.status, r.body)
			}
		}

		seen := map[string]bool{}
		perDay := map[string][]int{}
		for i, r := range results {
			if r.status != http.StatusCreated {
				t.Errorf("submission %d: status %d: %s", i+1, r.status, r.body)
				continue
			}
			var a apiAppraisal
			if err := json.Unmarshal(r.body, &a); err != nil {
				t.Fatal(err)
			}
			m := codePattern.FindStringSubmatch(a.Code)
			if m == nil || m[1] != "SKHCN" {
				t.Errorf("code %q is not SKHCN-YYMMDD-NNNN", a.Code)
				continue
			}
			if day := a.SubmittedAt.In(engine.VietnamTime).Format("060102"); m[2] != day {
				t.Errorf("code %q: day %s, but submitted on %s (Vietnam time)", a.Code, m[2], day)
			}
			if seen[a.Code] {
				t.Errorf("code %q given twice", a.Code)
			}
			seen[a.Code] = true
			seq, _ := strconv.Atoi(m[3])
			perDay[m[2]] = append(perDay[m[2]], seq)
		}
		if t.Failed() {
			return
		}
		// One day's sequence is 1..n without gaps; a run across midnight
		// (Vietnam time) starts a second day at 1.
		total := 0
		for day, seqs := range perDay {
			sort.Ints(seqs)
			for i, seq := range seqs {
				if seq != i+1 {
					t.Errorf("day %s: sequences %v, want 1..%d", day, seqs, len(seqs))
					break
				}
			}
			total += len(seqs)
		}
		if total != n || len(seen) != n {
			t.Errorf("%d codes, %d distinct, want %d", total, len(seen), n)
		}
		var found struct {
			Items []apiAppraisal `json:"items"`
		}
		servers[1].mustCall(t, http.StatusOK, http.MethodGet, "/api/v1/appraisals?q=du+an+so+17", applicant, nil, &found)
		if len(found.Items) != 1 || found.Items[0].ProjectName != "Dự án số 17" {
			t.Errorf("search for \"du an so 17\": %+v, want the one dossier \"Dự án số 17\"", found.Items)
		}
		if r := runBin(t, nil, "audit", "verify", "--db", dsn); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("ok: %d appraisals", n)) {
			t.Errorf("audit verify: %s", r)
		}
	})
}

// walkthrough returns the ```sh block after the <!-- walkthrough --> line.
func walkthrough(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(readme))
	const (
		before = iota
		marked
		inBlock
	)
	state := before
	var block strings.Builder
	for sc.Scan() {
		line := sc.Text()
		switch state {
		case before:
			if strings.TrimSpace(line) == "<!-- walkthrough -->" {
				state = marked
			}
		case marked:
			if strings.TrimSpace(line) == "```sh" {
				state = inBlock
			}
		case inBlock:
			if strings.TrimSpace(line) == "```" {
				return block.String()
			}
			block.WriteString(line + "\n")
		}
	}
	t.Fatalf("README.md has no ```sh block closed after a line <!-- walkthrough --> (reached state %d)", state)
	return ""
}

func mustFreeAddr(t *testing.T) string {
	t.Helper()
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestReadmeWalkthrough(t *testing.T) {
	t.Parallel()
	script := walkthrough(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("the walk-through needs curl")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "walkthrough.sh")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", path)
	cmd.Dir = dir
	cmd.Env = binEnv("PATH="+filepath.Dir(binPath)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"APPRAISAL_ADDR="+mustFreeAddr(t))
	// Its own process group, so a server it left behind on failure is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever is left of the group
	t.Logf("walk-through stdout:\n%s", stdout.String())
	t.Logf("walk-through stderr:\n%s", stderr.String())
	checkNoRace(t, "the walk-through", stderr.String())
	if err != nil {
		t.Fatalf("the walk-through failed: %v", err)
	}
	if out := strings.TrimSpace(stdout.String()); !strings.HasSuffix(out, "archived") {
		t.Errorf("the walk-through's output does not end with the archived state")
	}
	for _, want := range []string{"ok: 1 appraisals", `"state":"returned"`, `"outcome":"approved_with_conditions"`,
		"Thiết bị", `"trigger":"archive"`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the walk-through's output lacks %s", want)
		}
	}
}
