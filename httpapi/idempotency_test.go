package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/engine"
)

const submitPath = "/api/v1/appraisals"

// submitOnce posts body as user with an Idempotency-Key.
func (e *env) submitOnce(t testing.TB, user, key string, body any) response {
	t.Helper()
	return e.request(t, "POST", submitPath, user, body, "Idempotency-Key", key)
}

func replayed(r response) bool { return r.header.Get("Idempotent-Replayed") == "true" }

func idOf(t testing.TB, m map[string]any) int64 {
	t.Helper()
	id, ok := m["id"].(float64)
	if !ok {
		t.Fatalf("no id in %v", m)
	}
	return int64(id)
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

func (e *env) keyCount(t testing.TB) int {
	t.Helper()
	var n int
	if err := e.d.GetContext(context.Background(), &n, `SELECT COUNT(*) FROM idempotency_keys`); err != nil {
		t.Fatal(err)
	}
	return n
}

// reordered is dossier() as JSON laid out otherwise: keys in reverse
// order, spaces and newlines between them.
func reordered(t testing.TB) string {
	d := dossier()
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	slices.Reverse(keys)
	var b strings.Builder
	b.WriteString("{\n")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(" ,\n")
		}
		fmt.Fprintf(&b, "  %q :  %s", k, mustJSON(t, d[k]))
	}
	b.WriteString("\n}")
	return b.String()
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIdempotentSubmit(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		first := e.submitOnce(t, hoa, "submit-1", dossier())
		m := expect(t, first, http.StatusCreated)
		id := idOf(t, m)
		if replayed(first) || first.header.Values("Idempotent-Replayed") != nil {
			t.Errorf("the first submission has Idempotent-Replayed %q", first.header.Values("Idempotent-Replayed"))
		}

		// The same body, laid out otherwise, is the same request.
		again := e.submitOnce(t, hoa, "submit-1", reordered(t))
		expect(t, again, http.StatusCreated)
		if !replayed(again) {
			t.Errorf("the retry lacks Idempotent-Replayed: true (headers %v)", again.header)
		}
		if !bytes.Equal(again.body, first.body) {
			t.Errorf("the retry's body differs:\n got %s\nwant %s", again.body, first.body)
		}
		for _, h := range []string{"Location", "ETag"} {
			if again.header.Get(h) != first.header.Get(h) {
				t.Errorf("the retry's %s %q, want %q", h, again.header.Get(h), first.header.Get(h))
			}
		}

		// A replay shows the appraisal as it is now.
		expect(t, e.fire(t, id, reviewer, trig("review")), http.StatusOK)
		later := e.submitOnce(t, hoa, "submit-1", dossier())
		m = expect(t, later, http.StatusCreated)
		if !replayed(later) || idOf(t, m) != id || m["state"] != "reviewed" || m["version"] != float64(2) || later.header.Get("ETag") != `"2"` {
			t.Errorf("replay after review: replayed %v id %v state %v version %v ETag %s",
				replayed(later), m["id"], m["state"], m["version"], later.header.Get("ETag"))
		}
		if n := e.appraisalCount(t); n != 1 {
			t.Fatalf("%d appraisals after three submissions under one key, want 1", n)
		}
		if n := e.eventCount(t, id); n != 2 {
			t.Fatalf("%d events, want 2 (submit and review)", n)
		}

		// Another body under the key is refused, whatever changed.
		for name, body := range map[string]any{
			"another project":   with(dossier(), "project_name", "Dự án khác"),
			"a lower-case code": with(dossier(), "investor_country", "kr"),
			"a field left out":  func() map[string]any { d := dossier(); delete(d, "locality"); return d }(),
		} {
			m := expect(t, e.submitOnce(t, hoa, "submit-1", body), http.StatusUnprocessableEntity)
			if m["field"] != "Idempotency-Key" || !strings.Contains(m["detail"].(string), "another request") {
				t.Errorf("%s: field %v detail %q, want Idempotency-Key used for another request", name, m["field"], m["detail"])
			}
		}

		// An absent optional field and null are the same body.
		noLocality := dossier()
		delete(noLocality, "locality")
		second := idOf(t, expect(t, e.submitOnce(t, hoa, "submit-2", noLocality), http.StatusCreated))
		r := e.submitOnce(t, hoa, "submit-2", with(dossier(), "locality", nil))
		if idOf(t, expect(t, r, http.StatusCreated)) != second || !replayed(r) {
			t.Errorf("locality null after locality absent: not a replay of %d", second)
		}

		// Keys are per user.
		r = e.submitOnce(t, binh, "submit-1", dossier())
		theirs := idOf(t, expect(t, r, http.StatusCreated))
		if replayed(r) || theirs == id || theirs == second {
			t.Errorf("another user's key: id %d replayed %v", theirs, replayed(r))
		}
		// Without a key every submission is new.
		if a, b := e.submit(t, hoa), e.submit(t, hoa); a == b {
			t.Errorf("two submissions without a key gave one appraisal")
		}
		if n := e.appraisalCount(t); n != 5 {
			t.Errorf("%d appraisals, want 5", n)
		}
	})
}

