package db

// Which failures are an outage (503, retry later) rather than a bug (500).
// The end-to-end outage, through a proxy that cuts PostgreSQL off under
// load, is TestPostgresOutage in cmd/appraisal.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

func TestMapErrorUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	unavailable := []error{
		driver.ErrBadConn,
		fmt.Errorf("updating appraisal 7: %w", driver.ErrBadConn),
		sql.ErrConnDone,
		io.EOF,
		io.ErrUnexpectedEOF,
		refused,
		fmt.Errorf("inserting event 2 of appraisal 7: %w", refused),
		&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)},
		os.NewSyscallError("write", syscall.EPIPE),
		&pq.Error{Code: "08006", Message: "connection failure"},
		&pq.Error{Code: "08001", Message: "could not connect"},
		&pq.Error{Code: "57P01", Message: "terminating connection due to administrator command"},
		&pq.Error{Code: "57P02", Message: "terminating connection due to crash of another server process"},
		&pq.Error{Code: "57P03", Message: "the database system is starting up"},
		&pq.Error{Code: "53300", Message: "sorry, too many clients already"},
	}
	for _, cause := range unavailable {
		err := mapError(cause)
		if engine.ErrorCode(err) != engine.EUNAVAILABLE {
			t.Errorf("mapError(%T %v) = %v, code %s, want %s", cause, cause, err, engine.ErrorCode(err), engine.EUNAVAILABLE)
			continue
		}
		if !errors.Is(err, cause) {
			t.Errorf("mapError(%v) lost its cause, which the server logs: %v", cause, err)
		}
		var de *engine.Error
		if errors.As(err, &de); strings.Contains(de.Message, cause.Error()) {
			t.Errorf("the message clients see names the cause %q: %q", cause, de.Message)
		}
		if again := mapError(err); again != err {
			t.Errorf("mapping %v twice changed it to %v", err, again)
		}
	}

	for _, c := range []struct {
		err  error
		want engine.Code
	}{
		{&pq.Error{Code: "23505", Message: "duplicate key"}, engine.ECONFLICT},
		{&pq.Error{Code: "42P01", Message: "relation does not exist"}, engine.EINTERNAL},
		{&pq.Error{Code: "40001", Message: "could not serialize access"}, engine.EINTERNAL},
		{&pq.Error{Code: "22001", Message: "value too long"}, engine.EINTERNAL},
		{sql.ErrNoRows, engine.ENOTFOUND},
		{sql.ErrTxDone, engine.EINTERNAL},
		{context.Canceled, engine.EINTERNAL},
		{errors.New("appraisal 7 changed under its lock"), engine.EINTERNAL},
		{engine.Errorf(engine.EPRECONDITION, "If-Match"), engine.EPRECONDITION},
	} {
		if got := engine.ErrorCode(mapError(c.err)); got != c.want {
			t.Errorf("mapError(%T %v): code %s, want %s", c.err, c.err, got, c.want)
		}
	}
}

// TestStoreUnreachable calls every store method the API uses against a
// PostgreSQL address that refuses connections: each must say EUNAVAILABLE,
// from the errors the real driver returns, never a bare driver error.
func TestStoreUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connecting is refused
	x, err := sqlx.Open("postgres", "postgres://postgres@"+addr+"/appraisal?sslmode=disable&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	d := &DB{DB: x, Engine: Postgres, Now: time.Now}

	ctx := context.Background()
	catalog := workflows.Embedded()
	def, err := catalog.Latest(workflows.TechnologyAppraisal)
	if err != nil {
		t.Fatal(err)
	}
	applicant := engine.Actor{ID: 1, Name: "Công ty Cổ phần Điện tử Hà Nội", Role: engine.RoleApplicant}
	reviewer := engine.Actor{ID: 2, Name: "Trần Thị Bình", Role: engine.RoleReviewer}
	dossier := engine.Dossier{ProjectName: "Nhà máy linh kiện", Investor: "Công ty", Technology: "SMT",
		Stage: engine.StageDecision, ProjectGroup: "B", Ownership: "state", Sector: "C26", CapitalVND: 1}
	calls := map[string]func() error{
		"ActorByTokenHash": func() error { _, err := d.ActorByTokenHash(ctx, engine.HashToken("apr_x")); return err },
		"CreateUser":       func() error { _, err := d.CreateUser(ctx, "An", engine.RoleApplicant, "hash"); return err },
		"CreateAppraisal": func() error {
			_, err := d.CreateAppraisal(ctx, def, workflows.MustCalendar(), "SKHCN", applicant, dossier)
			return err
		},
		"Appraisal":  func() error { _, err := d.Appraisal(ctx, 1); return err },
		"Appraisals": func() error { _, err := d.Appraisals(ctx, engine.ListFilter{Limit: 10}); return err },
		"Transition": func() error {
			_, err := d.Transition(ctx, catalog, engine.TransitionRequest{AppraisalID: 1, Actor: reviewer, Trigger: "review"})
			return err
		},
		"Events": func() error { _, err := d.Events(ctx, 1); return err },
		"Counts": func() error {
			_, err := d.Counts(ctx, engine.CountsQuery{By: "state", Event: engine.EventSubmitted})
			return err
		},
		"Form07":           func() error { _, err := d.Form07(ctx, engine.Period{}); return err },
		"FoldReportDeltas": func() error { _, err := d.FoldReportDeltas(ctx); return err },
		"VerifyChains":     func() error { _, _, err := d.VerifyChains(ctx); return err },
	}
	for name, call := range calls {
		err := call()
		if engine.ErrorCode(err) != engine.EUNAVAILABLE {
			t.Errorf("%s with the database refusing connections: %v (code %s), want %s",
				name, err, engine.ErrorCode(err), engine.EUNAVAILABLE)
		}
	}
}
