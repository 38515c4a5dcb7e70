package httpapi_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/httpapi"
)

// manualClock is a clock the test moves by hand, instead of sleeping.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newEnvWith is newEnv, with its users, serving an API configured by
// configure.
func newEnvWith(t *testing.T, d *db.DB, configure func(cfg *httpapi.Config)) *env {
	e := newEnv(t, d)
	e.srv.Close()
	e.serve(t, configure)
	return e
}

// eachEngineWith is eachEngine for newEnvWith.
func eachEngineWith(t *testing.T, configure func(cfg *httpapi.Config), fn func(t *testing.T, e *env)) {
	for _, eng := range dbtest.Engines {
		t.Run(string(eng), func(t *testing.T) {
			t.Parallel()
			fn(t, newEnvWith(t, dbtest.Open(t, eng), configure))
		})
	}
}

// from returns an HTTP client whose connections come from the local
// address ip (any of 127.0.0.0/8 on Linux), or skips t where it cannot be.
func from(t *testing.T, ip string) *http.Client {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.ParseIP(ip)})
	if errors.Is(err, syscall.EADDRNOTAVAIL) {
		// On Linux, where CI runs, all of 127/8 is local: never a skip there.
		if runtime.GOOS == "linux" {
			t.Fatalf("cannot connect from %s: %v", ip, err)
		}
		t.Skipf("cannot connect from %s on this system: %v", ip, err)
	} else if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	t.Cleanup(client.CloseIdleConnections)
	return client
}

