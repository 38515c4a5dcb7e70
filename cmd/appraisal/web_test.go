package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// runBinStdin runs the binary with stdin.
func runBinStdin(t *testing.T, stdin string, args ...string) binResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = binEnv()
	cmd.Dir = t.TempDir()
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := binResult{stdout: stdout.String(), stderr: stderr.String()}
	if exitErr, ok := err.(*exec.ExitError); ok {
		r.code = exitErr.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestUsersAddPassword: `users add --email --password-stdin` makes a user
// who signs in to the web pages served by `serve`; the token is still
// printed alone.
func TestUsersAddPassword(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, e db.Engine) {
		dsn := dbtest.DSN(t, e)
		const pw = "mật khẩu của chuyên viên"
		r := runBinStdin(t, pw+"\n", "users", "add", "--db", dsn, "--name", "Trần Thị Bình", "--role", "reviewer",
			"--email", "Binh@SKHCN.example.vn", "--password-stdin")
		if r.code != 0 || !tokenLine.MatchString(r.stdout) {
			t.Fatalf("users add --password-stdin: %s", r)
		}
		for _, bad := range []struct {
			stdin string
			args  []string
		}{
			{"ngắn\n", []string{"--email", "a@example.vn", "--password-stdin"}},
			{pw + "\n", []string{"--email", "a@example.vn"}},
			{pw + "\n", []string{"--password-stdin"}},
			{pw + "\n", []string{"--email", "binh@skhcn.example.vn", "--password-stdin"}}, // taken
		} {
			r := runBinStdin(t, bad.stdin, append([]string{"users", "add", "--db", dsn, "--name", "X", "--role", "reviewer"}, bad.args...)...)
			if r.code == 0 || r.stdout != "" {
				t.Errorf("users add %v: want a failure with nothing on stdout\n%s", bad.args, r)
			}
		}

		s := startServer(t, dsn, nil)
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(s.url("/signin"))
		if err != nil {
			t.Fatal(err)
		}
		var body bytes.Buffer
		body.ReadFrom(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body.String())
		if resp.StatusCode != http.StatusOK || m == nil {
			t.Fatalf("GET /signin: %d\n%s", resp.StatusCode, body.String())
		}
		resp, err = c.PostForm(s.url("/signin"), url.Values{"csrf": {m[1]}, "email": {"binh@skhcn.example.vn"}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/queue" {
			t.Fatalf("signing in: %d to %q, want 303 to /queue", resp.StatusCode, resp.Header.Get("Location"))
		}
		resp, err = c.Get(s.url("/queue"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("the queue after signing in: %d", resp.StatusCode)
		}
	})
}
