package main

// PostgreSQL going away under load: the server answers 503 with
// Retry-After (never 500) while it cannot reach the database, /readyz says
// so, and it recovers by itself when the database is back, with nothing
// half-written. The machine's PostgreSQL is shared with other tests, so
// the outage is made by a TCP proxy between the server and PostgreSQL.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// pgProxy forwards TCP connections to PostgreSQL until cut.
type pgProxy struct {
	target string
	addr   string // the same before and after an outage

	mu    sync.Mutex
	ln    net.Listener // nil while cut
	conns map[net.Conn]bool
}

func startPGProxy(t *testing.T, target string) *pgProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &pgProxy{target: target, addr: ln.Addr().String(), conns: map[net.Conn]bool{}}
	p.serve(ln)
	t.Cleanup(func() { p.cut() })
	return p
}

func (p *pgProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return // closed by cut
			}
			go p.pipe(client)
		}
	}()
}

func (p *pgProxy) pipe(client net.Conn) {
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut between Accept and here
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = true, true
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(server, client); done <- struct{}{} }()
	go func() { io.Copy(client, server); done <- struct{}{} }()
	<-done
	client.Close()
	server.Close()
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

// cut drops every connection and refuses new ones, as when PostgreSQL
// stops or the network to it fails; it returns how many it dropped.
func (p *pgProxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	n := len(p.conns) / 2
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
	return n
}

