package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// submitWithKey submits a dossier with an Idempotency-Key and returns the
// appraisal and whether the answer was a replay.
func (s *testServer) submitWithKey(t *testing.T, token, key, projectName string) (apiAppraisal, bool) {
	t.Helper()
	body, err := json.Marshal(dossier(projectName))
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, s.url("/api/v1/appraisals"), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var a apiAppraisal
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(raw, &a) != nil {
		t.Fatalf("submitting with key %q: status %d: %s", key, resp.StatusCode, raw)
	}
	return a, resp.Header.Get("Idempotent-Replayed") == "true"
}

// The server deletes expired idempotency keys by itself, in its periodic
// housekeeping, and leaves live ones.
func TestServeDeletesExpiredIdempotencyKeys(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		s := startServer(t, dsn, nil)
		applicant := addUser(t, dsn, "Công ty TNHH Kỹ thuật Sóc Sơn", "applicant")
		old, _ := s.submitWithKey(t, applicant, "old", "Dự án cũ")
		live, _ := s.submitWithKey(t, applicant, "live", "Dự án mới")
		if again, replayed := s.submitWithKey(t, applicant, "live", "Dự án mới"); !replayed || again.ID != live.ID {
			t.Fatalf("the binary does not replay a key: id %d replayed %v, want %d", again.ID, replayed, live.ID)
		}

		// Age one key past the TTL behind the server's back.
		raw := dbtest.Raw(t, dsn)
		var longAgo any = time.Now().Add(-25 * time.Hour)
		if e == db.SQLite {
			longAgo = longAgo.(time.Time).UTC().Format("2006-01-02T15:04:05.000000Z")
		}
		if _, err := raw.Exec(raw.Rebind(`UPDATE idempotency_keys SET created_at = ? WHERE idempotency_key = ?`), longAgo, "old"); err != nil {
			t.Fatal(err)
		}
		keys := func(key string) int {
			var n int
			if err := raw.Get(&n, raw.Rebind(`SELECT COUNT(*) FROM idempotency_keys WHERE idempotency_key = ?`), key); err != nil {
				t.Fatal(err)
			}
			return n
		}
		// The loop runs every 5 seconds.
		deadline := time.Now().Add(15 * time.Second)
		for keys("old") != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the expired key is still there after 15 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if keys("live") != 1 {
			t.Fatal("the live key was deleted too")
		}
		if again, replayed := s.submitWithKey(t, applicant, "old", "Dự án cũ"); replayed || again.ID == old.ID {
			t.Errorf("a deleted key replayed appraisal %d", again.ID)
		}
	})
}
