package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/appraisal/appraisal/engine"
)

func TestSignIn(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, s *site) {
		t.Run("NoSessionRedirectsToSignIn", func(t *testing.T) {
			b := s.browser(t)
			for _, path := range []string{"/my", "/queue", "/dossiers/new", "/dossiers/1", "/dashboard", "/form07", "/form07.xlsx", "/admin/users"} {
				p := b.get(path)
				if want := "/signin?next=" + url.QueryEscape(path); p.status != http.StatusSeeOther || p.header.Get("Location") != want {
					t.Errorf("GET %s without a session: %d to %q, want 303 to %q", path, p.status, p.header.Get("Location"), want)
				}
			}
			if p := b.get("/"); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
				t.Errorf("GET / without a session: %d to %q", p.status, p.header.Get("Location"))
			}
		})

		t.Run("OK", func(t *testing.T) {
			b := s.browser(t)
			p := b.post("/signin?next=%2Fqueue", "/signin", url.Values{"email": {"Reviewer@SKHCN.example.vn"}, "password": {password}, "next": {"/queue"}})
			if p.status != http.StatusSeeOther || p.header.Get("Location") != "/queue" {
				t.Fatalf("sign-in: %d to %q, want 303 to /queue", p.status, p.header.Get("Location"))
			}
			cookie := p.header.Get("Set-Cookie")
			for _, want := range []string{"appraisal_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
				if !strings.Contains(cookie, want) {
					t.Errorf("session cookie %q lacks %s", cookie, want)
				}
			}
			if q := b.get("/queue"); q.status != http.StatusOK || !strings.Contains(q.body, people["reviewer"].Name) {
				t.Errorf("the queue after sign-in: %d", q.status)
			}
			// Sign-out ends the session: the same cookie is refused afterwards.
			old := b.c.Jar.Cookies(mustURL(s.srv.URL))
			out := b.post("/queue", "/signout", url.Values{})
			if out.status != http.StatusSeeOther || !strings.HasPrefix(out.header.Get("Location"), "/signin") {
				t.Fatalf("sign-out: %d to %q", out.status, out.header.Get("Location"))
			}
			replay := s.browser(t)
			replay.c.Jar.SetCookies(mustURL(s.srv.URL), old)
			if p := replay.get("/queue"); p.status != http.StatusSeeOther {
				t.Errorf("the signed-out session's cookie still works: %d", p.status)
			}
		})

		t.Run("NextStaysOnTheSite", func(t *testing.T) {
			for _, next := range []string{"//evil.example", "https://evil.example/", "/\\evil.example"} {
				b := s.browser(t)
				p := b.post("/signin", "/signin", url.Values{"email": {people["reviewer"].Email}, "password": {password}, "next": {next}})
				if p.header.Get("Location") != "/queue" {
					t.Errorf("next=%q: sent to %q, want /queue", next, p.header.Get("Location"))
				}
			}
		})

		t.Run("ErrWrongPassword", func(t *testing.T) {
			b := s.browser(t)
			p := b.post("/signin", "/signin", url.Values{"email": {people["applicant"].Email}, "password": {"sai mật khẩu rồi"}})
			if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Email hoặc mật khẩu không đúng.") ||
				!strings.Contains(p.body, `value="an@example.vn"`) {
				t.Errorf("wrong password: %d, want 401, the message and the email kept\n%s", p.status, p.body)
			}
			if strings.Contains(p.header.Get("Set-Cookie"), "appraisal_session=") && !strings.Contains(p.header.Get("Set-Cookie"), "Max-Age=0") {
				t.Error("a failed sign-in set a session cookie")
			}
			// The form comes back as a page: no HTTP challenge (docs/web.md),
			// never cached, the password not echoed and focused, and a fresh
			// token so the next try goes through.
			if h := p.header.Get("WWW-Authenticate"); h != "" {
				t.Errorf("WWW-Authenticate %q on the sign-in form", h)
			}
			if ct, cc := p.header.Get("Content-Type"), p.header.Get("Cache-Control"); ct != "text/html; charset=utf-8" || cc != "no-store" {
				t.Errorf("wrong password: Content-Type %q, Cache-Control %q", ct, cc)
			}
			if strings.Contains(p.body, "sai mật khẩu rồi") || !regexp.MustCompile(`<input id="password"[^>]*autofocus aria-invalid="true" aria-describedby="page-error"`).MatchString(p.body) ||
				!strings.Contains(p.body, `id="page-error"`) || regexp.MustCompile(`<input id="email"[^>]*autofocus`).MatchString(p.body) {
				t.Errorf("wrong password: the password is echoed or the focus is not on it\n%s", p.body)
			}
			if !strings.Contains(p.header.Get("Set-Cookie"), "appraisal_signin=") {
				t.Error("wrong password: no fresh sign-in token")
			}
			retry := csrfInput.FindStringSubmatch(p.body)
			if retry == nil {
				t.Fatal("wrong password: no token in the form")
			}
			if again := b.do(http.MethodPost, "/signin", url.Values{"email": {people["applicant"].Email}, "password": {password}, "csrf": {retry[1]}}); again.status != http.StatusSeeOther {
				t.Errorf("the right password from the returned form: %d, want 303", again.status)
			}
			unknown := s.browser(t).post("/signin", "/signin", url.Values{"email": {"nobody@example.vn"}, "password": {password}})
			if unknown.status != http.StatusUnauthorized || !strings.Contains(unknown.body, "Email hoặc mật khẩu không đúng.") {
				t.Errorf("unknown email: %d, want 401 and the same message", unknown.status)
			}
		})

		t.Run("ErrCSRF", func(t *testing.T) {
			b := s.browser(t)
			p := b.do(http.MethodPost, "/signin", url.Values{"email": {people["applicant"].Email}, "password": {password}})
			if p.status != http.StatusForbidden {
				t.Errorf("sign-in without the form's token: %d, want 403", p.status)
			}
			b.signIn("applicant")
			for _, form := range []url.Values{dossierForm("Không có mã"), func() url.Values {
				f := dossierForm("Mã sai")
				f.Set("csrf", "not-the-token")
				return f
			}()} {
				if p := b.do(http.MethodPost, "/dossiers", form); p.status != http.StatusForbidden {
					t.Errorf("POST /dossiers with csrf %q: %d, want 403", form.Get("csrf"), p.status)
				}
			}
			if p := b.do(http.MethodPost, "/signout", url.Values{}); p.status != http.StatusForbidden {
				t.Errorf("sign-out without the token: %d, want 403", p.status)
			}
			// Another session's token is not this one's.
			other := s.signedIn(t, "other")
			f := dossierForm("Mã của người khác")
			f.Set("csrf", other.csrf("/my"))
			if p := b.do(http.MethodPost, "/dossiers", f); p.status != http.StatusForbidden {
				t.Errorf("POST with another session's token: %d, want 403", p.status)
			}
			if list, err := s.db.Appraisals(context.Background(), engine.ListFilter{Limit: 10}); err != nil || len(list) != 0 {
				t.Errorf("refused forms wrote %d dossiers (%v)", len(list), err)
			}
		})

		t.Run("ErrTooManyFailures", func(t *testing.T) {
			b := s.browser(t)
			var last page
			for range 11 {
				last = b.post("/signin", "/signin", url.Values{"email": {people["admin"].Email}, "password": {"đoán-mò-mật-khẩu"}})
			}
			if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
				t.Errorf("the 11th failed sign-in: %d, Retry-After %q; want 429", last.status, last.header.Get("Retry-After"))
			}
			// Even the right password waits now.
			if p := b.post("/signin", "/signin", url.Values{"email": {people["admin"].Email}, "password": {password}}); p.status != http.StatusTooManyRequests {
				t.Errorf("right password while slowed: %d, want 429", p.status)
			}
		})
	})
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// TestPagePermissions: who may see which page.
func TestPagePermissions(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, s *site) {
		browsers := map[string]*browser{}
		for who := range people {
			browsers[who] = s.signedIn(t, who)
		}
		mine := browsers["applicant"].submit("Nhà máy của An")
		theirs := browsers["other"].submit("Nhà máy của Bình")
		pages := []struct {
			path string
			// status per person; absent is 403
			ok map[string]int
		}{
			{"/my", map[string]int{"applicant": 200, "other": 200}},
			{"/dossiers/new", map[string]int{"applicant": 200, "other": 200}},
			{"/queue", map[string]int{"reviewer": 200, "appraiser": 200, "admin": 200}},
			{"/queue?state=submitted&q=nha+may", map[string]int{"reviewer": 200, "appraiser": 200, "admin": 200}},
			{"/dashboard", map[string]int{"reviewer": 200, "appraiser": 200, "admin": 200}},
			{"/form07", map[string]int{"reviewer": 200, "appraiser": 200, "admin": 200}},
			{"/form07.xlsx?year=2026", map[string]int{"reviewer": 200, "appraiser": 200, "admin": 200}},
			{"/admin/users", map[string]int{"admin": 200}},
			{mine, map[string]int{"applicant": 200, "other": 404, "reviewer": 200, "appraiser": 200, "admin": 200}},
			{mine + "/receipt", map[string]int{"applicant": 200, "other": 404, "reviewer": 200, "appraiser": 200, "admin": 200}},
			{mine + "/diagram.svg", map[string]int{"applicant": 200, "other": 404, "reviewer": 200, "appraiser": 200, "admin": 200}},
			{theirs, map[string]int{"applicant": 404, "other": 200, "reviewer": 200, "appraiser": 200, "admin": 200}},
			{"/dossiers/999999", map[string]int{"applicant": 404, "other": 404, "reviewer": 404, "appraiser": 404, "admin": 404}},
		}
		for _, pg := range pages {
			for who, b := range browsers {
				want, ok := pg.ok[who]
				if !ok {
					want = http.StatusForbidden
				}
				if p := b.get(pg.path); p.status != want {
					t.Errorf("%s GET %s: %d, want %d", who, pg.path, p.status, want)
				}
			}
		}
		// The applicant's list holds their own dossier only.
		if p := browsers["applicant"].get("/my"); !strings.Contains(p.body, "Nhà máy của An") || strings.Contains(p.body, "Nhà máy của Bình") {
			t.Errorf("the applicant's list shows someone else's dossier, or not theirs")
		}
		// Staff may not submit; an applicant may not act on another's dossier.
		if p := browsers["reviewer"].post("/queue", "/dossiers", dossierForm("Của chuyên viên")); p.status != http.StatusForbidden {
			t.Errorf("reviewer POST /dossiers: %d, want 403", p.status)
		}
		if p := browsers["applicant"].post("/my", theirs+"/transitions", url.Values{"trigger": {"withdraw"}, "version": {"1"}}); p.status != http.StatusNotFound {
			t.Errorf("withdrawing another's dossier: %d, want 404", p.status)
		}
		// A role that may not fire a trigger is refused, and nothing changes.
		p := browsers["appraiser"].post("/queue", mine+"/transitions", url.Values{"trigger": {"review"}, "version": {"1"}})
		if p.status == http.StatusSeeOther || p.status >= 500 {
			t.Errorf("appraiser firing review: %d, want a refusal", p.status)
		}
		if p := browsers["admin"].post("/admin/users", "/admin/users", url.Values{"name": {"Người mới"}, "role": {"reviewer"},
			"email": {"moi@skhcn.example.vn"}, "password": {"một mật khẩu dài"}}); p.status != http.StatusSeeOther {
			t.Errorf("admin adds a user: %d\n%s", p.status, p.body)
		}
		if p := browsers["reviewer"].post("/queue", "/admin/users", url.Values{"name": {"Kẻ lạ"}, "role": {"admin"},
			"email": {"la@example.vn"}, "password": {"một mật khẩu dài"}}); p.status != http.StatusForbidden {
			t.Errorf("reviewer adds a user: %d, want 403", p.status)
		}
	})
}