// via sends a GET of path through client with headers (name, value pairs)
// and checks the answer against the OpenAPI document.
func (e *env) via(t *testing.T, client *http.Client, path string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	e.check(t, req, nil, resp, body)
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

const badToken = "Bearer apr_this-is-not-a-token-of-ours-aaaaaaaaaaaaaaaaaaaaa"

// wantSlowed checks a 429 problem whose Retry-After is seconds.
func wantSlowed(t *testing.T, r response, seconds int) {
	t.Helper()
	m := expect(t, r, http.StatusTooManyRequests)
	if m["type"] != "urn:appraisal:problem:too-many-requests" {
		t.Errorf("429 type %v", m["type"])
	}
	if got := r.header.Get("Retry-After"); got != strconv.Itoa(seconds) {
		t.Errorf("Retry-After %q, want %d", got, seconds)
	}
}

func TestFailedAuthenticationIsSlowed(t *testing.T) {
	for _, eng := range dbtest.Engines {
		t.Run(string(eng), func(t *testing.T) {
			t.Parallel()
			clock := &manualClock{now: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
			testFailedAuthenticationIsSlowed(t, clock, newEnvWith(t, dbtest.Open(t, eng), func(cfg *httpapi.Config) { cfg.Now = clock.Now }))
		})
	}
}

func testFailedAuthenticationIsSlowed(t *testing.T, clock *manualClock, e *env) {
	here, there := from(t, "127.0.0.1"), from(t, "127.0.0.2")
	good := func(user string) []string { return []string{"Authorization", "Bearer " + e.tokens[user]} }
	const list = "/api/v1/appraisals"

	// Successes do not count, nor do requests without a token.
	for range 2 * httpapi.AuthFailureLimit {
		expect(t, e.via(t, here, list, good(hoa)...), http.StatusOK)
		expect(t, e.via(t, here, list), http.StatusUnauthorized)
	}
	for i := range httpapi.AuthFailureLimit {
		expect(t, e.via(t, here, list, "Authorization", badToken), http.StatusUnauthorized)
		if i == httpapi.AuthFailureLimit/2 {
			// A success in between neither counts nor forgives.
			expect(t, e.via(t, here, list, good(reviewer)...), http.StatusOK)
		}
	}
	window := int(httpapi.AuthFailureWindow / time.Second)
	// From now on whatever token this address sends waits out the window.
	wantSlowed(t, e.via(t, here, list, "Authorization", badToken), window)
	wantSlowed(t, e.via(t, here, list, good(hoa)...), window)
	wantSlowed(t, e.via(t, here, "/api/v1/workflows", "Authorization", "Basic dXNlcjpwYXNz"), window)
	// X-Forwarded-For from a peer that is no trusted proxy changes nothing.
	wantSlowed(t, e.via(t, here, list, append(good(hoa), "X-Forwarded-For", "198.51.100.1")...), window)
	// Without a token the answer stays 401: there is nothing to slow.
	expect(t, e.via(t, here, list), http.StatusUnauthorized)
	// Another address is not slowed, and counts its own failures.
	expect(t, e.via(t, there, list, good(hoa)...), http.StatusOK)
	expect(t, e.via(t, there, list, "Authorization", badToken), http.StatusUnauthorized)
	expect(t, e.via(t, there, list, good(admin)...), http.StatusOK)

	clock.Advance(httpapi.AuthFailureWindow * 2 / 3)
	wantSlowed(t, e.via(t, here, list, good(hoa)...), window/3)
	clock.Advance(httpapi.AuthFailureWindow/3 - time.Second)
	wantSlowed(t, e.via(t, here, list, good(hoa)...), 1)
	clock.Advance(time.Second)
	// The window has passed.
	expect(t, e.via(t, here, list, good(hoa)...), http.StatusOK)
	// It slides: the limit is reached again only by as many new failures.
	for range httpapi.AuthFailureLimit - 1 {
		expect(t, e.via(t, here, list, "Authorization", badToken), http.StatusUnauthorized)
	}
	expect(t, e.via(t, here, list, good(hoa)...), http.StatusOK)
	expect(t, e.via(t, here, list, "Authorization", badToken), http.StatusUnauthorized)
	wantSlowed(t, e.via(t, here, list, good(hoa)...), window)
}

func TestFailedAuthenticationBehindProxies(t *testing.T) {
	proxies, err := httpapi.ParseTrustedProxies("127.0.0.1/32, 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	if want := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("10.0.0.0/8")}; len(proxies) != 2 || proxies[0] != want[0] || proxies[1] != want[1] {
		t.Fatalf("ParseTrustedProxies = %v, want %v", proxies, want)
	}
	// A clock that stands still: Retry-After is exactly the window.
	clock := &manualClock{now: time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)}
	eachEngineWith(t, func(cfg *httpapi.Config) { cfg.TrustedProxies, cfg.Now = proxies, clock.Now }, func(t *testing.T, e *env) {
		proxy := from(t, "127.0.0.1")
		good := func(user string) []string { return []string{"Authorization", "Bearer " + e.tokens[user]} }
		const list = "/api/v1/appraisals"
		window := int(httpapi.AuthFailureWindow / time.Second)
		for range httpapi.AuthFailureLimit {
			expect(t, e.via(t, proxy, list, "Authorization", badToken, "X-Forwarded-For", "203.0.113.7"), http.StatusUnauthorized)
		}
		for _, xff := range [][]string{
			{"203.0.113.7"},
			{"198.51.100.1, 203.0.113.7"},             // what the client wrote itself is ignored
			{"203.0.113.7, 10.1.2.3"},                 // through a second trusted proxy
			{"198.51.100.1", "203.0.113.7, 10.0.0.9"}, // over two header lines
		} {
			h := good(hoa)
			for _, v := range xff {
				h = append(h, "X-Forwarded-For", v)
			}
			if r := e.via(t, proxy, list, h...); r.status != http.StatusTooManyRequests {
				t.Errorf("X-Forwarded-For %q: %d, want 429 for 203.0.113.7", xff, r.status)
			} else {
				wantSlowed(t, r, window)
			}
		}
		// Another client behind the same proxy, and the proxy itself, are not slowed.
		expect(t, e.via(t, proxy, list, append(good(hoa), "X-Forwarded-For", "203.0.113.8")...), http.StatusOK)
		expect(t, e.via(t, proxy, list, append(good(hoa), "X-Forwarded-For", "203.0.113.70, 203.0.113.8")...), http.StatusOK)
		expect(t, e.via(t, proxy, list, good(reviewer)...), http.StatusOK)

		// An IPv6 client is counted by its /64: a new address per guess
		// does not escape.
		for i := range httpapi.AuthFailureLimit {
			addr := "2001:db8:1:2::" + strconv.FormatInt(int64(i+1), 16)
			expect(t, e.via(t, proxy, list, "Authorization", badToken, "X-Forwarded-For", addr), http.StatusUnauthorized)
		}
		wantSlowed(t, e.via(t, proxy, list, append(good(hoa), "X-Forwarded-For", "2001:db8:1:2:ffff::1")...), window)
		expect(t, e.via(t, proxy, list, append(good(hoa), "X-Forwarded-For", "2001:db8:1:3::1")...), http.StatusOK)
		if t.Failed() {
			return
		}
		if r := e.via(t, proxy, list, append(good(hoa), "X-Forwarded-For", "203.0.113.7")...); !strings.Contains(string(r.body), "retry in") {
			t.Errorf("the 429 should say when to retry: %s", r.body)
		}
	})
}
