package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// TestNotFound: an unknown address is a translated HTML page for a
// browser, and the API's problem document under /api/ or for a client
// that asks for JSON.
func TestNotFound(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbtest.Open(t, db.SQLite))
	const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	var anon *browser // a fresh one each time: ?lang= is remembered
	reviewer := s.signedIn(t, "reviewer")
	for _, tc := range []struct {
		name   string
		b      *browser
		method string
		path   string
		header []string
		html   string // the message of the page, or "" for a problem document
	}{
		{"Page", anon, "GET", "/khong-co-trang-nay", []string{"Accept", browserAccept}, "Không tìm thấy trang hoặc hồ sơ."},
		{"PageEnglish", anon, "GET", "/no/such/page?lang=en", []string{"Accept", browserAccept}, "No such page or dossier."},
		{"PageAcceptLanguage", anon, "GET", "/no/such/page", []string{"Accept", browserAccept, "Accept-Language", "en-GB,en;q=0.9"}, "No such page or dossier."},
		{"PageAnyAccept", anon, "GET", "/nothing", []string{"Accept", "*/*"}, "Không tìm thấy trang hoặc hồ sơ."},
		{"PagePost", anon, "POST", "/nothing", []string{"Accept", browserAccept}, "Không tìm thấy trang hoặc hồ sơ."},
		{"PageSignedIn", reviewer, "GET", "/queue/nothing", []string{"Accept", browserAccept}, people["reviewer"].Name},
		{"ProblemAPI", anon, "GET", "/api/v1/nothing", []string{"Accept", browserAccept}, ""},
		{"ProblemAPIDoubleSlash", anon, "GET", "//api/v1/appraisals", nil, ""},
		{"ProblemAcceptJSON", anon, "GET", "/nothing", []string{"Accept", "application/json"}, ""},
		{"ProblemAcceptProblemJSON", reviewer, "GET", "/nothing", []string{"Accept", "application/problem+json"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			if b == nil {
				b = s.browser(t)
			}
			p := b.do(tc.method, tc.path, nil, tc.header...)
			if p.status != http.StatusNotFound {
				t.Fatalf("%s %s: %d, want 404\n%s", tc.method, tc.path, p.status, p.body)
			}
			if p.header.Get("X-Request-Id") == "" || p.header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("the 404 lacks the middleware's headers: %v", p.header)
			}
			ct := p.header.Get("Content-Type")
			if tc.html == "" {
				if ct != "application/problem+json" || !strings.Contains(p.body, `"status":404`) {
					t.Errorf("want a problem document, got %q:\n%s", ct, p.body)
				}
				return
			}
			if ct != "text/html; charset=utf-8" || !strings.Contains(p.body, "<!doctype html>") || !strings.Contains(p.body, tc.html) {
				t.Errorf("want the HTML page with %q, got %q:\n%s", tc.html, ct, p.body)
			}
			if !strings.Contains(p.header.Get("Content-Security-Policy"), "style-src 'self'") {
				t.Errorf("the 404 page's CSP is %q, want the pages'", p.header.Get("Content-Security-Policy"))
			}
			if !strings.Contains(p.header.Get("Vary"), "Accept") {
				t.Errorf("Vary %q lacks Accept", p.header.Get("Vary"))
			}
		})
	}
}
