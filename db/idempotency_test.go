package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// idemKey is an idempotency key whose request hash stands for body.
func idemKey(key, body string) engine.IdempotencyKey {
	return engine.IdempotencyKey{Key: key, RequestHash: engine.HashToken(body)}
}

func (f *fixture) createOnce(t *testing.T, actor engine.Actor, x engine.Dossier, key engine.IdempotencyKey) (*engine.Appraisal, bool) {
	t.Helper()
	a, replayed, err := f.d.CreateAppraisalOnce(bg, f.def, workflows.MustCalendar(), "SKHCN", actor, x, key)
	if err != nil {
		t.Fatalf("CreateAppraisalOnce(%q): %v", key.Key, err)
	}
	return a, replayed
}

// warmPool opens n PostgreSQL connections ahead, so n concurrent calls race
// each other and not each one's connection setup, which would spread them
// out. SQLite has one connection: nothing to warm.
func warmPool(t testing.TB, d *db.DB, n int) {
	t.Helper()
	if d.Engine != db.Postgres {
		return
	}
	d.SetMaxIdleConns(n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if _, err := d.ExecContext(context.Background(), `SELECT pg_sleep(0.05)`); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func wantKeyRefused(t *testing.T, what string, err error) {
	t.Helper()
	wantCode(t, what, err, engine.EINVALID)
	if e := (*engine.Error)(nil); !errors.As(err, &e) || e.Field != engine.IdempotencyKeyField {
		t.Fatalf("%s: %v does not name the field %q", what, err, engine.IdempotencyKeyField)
	}
}

func TestCreateAppraisalOnceReplays(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		key := idemKey("order-1", "body")
		first, replayed := f.createOnce(t, f.owner, dossier("Dự án một lần"), key)
		if replayed {
			t.Fatal("the first use of a key says replayed")
		}
		again, replayed := f.createOnce(t, f.owner, dossier("Dự án một lần"), key)
		if !replayed {
			t.Fatal("the second use of a key does not say replayed")
		}
		sameAppraisal(t, "the replay", again, first)

		// A replay answers with the appraisal as it is now.
		f.fire(t, first.ID, f.reviewer, "review", engine.Input{})
		now, replayed := f.createOnce(t, f.owner, dossier("Dự án một lần"), key)
		if !replayed || now.ID != first.ID || now.State != "reviewed" || now.Version != 2 {
			t.Fatalf("replay after review: id %d %s v%d replayed %v, want %d reviewed v2 replayed",
				now.ID, now.State, now.Version, replayed, first.ID)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM appraisals`); n != 1 {
			t.Fatalf("%d appraisals, want 1", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM idempotency_keys WHERE appraisal_id = ?`, first.ID); n != 1 {
			t.Fatalf("%d keys name the appraisal, want 1", n)
		}
		// Without a key, the same dossier is a new submission.
		other := f.create(t, "SKHCN", f.owner, dossier("Dự án một lần"))
		if other.ID == first.ID {
			t.Fatal("CreateAppraisal without a key replayed")
		}
		verifyClean(t, d, 2)
	})
}

func TestCreateAppraisalOnceRefusesAnotherRequest(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		f.createOnce(t, f.owner, dossier("Dự án A"), idemKey("k", "body A"))
		before := snapshot(t, d)
		_, _, err := d.CreateAppraisalOnce(bg, f.def, workflows.MustCalendar(), "SKHCN", f.owner, dossier("Dự án B"), idemKey("k", "body B"))
		wantKeyRefused(t, "the key with another body", err)
		if !strings.Contains(err.Error(), "another request") {
			t.Errorf("message %q does not say the key was used for another request", err)
		}
		if after := snapshot(t, d); after != before {
			t.Fatalf("a refused key wrote:\nbefore %s\nafter  %s", before, after)
		}
	})
}