// requestHeaders is request with a full header, for repeated fields.
func (e *env) requestHeaders(t testing.TB, user string, body []byte, h http.Header) response {
	t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+submitPath, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	e.check(t, req, body, resp, data)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func TestIdempotencyKeyMalformed(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		for name, key := range map[string]string{
			"empty":        "",
			"256 chars":    strings.Repeat("k", 256),
			"non-ASCII":    "khóa-1",
			"a tab inside": "a\tb",
		} {
			m := expect(t, e.submitOnce(t, hoa, key, dossier()), http.StatusBadRequest)
			if !strings.Contains(m["detail"].(string), "Idempotency-Key") {
				t.Errorf("%s: detail %q does not name Idempotency-Key", name, m["detail"])
			}
		}
		body := []byte(mustJSON(t, dossier()))
		m := expect(t, e.requestHeaders(t, hoa, body, http.Header{"Idempotency-Key": {"a", "b"}}), http.StatusBadRequest)
		if !strings.Contains(m["detail"].(string), "once") {
			t.Errorf("two keys: detail %q", m["detail"])
		}
		if n := e.appraisalCount(t); n != 0 {
			t.Fatalf("%d appraisals made by requests with a bad key", n)
		}
		// The edges of what is allowed: 255 characters, spaces and punctuation.
		for _, key := range []string{strings.Repeat("~", 255), "x", `order 7: "A/B" {1}`} {
			expect(t, e.submitOnce(t, hoa, key, dossier()), http.StatusCreated)
		}
	})
}

func TestIdempotentSubmitFailureStoresNoKey(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		expect(t, e.submitOnce(t, hoa, "k", with(dossier(), "sector", "Z9")), http.StatusUnprocessableEntity)
		expect(t, e.submitOnce(t, hoa, "k", `{"project_name":`), http.StatusBadRequest)
		expect(t, e.submitOnce(t, reviewer, "k", dossier()), http.StatusForbidden)
		if n := e.keyCount(t); n != 0 {
			t.Fatalf("%d keys stored by failed submissions", n)
		}
		r := e.submitOnce(t, hoa, "k", dossier())
		expect(t, r, http.StatusCreated)
		if replayed(r) {
			t.Error("the first successful submission under a key that failed before is a replay")
		}
	})
}

func TestIdempotentSubmitExpires(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		t0 := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
		at := func(d time.Duration) { e.d.Now = func() time.Time { return t0.Add(d) } }
		at(0)
		first := idOf(t, expect(t, e.submitOnce(t, hoa, "daily", dossier()), http.StatusCreated))
		at(engine.IdempotencyKeyTTL - time.Second)
		if r := e.submitOnce(t, hoa, "daily", dossier()); idOf(t, expect(t, r, http.StatusCreated)) != first || !replayed(r) {
			t.Fatalf("a second before expiry: not a replay of %d", first)
		}
		at(engine.IdempotencyKeyTTL)
		r := e.submitOnce(t, hoa, "daily", dossier())
		second := idOf(t, expect(t, r, http.StatusCreated))
		if second == first || replayed(r) {
			t.Fatalf("an expired key replayed %d", second)
		}
		at(engine.IdempotencyKeyTTL + time.Hour)
		if r := e.submitOnce(t, hoa, "daily", dossier()); idOf(t, expect(t, r, http.StatusCreated)) != second || !replayed(r) {
			t.Fatalf("the renewed key does not replay %d", second)
		}
		if n := e.appraisalCount(t); n != 2 {
			t.Fatalf("%d appraisals, want 2", n)
		}
	})
}

func TestIdempotentSubmitConcurrent(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		const n = 20
		warmPool(t, e.d, n)
		responses := make([]response, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				responses[i] = e.submitOnce(t, hoa, "at-once", dossier())
			})
		}
		close(start)
		wg.Wait()
		ids := map[int64]int{}
		fresh := 0
		for _, r := range responses {
			ids[idOf(t, expect(t, r, http.StatusCreated))]++
			if !replayed(r) {
				fresh++
			}
		}
		if len(ids) != 1 || fresh != 1 {
			t.Errorf("answers name appraisals %v, %d of them not replays; want one appraisal, one not a replay", ids, fresh)
		}
		if c := e.appraisalCount(t); c != 1 {
			t.Errorf("%d appraisal rows, want 1", c)
		}
		if c := e.keyCount(t); c != 1 {
			t.Errorf("%d key rows, want 1", c)
		}
	})
}

// The document states the key's lifetime in words: it must follow the constant.
func TestOpenAPIStatesIdempotencyKeyTTL(t *testing.T) {
	hours := fmt.Sprintf("%d hours", int(engine.IdempotencyKeyTTL/time.Hour))
	doc, err := openAPILoad()
	if err != nil {
		t.Fatal(err)
	}
	p := doc.Components.Parameters["Idempotency-Key"]
	if p == nil || !strings.Contains(p.Value.Description, hours) {
		t.Errorf("components.parameters.Idempotency-Key does not say the key lives %s", hours)
	}
}
