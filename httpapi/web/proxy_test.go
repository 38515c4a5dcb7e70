package web_test

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// setCookie returns the Set-Cookie line of the cookie name in h, or "".
func setCookie(h http.Header, name string) string {
	for _, c := range h.Values("Set-Cookie") {
		if strings.HasPrefix(c, name+"=") {
			return c
		}
	}
	return ""
}

// TestSecureCookies: the cookies are Secure when the request came over
// TLS to a trusted proxy that says so with X-Forwarded-Proto, and not
// when any other peer sends that header.
func TestSecureCookies(t *testing.T) {
	t.Parallel()
	// httptest serves on loopback: the test's client is the "proxy".
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	trusting := newSite(t, dbtest.Open(t, db.SQLite), siteOptions{trusted: loopback})
	untrusting := newSite(t, dbtest.Open(t, db.SQLite))

	for _, tc := range []struct {
		name       string
		s          *site
		proto      []string
		wantSecure bool
	}{
		{"TrustedProxyHTTPS", trusting, []string{"https"}, true},
		{"TrustedProxyChainNearestHTTPS", trusting, []string{"http, https"}, true},
		{"TrustedProxyHTTP", trusting, []string{"http"}, false},
		{"TrustedProxyNoHeader", trusting, nil, false},
		{"UntrustedPeerHTTPS", untrusting, []string{"https"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.s.browser(t)
			b.c.Jar = nil // cookies by hand: a jar keeps Secure ones from plain HTTP
			var header []string
			for _, p := range tc.proto {
				header = append(header, "X-Forwarded-Proto", p)
			}
			check := func(what, line string) {
				t.Helper()
				if line == "" {
					t.Fatalf("%s: no cookie set", what)
				}
				if got := strings.Contains(line, "; Secure"); got != tc.wantSecure {
					t.Errorf("%s: %q, Secure %v, want %v", what, line, got, tc.wantSecure)
				}
			}
			form := b.do(http.MethodGet, "/signin?lang=en", nil, header...)
			check("the language cookie", setCookie(form.header, "lang"))
			signinLine := setCookie(form.header, "appraisal_signin")
			check("the sign-in form's cookie", signinLine)
			m := csrfInput.FindStringSubmatch(form.body)
			if m == nil {
				t.Fatalf("no CSRF token in the sign-in form:\n%s", form.body)
			}
			vals := url.Values{"email": {people["reviewer"].Email}, "password": {password}, "csrf": {m[1]}}
			p := b.do(http.MethodPost, "/signin", vals, append(header, "Cookie", strings.SplitN(signinLine, ";", 2)[0])...)
			if p.status != http.StatusSeeOther {
				t.Fatalf("sign-in: %d\n%s", p.status, p.body)
			}
			session := setCookie(p.header, "appraisal_session")
			check("the session cookie", session)
			check("the cleared sign-in cookie", setCookie(p.header, "appraisal_signin"))
			out := b.do(http.MethodGet, "/queue", nil, append(header, "Cookie", strings.SplitN(session, ";", 2)[0])...)
			if out.status != http.StatusOK {
				t.Errorf("the queue with the session: %d", out.status)
			}
		})
	}
}
