package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// TestCalendarCommands: days added by `calendar add` are listed, counted
// by a running server once it reloads, and a day that contradicts the
// calendar is refused, all or none.
func TestCalendarCommands(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		if r := runBin(t, nil, "--db", dsn, "calendar", "add", "2027-02-08", "2027-02-09", "--name", "Tết Nguyên đán"); r.code != 0 {
			t.Fatalf("calendar add: %s", r)
		}
		if r := runBin(t, nil, "--db", dsn, "calendar", "add", "2027-02-20", "--working", "--name", "Làm bù"); r.code != 0 {
			t.Fatalf("calendar add --working: %s", r)
		}
		// A Monday cannot be a working weekend, and a shipped holiday cannot
		// get another name: neither is stored, nor the good day beside it.
		for _, args := range [][]string{
			{"2027-02-22", "--working", "--name", "Thứ Hai"},
			{"2027-03-01", "2026-09-02", "--name", "Một tên khác"},
		} {
			if r := runBin(t, nil, append([]string{"--db", dsn, "calendar", "add"}, args...)...); r.code == 0 {
				t.Errorf("calendar add %v was accepted: %s", args, r)
			}
		}
		r := runBin(t, nil, "--db", dsn, "calendar", "list", "--year", "2027")
		want := "DAY         KIND     NAME\n2027-02-08  day off  Tết Nguyên đán\n2027-02-09  day off  Tết Nguyên đán\n2027-02-20  working  Làm bù\n"
		if r.code != 0 || r.stdout != want {
			t.Fatalf("calendar list --year 2027:\n%s\nwant\n%s", r, want)
		}
		if r := runBin(t, nil, "--db", dsn, "calendar", "list", "--year", "2026"); r.code != 0 || !strings.Contains(r.stdout, "2026-02-17  day off") {
			t.Errorf("calendar list --year 2026 lacks the shipped Tết: %s", r)
		}
		// A server started now counts them.
		s := startServer(t, dsn, nil)
		token := addUser(t, dsn, "Trần Thị Bình", "reviewer")
		status, _, body := s.call(t, http.MethodGet, "/api/v1/calendar?year=2027", token, nil)
		if status != http.StatusOK || !strings.Contains(string(body), `"day":"2027-02-09"`) || !strings.Contains(string(body), `"day":"2027-02-20"`) {
			t.Errorf("GET /api/v1/calendar?year=2027: %d %s", status, body)
		}
	})
}