// TestForms: the new-dossier form keeps what was typed and names each bad
// field; action forms ask for what the workflow requires; languages.
func TestForms(t *testing.T) {
	t.Parallel()
	eachEngine(t, func(t *testing.T, s *site) {
		applicant, reviewer := s.signedIn(t, "applicant"), s.signedIn(t, "reviewer")

		t.Run("ErrInvalidDossierKeepsInput", func(t *testing.T) {
			form := dossierForm("Dự án <thử> & \"nháy\"")
			form.Set("investor", "  ")
			form.Set("sector", "Z99")
			form.Set("capital_vnd", "một trăm tỷ")
			form.Set("project_group", "")
			p := applicant.post("/dossiers/new", "/dossiers", form)
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("invalid form: %d, want 422", p.status)
			}
			for _, f := range []string{"investor", "sector", "capital_vnd", "project_group"} {
				if !strings.Contains(p.body, `id="f-`+f+`-error"`) {
					t.Errorf("no message at field %s", f)
				}
			}
			for _, f := range []string{"project_name", "technology", "stage", "ownership", "locality", "investor_country"} {
				if strings.Contains(p.body, `id="f-`+f+`-error"`) {
					t.Errorf("a message at valid field %s", f)
				}
			}
			for _, want := range []string{`value="Dự án &lt;thử&gt; &amp; &#34;nháy&#34;"`, `value="Z99"`, `value="một trăm tỷ"`, `value="Xã Đông Anh"`,
				`<option value="decision" selected>`, "Thiết bị hàn dán linh kiện bề mặt (SMT) tự động</textarea>"} {
				if !strings.Contains(p.body, want) {
					t.Errorf("the refused form lost %s", want)
				}
			}
			if list, _ := s.db.Appraisals(context.Background(), engine.ListFilter{Limit: 5}); len(list) != 0 {
				t.Errorf("a refused form wrote %d dossiers", len(list))
			}
		})

		t.Run("ActionsAskForWhatTheyNeed", func(t *testing.T) {
			path := applicant.submit("Nhà máy thử nghiệm")
			p := reviewer.get(path)
			for _, want := range []string{`id="action-review"`, `id="action-request_supplement"`, `id="action-reject"`,
				`<textarea id="comment-request_supplement" name="comment" rows="2" required>`, `src="` + path + `/diagram.svg"`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("the reviewer's dossier page lacks %s", want)
				}
			}
			if strings.Contains(applicant.get(path).body, `id="action-review"`) {
				t.Error("the applicant is offered review")
			}
			// A required comment left out: 422 at the form, nothing fired.
			r := reviewer.fire(path, "request_supplement", nil)
			if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Thao tác này cần ý kiến") {
				t.Errorf("request_supplement without a comment: %d", r.status)
			}
			ok := reviewer.fire(path, "request_supplement", url.Values{"comment": {"Bổ sung hợp đồng."}})
			if ok.status != http.StatusSeeOther {
				t.Fatalf("request_supplement: %d\n%s", ok.status, ok.body)
			}
			// A stale form (the version moved on) is refused with 412 or 409.
			stale := reviewer.do(http.MethodPost, path+"/transitions", url.Values{"csrf": {reviewer.csrf(path)},
				"trigger": {"reject"}, "version": {"1"}, "comment": {"Muộn"}})
			if stale.status != http.StatusPreconditionFailed && stale.status != http.StatusConflict {
				t.Errorf("a stale form: %d, want 412 or 409", stale.status)
			}
			if p := applicant.get(path); !strings.Contains(p.body, `id="action-resubmit"`) || !strings.Contains(p.body, "Trả lại để bổ sung") {
				t.Error("the applicant is not offered resubmit on a returned dossier")
			}
			if p := applicant.get(path + "/receipt"); !strings.Contains(p.body, "SKHCN-") || !strings.Contains(p.body, `id="receipt-due"`) {
				t.Error("the receipt lacks the code or the due date")
			}
		})

		t.Run("Languages", func(t *testing.T) {
			b := s.browser(t)
			if p := b.get("/signin"); !strings.Contains(p.body, `<html lang="vi">`) || !strings.Contains(p.body, "Đăng nhập") {
				t.Error("the default language is not Vietnamese")
			}
			if p := b.do(http.MethodGet, "/signin", nil, "Accept-Language", "en-GB,en;q=0.9"); !strings.Contains(p.body, `<html lang="en">`) {
				t.Error("Accept-Language: en does not give English")
			}
			if p := b.get("/signin?lang=en"); !strings.Contains(p.body, "Sign in") {
				t.Error("?lang=en does not give English")
			}
			if p := b.do(http.MethodGet, "/signin", nil, "Accept-Language", "vi"); !strings.Contains(p.body, `<html lang="en">`) {
				t.Error("the language chosen is not remembered over Accept-Language")
			}
			p := reviewer.get("/queue?lang=en")
			for _, want := range []string{"Work queue", `<meta name="viewport"`, `<label for="q">`} {
				if !strings.Contains(p.body, want) {
					t.Errorf("the English queue lacks %s", want)
				}
			}
			if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("pages' CSP = %q", csp)
			}
		})
	})
}