// restore accepts connections again, on the same address.
func (p *pgProxy) restore(t *testing.T) {
	t.Helper()
	ln, err := net.Listen("tcp", p.addr)
	for try := 1; err != nil && try < 5; try++ { // another socket may hold the port a moment
		time.Sleep(500 * time.Millisecond)
		ln, err = net.Listen("tcp", p.addr)
	}
	if err != nil {
		t.Fatalf("listening again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// checkUnavailable fails t unless the answer is the 503 problem document
// with Retry-After.
func checkUnavailable(t *testing.T, what string, status int, h http.Header, body []byte) {
	t.Helper()
	if status != http.StatusServiceUnavailable {
		t.Errorf("%s during the outage: status %d, want 503: %s", what, status, body)
		return
	}
	var p struct {
		Type      string `json:"type"`
		Title     string `json:"title"`
		Status    int    `json:"status"`
		Detail    string `json:"detail"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Errorf("%s: the 503 is not JSON: %v: %s", what, err, body)
	}
	if ct := h.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: 503 Content-Type %q, want application/problem+json", what, ct)
	}
	if p.Type != "urn:appraisal:problem:service-unavailable" || p.Status != 503 || p.Title != "Service Unavailable" ||
		p.Detail == "" || p.RequestID == "" || p.RequestID != h.Get("X-Request-Id") {
		t.Errorf("%s: the 503 problem document %s (X-Request-Id %q)", what, body, h.Get("X-Request-Id"))
	}
	if strings.Contains(p.Detail, "127.0.0.1") || strings.Contains(p.Detail, "dial") {
		t.Errorf("%s: the 503 tells the client the cause: %q", what, p.Detail)
	}
	if h.Get("Retry-After") != "1" {
		t.Errorf("%s: 503 with Retry-After %q, want 1", what, h.Get("Retry-After"))
	}
}

func TestPostgresOutage(t *testing.T) {
	t.Parallel()
	dsn := dbtest.DSN(t, db.Postgres)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := startPGProxy(t, u.Host)
	proxied := *u
	proxied.Host = proxy.addr
	users := loadUsers(t, dsn, 2, 1, 1, 1)
	s := startServer(t, proxied.String(), nil)
	applicant, reviewer := users["applicant"][0], users["reviewer"][0]
	a := s.submit(t, applicant.token, "Nhà máy trước sự cố")
	// This test's own writes, besides the load's, for checkLoad.
	own := []loadRecord{{op: "create", actor: applicant, appraisalID: a.ID, version: a.Version, code: a.Code, status: http.StatusCreated}}

	// A load through the whole outage, on one process with its pool full.
	const clients = 16
	run := newLoadRun([]string{s.addr}, users)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run.start(ctx, clients)
	time.Sleep(time.Second)

	const outage = 3 * time.Second
	cutAt := time.Now()
	dropped := proxy.cut()
	probes := 0
	for time.Since(cutAt) < outage {
		status, h, body := s.call(t, http.MethodGet, "/readyz", "", nil)
		checkUnavailable(t, "/readyz", status, h, body)
		if status, _, body := s.call(t, http.MethodGet, "/healthz", "", nil); status != http.StatusOK {
			t.Errorf("/healthz during the outage: %d, want 200 (the process is alive): %s", status, body)
		}
		status, h, body = s.call(t, http.MethodGet, fmt.Sprintf("/api/v1/appraisals/%d", a.ID), applicant.token, nil)
		checkUnavailable(t, "GET an appraisal", status, h, body)
		status, h, body = s.call(t, http.MethodPost, fmt.Sprintf("/api/v1/appraisals/%d/transitions", a.ID),
			reviewer.token, map[string]string{"trigger": "review"})
		checkUnavailable(t, "a transition", status, h, body)
		status, h, body = s.call(t, http.MethodPost, "/api/v1/appraisals", applicant.token, dossier("Nhà máy trong sự cố"))
		checkUnavailable(t, "a submission", status, h, body)
		status, h, body = s.call(t, http.MethodGet, "/api/v1/reports/counts?by=state", reviewer.token, nil)
		checkUnavailable(t, "a report", status, h, body)
		probes++
		time.Sleep(200 * time.Millisecond)
	}

	restoredAt := time.Now()
	proxy.restore(t)
	var recoveredAt time.Time
	for deadline := time.Now().Add(20 * time.Second); recoveredAt.IsZero(); {
		status, _, _ := s.call(t, http.MethodGet, "/readyz", "", nil)
		switch {
		case status == http.StatusOK:
			recoveredAt = time.Now()
		case time.Now().After(deadline):
			t.Fatalf("/readyz still %d 20 s after the database came back", status)
		default:
			time.Sleep(20 * time.Millisecond)
		}
	}
	// Everything works again in the same process: the appraisal probed
	// during the outage is where it was, and moves on.
	var got apiAppraisal
	s.mustCall(t, http.StatusOK, http.MethodGet, fmt.Sprintf("/api/v1/appraisals/%d", a.ID), applicant.token, nil, &got)
	if got.State != "submitted" || got.Version != 1 {
		t.Errorf("the appraisal whose transitions were answered 503 is %s at version %d, want submitted at 1", got.State, got.Version)
	}
	b := s.fire(t, reviewer.token, a.ID, map[string]string{"trigger": "review"})
	if b.State != "reviewed" || b.Version != 2 {
		t.Errorf("review after the outage: %+v", b)
	}
	c := s.submit(t, applicant.token, "Nhà máy sau sự cố")
	if !codePattern.MatchString(c.Code) {
		t.Errorf("submission after the outage: %+v", c)
	}
	own = append(own,
		loadRecord{op: "fire", actor: reviewer, appraisalID: a.ID, trigger: "review", version: b.Version, status: http.StatusOK},
		loadRecord{op: "create", actor: applicant, appraisalID: c.ID, version: c.Version, code: c.Code, status: http.StatusCreated})
	time.Sleep(2 * time.Second) // the load goes on after the recovery, past its clients' Retry-After
	cancel()
	records := run.wait()
	select {
	case <-s.done:
		t.Fatalf("the server exited (%d) during the outage", s.exitCode)
	default:
	}

	// 503 only for requests under way while the database was away; after
	// /readyz said ready, none.
	tally := checkLoad(t, dsn, append(records, own...), loadRules{unavailableFrom: cutAt, unavailableTo: recoveredAt})
	during, after := 0, 0
	for _, r := range records {
		switch {
		case r.status == http.StatusServiceUnavailable:
			during++
		case r.start.After(recoveredAt) && r.status/100 == 2:
			after++
		}
	}
	if during == 0 || after == 0 {
		t.Errorf("the load got %d answers 503 during the outage and %d 2xx after it; want some of each", during, after)
	}
	t.Logf("outage of %s (%d connections cut, %d probe rounds all 503); ready again %s after the database came back; load of %d clients: %s",
		outage, dropped, probes, recoveredAt.Sub(restoredAt).Round(time.Millisecond), clients, tally)
}
