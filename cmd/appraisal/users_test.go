package main

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
)

// userRow is one line of `users list`: id, name, role, created, revoked.
var userRow = regexp.MustCompile(`^(\d+) +(.+?) +(applicant|reviewer|appraiser|admin) +(\S+) +(\S+)$`)

// listUsers runs `users list` and returns its rows by name.
func listUsers(t *testing.T, dsn string) (map[string][]string, string) {
	t.Helper()
	r := runBin(t, nil, "users", "list", "--db", dsn)
	if r.code != 0 {
		t.Fatalf("users list: %s", r)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if !regexp.MustCompile(`^ID +NAME +ROLE +CREATED +REVOKED$`).MatchString(lines[0]) {
		t.Fatalf("users list: the first line is not the table's head:\n%s", r.stdout)
	}
	rows := map[string][]string{}
	for _, line := range lines[1:] {
		m := userRow.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("users list: line %q is not id, name, role, created, revoked", line)
		}
		rows[m[2]] = m[1:]
	}
	return rows, r.stdout
}

func TestUsersListAndRevoke(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		start := time.Now().UTC().Truncate(time.Second)
		tokens := map[string]string{
			"Công ty Cổ phần Điện tử Hà Nội": addUser(t, dsn, "Công ty Cổ phần Điện tử Hà Nội", "applicant"),
			"Trần Thị Bình":                  addUser(t, dsn, "Trần Thị Bình", "reviewer"),
			"Quản Trị":                       addUser(t, dsn, "Quản Trị", "admin"),
		}
		roles := map[string]string{"Công ty Cổ phần Điện tử Hà Nội": "applicant", "Trần Thị Bình": "reviewer", "Quản Trị": "admin"}
		s := startServer(t, dsn, nil)
		for name, token := range tokens {
			if status, _, body := s.call(t, http.MethodGet, "/api/v1/appraisals", token, nil); status != http.StatusOK {
				t.Fatalf("%s before any revocation: %d %s", name, status, body)
			}
		}

		rows, out := listUsers(t, dsn)
		if len(rows) != len(tokens) {
			t.Fatalf("users list shows %d users, want %d:\n%s", len(rows), len(tokens), out)
		}
		for name, token := range tokens {
			row := rows[name]
			if row == nil {
				t.Fatalf("users list lacks %s:\n%s", name, out)
			}
			created, err := time.Parse(time.RFC3339, row[3])
			if row[2] != roles[name] || err != nil || created.Before(start) || created.After(time.Now().Add(time.Minute)) || row[4] != "-" {
				t.Errorf("users list row for %s = %q; want role %s, created since %s, not revoked", name, row, roles[name], start)
			}
			if strings.Contains(out, token) || strings.Contains(out, engine.HashToken(token)) || strings.Contains(out, "apr_") {
				t.Fatalf("users list shows a token or its hash:\n%s", out)
			}
		}

		// Revoking the reviewer: the running server refuses the token at once.
		reviewerID := rows["Trần Thị Bình"][0]
		r := runBin(t, nil, "users", "revoke", "--db", dsn, "--id", reviewerID)
		if r.code != 0 || !strings.Contains(r.stdout, "revoked user "+reviewerID) {
			t.Fatalf("users revoke --id %s: want exit 0 saying so\n%s", reviewerID, r)
		}
		status, header, body := s.call(t, http.MethodGet, "/api/v1/appraisals", tokens["Trần Thị Bình"], nil)
		if status != http.StatusUnauthorized || header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("the revoked token: %d %s %s, want a 401 problem", status, header.Get("Content-Type"), body)
		}
		for _, name := range []string{"Công ty Cổ phần Điện tử Hà Nội", "Quản Trị"} {
			if status, _, body := s.call(t, http.MethodGet, "/api/v1/appraisals", tokens[name], nil); status != http.StatusOK {
				t.Errorf("%s after another user's revocation: %d %s", name, status, body)
			}
		}
		rows, out = listUsers(t, dsn)
		for name, row := range rows {
			revoked, err := time.Parse(time.RFC3339, row[4])
			if name == "Trần Thị Bình" && (err != nil || revoked.Before(start)) {
				t.Errorf("users list after the revocation shows %s revoked %q, want a time:\n%s", name, row[4], out)
			}
			if name != "Trần Thị Bình" && row[4] != "-" {
				t.Errorf("users list after another's revocation shows %s revoked %q:\n%s", name, row[4], out)
			}
		}

		// Twice, an unknown id, or no id at all: an error on stderr, nothing on stdout, non-zero.
		for _, c := range []struct {
			args []string
			says string
		}{
			{[]string{"--id", reviewerID}, "revoked already"},
			{[]string{"--id", "999999"}, "no user 999999"},
			{[]string{"--id", "0"}, "no user 0"},
			{[]string{"--id", "two"}, "--id"},
			{nil, `"id"`},
		} {
			r := runBin(t, nil, append([]string{"users", "revoke", "--db", dsn}, c.args...)...)
			if r.code == 0 || r.stdout != "" || !strings.Contains(r.stderr, c.says) {
				t.Errorf("users revoke %v: want non-zero, nothing on stdout, %q on stderr\n%s", c.args, c.says, r)
			}
		}
		if again, _ := listUsers(t, dsn); again["Trần Thị Bình"][4] != rows["Trần Thị Bình"][4] {
			t.Errorf("revoking twice moved the time of revocation from %s to %s", rows["Trần Thị Bình"][4], again["Trần Thị Bình"][4])
		}
	})
}

func TestUsersListNeedsMigrate(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		for _, args := range [][]string{{"list"}, {"revoke", "--id", "1"}} {
			r := runBin(t, nil, append([]string{"users", "--db", dsn}, args...)...)
			if r.code == 0 || !strings.Contains(r.stderr, "appraisal migrate") {
				t.Errorf("users %v on a database never migrated: want non-zero, telling to run `appraisal migrate`\n%s", args, r)
			}
		}
	})
}
