package db_test

import (
	"strings"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
)

func TestUsersAndRevoke(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		now := mustTime("2026-03-14T02:03:04.123456Z")
		d.Now = func() time.Time { return now }

		if users, err := d.Users(bg); err != nil || len(users) != 0 {
			t.Fatalf("Users on an empty database = %v, %v; want none", users, err)
		}
		type account struct {
			token string
			actor engine.Actor
		}
		var accounts []account
		for _, u := range []struct {
			name string
			role engine.Role
		}{{"Nguyễn Văn An", engine.RoleApplicant}, {"Trần Thị Bình", engine.RoleReviewer}, {"Quản Trị", engine.RoleAdmin}} {
			token, hash := engine.NewToken()
			a, err := d.CreateUser(bg, u.name, u.role, hash)
			if err != nil {
				t.Fatal(err)
			}
			accounts = append(accounts, account{token, a})
			now = now.Add(time.Hour)
		}
		created := mustTime("2026-03-14T02:03:04.123456Z")

		users, err := d.Users(bg)
		if err != nil {
			t.Fatal(err)
		}
		if len(users) != len(accounts) {
			t.Fatalf("Users = %+v, want %d", users, len(accounts))
		}
		for i, u := range users {
			a := accounts[i].actor
			want := db.User{ID: a.ID, Name: a.Name, Role: a.Role, Created: created.Add(time.Duration(i) * time.Hour)}
			if u.ID != want.ID || u.Name != want.Name || u.Role != want.Role || !u.Created.Equal(want.Created) || !u.Revoked.IsZero() {
				t.Errorf("user %d = %+v, want %+v", i, u, want)
			}
		}

		// Revoking stops the token at once and is listed; the others keep working.
		reviewer := accounts[1]
		now = mustTime("2026-04-01T08:00:00Z")
		u, err := d.RevokeUser(bg, reviewer.actor.ID)
		if err != nil {
			t.Fatalf("RevokeUser: %v", err)
		}
		if u.ID != reviewer.actor.ID || u.Name != reviewer.actor.Name || !u.Revoked.Equal(now) {
			t.Errorf("RevokeUser = %+v, want user %d revoked at %s", u, reviewer.actor.ID, now)
		}
		_, err = d.ActorByTokenHash(bg, engine.HashToken(reviewer.token))
		wantCode(t, "ActorByTokenHash(revoked)", err, engine.EUNAUTHORIZED)
		for _, a := range []account{accounts[0], accounts[2]} {
			if got, err := d.ActorByTokenHash(bg, engine.HashToken(a.token)); err != nil || got != a.actor {
				t.Errorf("ActorByTokenHash(%s) after another user's revocation = %+v, %v", a.actor.Name, got, err)
			}
		}
		users, err = d.Users(bg)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if revoked := !u.Revoked.IsZero(); revoked != (u.ID == reviewer.actor.ID) {
				t.Errorf("after revoking user %d: %+v", reviewer.actor.ID, u)
			}
		}

		// Twice is a conflict that keeps the first time; an unknown id is not found.
		before := snapshot(t, d)
		now = now.Add(time.Hour)
		_, err = d.RevokeUser(bg, reviewer.actor.ID)
		wantCode(t, "RevokeUser twice", err, engine.ECONFLICT)
		if !strings.Contains(err.Error(), "revoked already") || !strings.Contains(err.Error(), "2026-04-01T08:00:00Z") {
			t.Errorf("RevokeUser twice: %q should say when it was revoked", err)
		}
		for _, id := range []int64{999999, 0, -1} {
			_, err = d.RevokeUser(bg, id)
			wantCode(t, "RevokeUser(unknown)", err, engine.ENOTFOUND)
		}
		if after := snapshot(t, d); after != before {
			t.Errorf("refused revocations changed the database:\n%s\nwant\n%s", after, before)
		}
		if users, err := d.Users(bg); err != nil || !users[1].Revoked.Equal(mustTime("2026-04-01T08:00:00Z")) {
			t.Errorf("after a second revocation: %+v, %v; want revoked_at kept at the first", users, err)
		}
	})
}