func TestCreateAppraisalOnceKeysPerUser(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		key := idemKey("shared", "body")
		mine, _ := f.createOnce(t, f.owner, dossier("Của An"), key)
		theirs, replayed := f.createOnce(t, f.other, dossier("Của Bình"), key)
		if replayed || theirs.ID == mine.ID || theirs.ApplicantID != f.other.ID {
			t.Fatalf("another user's key: id %d (mine %d), applicant %d, replayed %v", theirs.ID, mine.ID, theirs.ApplicantID, replayed)
		}
		for _, c := range []struct {
			actor engine.Actor
			want  int64
		}{{f.owner, mine.ID}, {f.other, theirs.ID}} {
			got, replayed := f.createOnce(t, c.actor, dossier("x"), key)
			if !replayed || got.ID != c.want {
				t.Errorf("%s's replay: id %d replayed %v, want %d", c.actor.Name, got.ID, replayed, c.want)
			}
		}
	})
}

func TestCreateAppraisalOnceExpiry(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		t0 := mustTime("2026-03-02T03:00:00Z")
		d.Now = clock(t0)
		first, _ := f.createOnce(t, f.owner, dossier("Lần đầu"), idemKey("k", "body 1"))

		d.Now = clock(t0.Add(engine.IdempotencyKeyTTL - time.Microsecond))
		if got, replayed := f.createOnce(t, f.owner, dossier("Lần đầu"), idemKey("k", "body 1")); !replayed || got.ID != first.ID {
			t.Fatalf("just before expiry: id %d replayed %v, want %d replayed", got.ID, replayed, first.ID)
		}

		// Expired, the key is new: even another body is welcome.
		d.Now = clock(t0.Add(engine.IdempotencyKeyTTL))
		second, replayed := f.createOnce(t, f.owner, dossier("Lần hai"), idemKey("k", "body 2"))
		if replayed || second.ID == first.ID {
			t.Fatalf("at expiry: id %d replayed %v, want a new appraisal", second.ID, replayed)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM idempotency_keys`); n != 1 {
			t.Fatalf("%d key rows, want the one taken over", n)
		}
		// From now on the key stands for the second request.
		d.Now = clock(t0.Add(engine.IdempotencyKeyTTL + time.Hour))
		if got, replayed := f.createOnce(t, f.owner, dossier("Lần hai"), idemKey("k", "body 2")); !replayed || got.ID != second.ID {
			t.Fatalf("replay of the second: id %d replayed %v, want %d replayed", got.ID, replayed, second.ID)
		}
		_, _, err := d.CreateAppraisalOnce(bg, f.def, workflows.MustCalendar(), "SKHCN", f.owner, dossier("Lần đầu"), idemKey("k", "body 1"))
		wantKeyRefused(t, "the first body under the renewed key", err)
		verifyClean(t, d, 2)
	})
}

func TestDeleteExpiredIdempotencyKeys(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		t0 := mustTime("2026-03-02T03:00:00Z")
		d.Now = clock(t0)
		old, _ := f.createOnce(t, f.owner, dossier("Cũ"), idemKey("old", "body"))
		d.Now = clock(t0.Add(time.Hour))
		f.createOnce(t, f.owner, dossier("Mới"), idemKey("new", "body"))

		deleted := func(want int64) {
			t.Helper()
			n, err := d.DeleteExpiredIdempotencyKeys(bg)
			if err != nil || n != want {
				t.Fatalf("DeleteExpiredIdempotencyKeys at %s = %d, %v; want %d", d.Now().Format(time.RFC3339Nano), n, err, want)
			}
		}
		d.Now = clock(t0.Add(engine.IdempotencyKeyTTL - time.Microsecond))
		deleted(0)
		d.Now = clock(t0.Add(engine.IdempotencyKeyTTL))
		deleted(1)
		deleted(0)
		if n := count(t, d, `SELECT COUNT(*) FROM idempotency_keys WHERE idempotency_key = ?`, "new"); n != 1 {
			t.Fatalf("the live key was deleted")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM appraisals`); n != 2 {
			t.Fatalf("%d appraisals after the cleanup, want 2", n)
		}
		// A deleted key is new.
		if got, replayed := f.createOnce(t, f.owner, dossier("Cũ"), idemKey("old", "body")); replayed || got.ID == old.ID {
			t.Fatalf("a deleted key replayed appraisal %d", got.ID)
		}
		d.Now = clock(t0.Add(engine.IdempotencyKeyTTL + time.Hour))
		deleted(1)
		verifyClean(t, d, 3)
	})
}

