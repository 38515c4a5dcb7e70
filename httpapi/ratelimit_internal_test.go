package httpapi

import (
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestAuthFailuresSlidingWindowAndMemoryBound(t *testing.T) {
	now := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	a := newAuthFailures(3, time.Minute, 4, func() time.Time { return now })
	client := netip.MustParseAddr("192.0.2.1")

	// Three failures spread over 50 s reach the limit of 3 a minute.
	for i, reached := range []bool{false, false, true} {
		if got := a.fail(client); got != reached {
			t.Fatalf("failure %d: reached %v, want %v", i+1, got, reached)
		}
		if i < 2 {
			if w := a.retryAfter(client); w != 0 {
				t.Fatalf("after %d failures: wait %s, want none", i+1, w)
			}
			now = now.Add(25 * time.Second)
		}
	}
	// Blocked until the first failure is a minute old: 10 s more.
	if w := a.retryAfter(client); w != 10*time.Second {
		t.Fatalf("wait %s, want 10s", w)
	}
	now = now.Add(10 * time.Second)
	if w := a.retryAfter(client); w != 0 {
		t.Fatalf("a minute after the first failure: wait %s, want none", w)
	}
	// The window slides: the two later failures and a new one are 3 within
	// a minute again.
	if !a.fail(client) {
		t.Fatal("a failure with two others in the last minute should reach the limit")
	}
	if w := a.retryAfter(client); w != 25*time.Second {
		t.Fatalf("wait %s, want 25s (until the second failure, 25 s in, is a minute old)", w)
	}

	// At most 4 clients are remembered: the one that failed longest ago goes.
	for i := 2; i <= 5; i++ {
		now = now.Add(time.Second)
		a.fail(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}))
	}
	if n := a.tracked(); n != 4 {
		t.Fatalf("%d clients tracked, want the cap of 4", n)
	}
	if w := a.retryAfter(client); w != 0 {
		t.Fatalf("the evicted client must wait %s, want none", w)
	}
	// Clients whose last failure is a window old are forgotten.
	now = now.Add(time.Minute)
	a.fail(netip.MustParseAddr("198.51.100.1"))
	if n := a.tracked(); n != 1 {
		t.Fatalf("%d clients tracked a minute after their failures, want 1", n)
	}
	// Many clients at once stay within the cap.
	big := newAuthFailures(AuthFailureLimit, AuthFailureWindow, authClientsTracked, func() time.Time { return now })
	for i := range 3 * authClientsTracked {
		big.fail(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}))
	}
	if n := big.tracked(); n != authClientsTracked {
		t.Fatalf("%d clients tracked, want the cap of %d", n, authClientsTracked)
	}
}

func TestClientAddress(t *testing.T) {
	proxies, err := ParseTrustedProxies(" 10.0.0.0/8, 192.0.2.7 ,fd00::/8,")
	if err != nil {
		t.Fatal(err)
	}
	trusting := clientResolver{trusted: proxies}
	for _, c := range []struct {
		name     string
		resolver clientResolver
		peer     string
		xff      []string
		want     string
	}{
		{"the peer", trusting, "198.51.100.4:5555", nil, "198.51.100.4"},
		{"an untrusted peer's X-Forwarded-For is ignored", trusting, "198.51.100.4:5555", []string{"203.0.113.9"}, "198.51.100.4"},
		{"no proxies trusted by default", clientResolver{}, "10.1.2.3:5555", []string{"203.0.113.9"}, "10.1.2.3"},
		{"a trusted proxy names the client", trusting, "10.1.2.3:5555", []string{"203.0.113.9"}, "203.0.113.9"},
		{"a bare trusted address", trusting, "192.0.2.7:5555", []string{"203.0.113.9"}, "203.0.113.9"},
		{"what the client wrote is ignored", trusting, "10.1.2.3:5555", []string{"1.1.1.1, 203.0.113.9"}, "203.0.113.9"},
		{"a chain of trusted proxies", trusting, "10.1.2.3:5555", []string{"1.1.1.1, 203.0.113.9", "10.9.9.9"}, "203.0.113.9"},
		{"every hop trusted", trusting, "10.1.2.3:5555", []string{"10.4.4.4, 10.5.5.5"}, "10.4.4.4"},
		{"no X-Forwarded-For: the proxy", trusting, "10.1.2.3:5555", nil, "10.1.2.3"},
		{"garbage: the last hop known", trusting, "10.1.2.3:5555", []string{"203.0.113.9, not-an-address"}, "10.1.2.3"},
		{"a hop with a port", trusting, "10.1.2.3:5555", []string{"203.0.113.9:4711"}, "203.0.113.9"},
		{"IPv6 through an IPv6 proxy", trusting, "[fd00::1]:5555", []string{"2001:db8::5"}, "2001:db8::5"},
		{"IPv6 with a port", trusting, "[fd00::1]:5555", []string{"[2001:db8::5]:443"}, "2001:db8::5"},
		{"an IPv4-mapped peer", trusting, "[::ffff:10.1.2.3]:5555", []string{"203.0.113.9"}, "203.0.113.9"},
	} {
		r := httptest.NewRequest("GET", "/api/v1/appraisals", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := c.resolver.client(r); got != netip.MustParseAddr(c.want) {
			t.Errorf("%s: client %s, want %s", c.name, got, c.want)
		}
	}

	// IPv6 clients are counted by their /64.
	if limitKey(netip.MustParseAddr("2001:db8:1:2:aaaa::1")) != limitKey(netip.MustParseAddr("2001:db8:1:2:bbbb::2")) ||
		limitKey(netip.MustParseAddr("2001:db8:1:2::1")) == limitKey(netip.MustParseAddr("2001:db8:1:3::1")) ||
		limitKey(netip.MustParseAddr("192.0.2.1")) == limitKey(netip.MustParseAddr("192.0.2.2")) {
		t.Error("IPv6 addresses should be counted by their /64, IPv4 addresses one by one")
	}

	for _, bad := range []string{"10.0.0.0/33", "ten", "10.0.0.1/8/8", "fe80::1%eth0", "10.0.0.0/8 192.0.2.1"} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q): no error", bad)
		}
	}
	if p, err := ParseTrustedProxies(""); err != nil || len(p) != 0 {
		t.Errorf("ParseTrustedProxies(\"\") = %v, %v; want none", p, err)
	}
}
