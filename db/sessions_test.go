package db_test

import (
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
)

func TestSessions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		now := mustTime("2026-03-14T02:00:00Z")
		d.Now = func() time.Time { return now }
		_, tokenHash := engine.NewToken()
		const pwHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA" // not checked by db
		a, err := d.CreateUserWithPassword(bg, " Nguyễn Văn An ", engine.RoleApplicant, tokenHash, " An@Example.VN ", pwHash)
		if err != nil {
			t.Fatal(err)
		}
		if a.Name != "Nguyễn Văn An" {
			t.Errorf("name = %q, want it trimmed", a.Name)
		}

		t.Run("Credentials", func(t *testing.T) {
			got, hash, err := d.Credentials(bg, "an@example.vn")
			if err != nil || got != a || hash != pwHash {
				t.Errorf("Credentials = %+v, %q, %v; want %+v and the hash", got, hash, err, a)
			}
			if _, _, err := d.Credentials(bg, "AN@EXAMPLE.VN "); err != nil {
				t.Errorf("Credentials ignores case and spaces: %v", err)
			}
			for _, unknown := range []string{"other@example.vn", "", "not an email"} {
				_, _, err := d.Credentials(bg, unknown)
				wantCode(t, "Credentials("+unknown+")", err, engine.EUNAUTHORIZED)
			}
			// A user with a token only has no password to sign in with.
			_, h := engine.NewToken()
			if _, err := d.CreateUser(bg, "Chương trình", engine.RoleReviewer, h); err != nil {
				t.Fatal(err)
			}
		})

		t.Run("ErrEmailTaken", func(t *testing.T) {
			before := snapshot(t, d)
			_, h := engine.NewToken()
			_, err := d.CreateUserWithPassword(bg, "Khác", engine.RoleReviewer, h, "AN@example.vn", pwHash)
			wantCode(t, "CreateUserWithPassword(taken email)", err, engine.ECONFLICT)
			for _, bad := range []struct{ name, email, hash string }{{"", "x@y.vn", pwHash}, {"X", "no-at", pwHash}, {"X", "x@y.vn", ""}} {
				_, err := d.CreateUserWithPassword(bg, bad.name, engine.RoleReviewer, h, bad.email, bad.hash)
				wantCode(t, "CreateUserWithPassword(invalid)", err, engine.EINVALID)
			}
			if after := snapshot(t, d); after != before {
				t.Errorf("refused users changed the database")
			}
		})

		t.Run("SessionLife", func(t *testing.T) {
			token, hash := engine.NewToken()
			expires, err := d.CreateSession(bg, a.ID, hash, time.Hour)
			if err != nil || !expires.Equal(now.Add(time.Hour)) {
				t.Fatalf("CreateSession = %s, %v", expires, err)
			}
			if got, err := d.ActorBySessionHash(bg, engine.HashToken(token)); err != nil || got != a {
				t.Errorf("ActorBySessionHash = %+v, %v; want %+v", got, err, a)
			}
			_, err = d.ActorBySessionHash(bg, engine.HashToken(token+"x"))
			wantCode(t, "ActorBySessionHash(unknown)", err, engine.EUNAUTHORIZED)

			// Expired: refused, then deleted by the sweep.
			now = now.Add(time.Hour)
			_, err = d.ActorBySessionHash(bg, hash)
			wantCode(t, "ActorBySessionHash(expired)", err, engine.EUNAUTHORIZED)
			if n, err := d.DeleteExpiredSessions(bg); err != nil || n != 1 {
				t.Errorf("DeleteExpiredSessions = %d, %v; want 1", n, err)
			}

			// Sign-out ends one session at once.
			_, hash2 := engine.NewToken()
			if _, err := d.CreateSession(bg, a.ID, hash2, time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := d.DeleteSession(bg, hash2); err != nil {
				t.Fatal(err)
			}
			_, err = d.ActorBySessionHash(bg, hash2)
			wantCode(t, "ActorBySessionHash(signed out)", err, engine.EUNAUTHORIZED)
			if err := d.DeleteSession(bg, hash2); err != nil {
				t.Errorf("DeleteSession twice: %v", err)
			}

			// Revoking the user ends their sessions and their sign-in.
			_, hash3 := engine.NewToken()
			if _, err := d.CreateSession(bg, a.ID, hash3, time.Hour); err != nil {
				t.Fatal(err)
			}
			if _, err := d.RevokeUser(bg, a.ID); err != nil {
				t.Fatal(err)
			}
			_, err = d.ActorBySessionHash(bg, hash3)
			wantCode(t, "ActorBySessionHash(revoked user)", err, engine.EUNAUTHORIZED)
			_, _, err = d.Credentials(bg, "an@example.vn")
			wantCode(t, "Credentials(revoked user)", err, engine.EUNAUTHORIZED)
		})

		t.Run("Accounts", func(t *testing.T) {
			accounts, err := d.Accounts(bg)
			if err != nil {
				t.Fatal(err)
			}
			if len(accounts) != 2 {
				t.Fatalf("Accounts = %+v, want 2", accounts)
			}
			if got := accounts[0]; got.Email != "an@example.vn" || !got.HasPassword || got.Revoked.IsZero() {
				t.Errorf("accounts[0] = %+v", got)
			}
			if got := accounts[1]; got.Email != "" || got.HasPassword {
				t.Errorf("accounts[1] = %+v, want no email and no password", got)
			}
		})
	})
}
