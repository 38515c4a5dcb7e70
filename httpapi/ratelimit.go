package httpapi

import (
	"container/list"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// Failed authentication is slowed per client address: once an address has
// failed AuthFailureLimit times within AuthFailureWindow, its requests that
// carry credentials are answered 429 until the oldest of those failures is
// a window old. Tokens have 256 bits, so this does not protect them; it
// keeps a guessing client from costing a database lookup per guess.
const (
	AuthFailureLimit  = 10
	AuthFailureWindow = time.Minute
	// authClientsTracked bounds the memory: about 400 bytes an address.
	authClientsTracked = 10_000
)

// authFailures is a sliding-window counter of failed authentications per
// client. Safe for concurrent use.
type authFailures struct {
	limit    int
	window   time.Duration
	capacity int
	now      func() time.Time

	mu      sync.Mutex
	clients map[netip.Addr]*list.Element // of *failureLog
	// byLastFailure orders clients by their latest failure, oldest first:
	// the front is both the first to expire and the one to evict.
	byLastFailure *list.List
}

// failureLog is one client's latest failures, at most limit, oldest first.
type failureLog struct {
	client netip.Addr
	times  []time.Time
}

func newAuthFailures(limit int, window time.Duration, capacity int, now func() time.Time) *authFailures {
	if now == nil {
		now = time.Now
	}
	return &authFailures{limit: limit, window: window, capacity: capacity, now: now,
		clients: map[netip.Addr]*list.Element{}, byLastFailure: list.New()}
}

// retryAfter returns how long client must wait before its credentials are
// looked at again; 0 when they are looked at now.
func (a *authFailures) retryAfter(client netip.Addr) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	el, ok := a.clients[client]
	if !ok {
		return 0
	}
	f := el.Value.(*failureLog)
	if len(f.times) < a.limit {
		return 0
	}
	return max(0, f.times[0].Add(a.window).Sub(a.now()))
}

// fail records a failed authentication by client and reports whether that
// failure reached the limit.
func (a *authFailures) fail(client netip.Addr) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Read the clock under the lock, so byLastFailure stays in time order.
	now := a.now()
	a.forgetExpired(now)
	el, ok := a.clients[client]
	if ok {
		a.byLastFailure.MoveToBack(el)
	} else {
		if len(a.clients) >= a.capacity {
			oldest := a.byLastFailure.Front()
			delete(a.clients, oldest.Value.(*failureLog).client)
			a.byLastFailure.Remove(oldest)
		}
		el = a.byLastFailure.PushBack(&failureLog{client: client, times: make([]time.Time, 0, a.limit)})
		a.clients[client] = el
	}
	f := el.Value.(*failureLog)
	if len(f.times) == a.limit {
		f.times = append(f.times[:0], f.times[1:]...)
	}
	f.times = append(f.times, now)
	return len(f.times) == a.limit && now.Sub(f.times[0]) < a.window
}

// forgetExpired drops the clients whose latest failure is a window old:
// they can be blocked no longer.
func (a *authFailures) forgetExpired(now time.Time) {
	for el := a.byLastFailure.Front(); el != nil; el = a.byLastFailure.Front() {
		f := el.Value.(*failureLog)
		if now.Sub(f.times[len(f.times)-1]) < a.window {
			return
		}
		delete(a.clients, f.client)
		a.byLastFailure.Remove(el)
	}
}

// tracked is how many clients are remembered.
func (a *authFailures) tracked() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.clients)
}

// ParseTrustedProxies reads a comma-separated list of CIDRs (a bare
// address is its own /32 or /128), as --trusted-proxies takes it.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var proxies []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := netip.ParsePrefix(part)
		if err != nil {
			addr, addrErr := netip.ParseAddr(part)
			if addrErr != nil || addr.Zone() != "" {
				return nil, fmt.Errorf("trusted proxy %q is not a CIDR such as 10.0.0.0/8 or fd00::/8, nor an address", part)
			}
			p = netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), max(0, p.Bits()-96))
		}
		proxies = append(proxies, p.Masked())
	}
	return proxies, nil
}

// clientResolver finds who sent a request: the TCP peer, or, when the peer
// is a trusted proxy, the address X-Forwarded-For names.
type clientResolver struct {
	trusted []netip.Prefix
}

func (c clientResolver) isTrusted(a netip.Addr) bool {
	for _, p := range c.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// client returns r's client address. X-Forwarded-For is read right to
// left, since each trusted proxy appends the peer it saw: the first address
// that is not a trusted proxy is the client; what lies left of it is the
// client's to write and is ignored.
func (c clientResolver) client(r *http.Request) netip.Addr {
	client := parseClientAddr(r.RemoteAddr)
	if !c.isTrusted(client) {
		return client
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := parseClientAddr(strings.TrimSpace(hops[i]))
		if !hop.IsValid() {
			break // a trusted proxy wrote garbage: keep the last hop known
		}
		client = hop
		if !c.isTrusted(hop) {
			break
		}
	}
	return client
}

// parseClientAddr reads "addr", "addr:port" or "[addr]:port"; the zero
// Addr if it is none of them.
func parseClientAddr(s string) netip.Addr {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return netip.Addr{}
		}
		addr = ap.Addr()
	}
	return addr.WithZone("").Unmap()
}

// limitKey is what failures are counted by: an IPv6 client by its /64, as
// one subscriber commonly holds a whole /64 and could take a new address
// per guess.
func limitKey(a netip.Addr) netip.Addr {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}
