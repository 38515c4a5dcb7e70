package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// TestServeTrustedProxies: the flag and its environment variable reach the
// server, which then counts failed authentication by the client that
// X-Forwarded-For names.
func TestServeTrustedProxies(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		for _, c := range []struct {
			env  []string
			args []string
		}{
			{args: []string{"--trusted-proxies", "10.0.0.0/33"}},
			{args: []string{"--trusted-proxies", "proxy.example"}},
			{env: []string{"APPRAISAL_TRUSTED_PROXIES=10.0.0.0/8;192.0.2.1"}},
		} {
			r := runBin(t, c.env, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn}, c.args...)...)
			if r.code == 0 || strings.Contains(r.stderr, "msg=listening") || !strings.Contains(r.stderr, "--trusted-proxies") {
				t.Errorf("serve %v %v: want non-zero naming --trusted-proxies, before listening\n%s", c.env, c.args, r)
			}
		}

		s := startServer(t, dsn, []string{"APPRAISAL_TRUSTED_PROXIES=10.0.0.0/8, 127.0.0.1/32"})
		token := addUser(t, dsn, "Trần Thị Bình", "reviewer")
		get := func(authorization, forwardedFor string) (int, http.Header, string) {
			t.Helper()
			req, err := http.NewRequest(http.MethodGet, s.url("/api/v1/workflows"), nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", authorization)
			req.Header.Set("X-Forwarded-For", forwardedFor)
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header, string(body)
		}
		for i := range 10 {
			if status, _, body := get("Bearer apr_guess", "203.0.113.7"); status != http.StatusUnauthorized {
				t.Fatalf("bad token %d: %d %s, want 401", i+1, status, body)
			}
		}
		status, h, body := get("Bearer "+token, "203.0.113.7")
		if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("after 10 failures from 203.0.113.7: %d Retry-After %q %s, want a 429 problem with Retry-After", status, h.Get("Retry-After"), body)
		}
		if status, _, body := get("Bearer "+token, "203.0.113.8"); status != http.StatusOK {
			t.Errorf("another client behind the proxy: %d %s, want 200", status, body)
		}
		if !strings.Contains(s.logs.String(), "client=203.0.113.7") {
			t.Errorf("the server did not log the client it slowed:\n%s", s.logs)
		}
	})
}