func TestCreateAppraisalOnceFailuresStoreNoKey(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		keys := func() int { return count(t, d, `SELECT COUNT(*) FROM idempotency_keys`) }
		bad := dossier("")
		_, _, err := d.CreateAppraisalOnce(bg, f.def, workflows.MustCalendar(), "SKHCN", f.owner, bad, idemKey("k", "body"))
		wantCode(t, "an invalid dossier", err, engine.EINVALID)
		_, _, err = d.CreateAppraisalOnce(bg, f.def, workflows.MustCalendar(), "SKHCN", f.reviewer, dossier("x"), idemKey("k", "body"))
		wantCode(t, "a reviewer submitting", err, engine.EFORBIDDEN)
		for name, key := range map[string]engine.IdempotencyKey{
			"empty":        idemKey("", "body"),
			"256 chars":    idemKey(strings.Repeat("k", 256), "body"),
			"non-ASCII":    idemKey("khóa", "body"),
			"a tab":        idemKey("a\tb", "body"),
			"a DEL":        idemKey("a\x7fb", "body"),
			"without hash": {Key: "k"},
		} {
			_, _, err := d.CreateAppraisalOnce(bg, f.def, workflows.MustCalendar(), "SKHCN", f.owner, dossier("x"), key)
			wantKeyRefused(t, "key "+name, err)
		}
		if n := keys(); n != 0 {
			t.Fatalf("%d keys stored by refused submissions", n)
		}
		if _, replayed := f.createOnce(t, f.owner, dossier("x"), idemKey(strings.Repeat("~", 255), "body")); replayed {
			t.Fatal("a 255-character key replayed")
		}

		// A failure after the key is claimed: the dossier code is taken, as
		// when the day's numbering was lost. The whole transaction goes.
		now := mustTime("2021-03-02T03:00:00Z") // a day no other create here numbers
		d.Now = clock(now)
		f.create(t, "SKHCN", f.owner, dossier("Số 1"))
		if _, err := d.ExecContext(bg, `DELETE FROM dossier_sequences`); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, d)
		_, _, err = d.CreateAppraisalOnce(bg, f.def, workflows.MustCalendar(), "SKHCN", f.owner, dossier("Số 2"), idemKey("after-claim", "body"))
		if err == nil {
			t.Fatal("a create with a taken dossier code succeeded")
		}
		if after := snapshot(t, d); after != before {
			t.Fatalf("a failed create wrote:\nbefore %s\nafter  %s", before, after)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM idempotency_keys WHERE idempotency_key = ?`, "after-claim"); n != 0 {
			t.Fatal("a failed create stored its key")
		}
		// So a retry, once the cause is gone, creates.
		if _, err := d.ExecContext(bg, d.Rebind(`INSERT INTO dossier_sequences (unit, day, last) VALUES (?, ?, 1)`),
			"SKHCN", now.In(engine.VietnamTime).Format("2006-01-02")); err != nil {
			t.Fatal(err)
		}
		if a, replayed := f.createOnce(t, f.owner, dossier("Số 2"), idemKey("after-claim", "body")); replayed || a.Code != engine.DossierCode("SKHCN", now, 2) {
			t.Fatalf("the retry: code %s replayed %v, want a new appraisal numbered 2", a.Code, replayed)
		}
		verifyClean(t, d, 3)
	})
}

func TestCreateAppraisalOnceConcurrent(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		const n = 20
		warmPool(t, d, n)
		results := make([]*engine.Appraisal, n)
		replays := make([]bool, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				results[i], replays[i], errs[i] = d.CreateAppraisalOnce(bg, f.def, workflows.MustCalendar(), "SKHCN", f.owner, dossier("Đồng thời"), idemKey("race", "body"))
			})
		}
		close(start)
		wg.Wait()
		fresh := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			if results[i].ID != results[0].ID {
				t.Fatalf("call %d got appraisal %d, call 0 got %d", i, results[i].ID, results[0].ID)
			}
			if !replays[i] {
				fresh++
			}
		}
		if fresh != 1 {
			t.Fatalf("%d calls created, want 1", fresh)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM appraisals`); c != 1 {
			t.Fatalf("%d appraisals, want 1", c)
		}
		if c := count(t, d, `SELECT COUNT(*) FROM idempotency_keys`); c != 1 {
			t.Fatalf("%d key rows, want 1", c)
		}
		verifyClean(t, d, 1)
	})
}
