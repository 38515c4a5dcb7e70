package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/httpapi"
	"github.com/appraisal/appraisal/httpapi/web"
	"github.com/appraisal/appraisal/workflows"
)

// The people of every test site, who sign in with email and password.
type person struct {
	Name, Email string
	Role        engine.Role
}

const password = "mật-khẩu-thử-nghiệm"

var people = map[string]person{
	"applicant": {"Công ty Cổ phần Điện tử Hà Nội", "an@example.vn", engine.RoleApplicant},
	"other":     {"Công ty TNHH Cơ khí Đông Anh", "binh@example.vn", engine.RoleApplicant},
	"reviewer":  {"Trần Thị Bình", "reviewer@skhcn.example.vn", engine.RoleReviewer},
	"appraiser": {"Lê Văn Cường", "appraiser@skhcn.example.vn", engine.RoleAppraiser},
	"admin":     {"Quản Trị Viên", "admin@skhcn.example.vn", engine.RoleAdmin},
}

// passwordHash is computed once: argon2id costs tens of milliseconds.
var passwordHash = func() string {
	h, err := engine.HashPassword(password)
	if err != nil {
		panic(err)
	}
	return h
}()

// site is the API and the pages on a fresh database, served over HTTP.
type site struct {
	srv    *httptest.Server
	db     *db.DB
	actors map[string]engine.Actor
}

// siteOptions change a test site from the defaults.
type siteOptions struct {
	// now is the pages' and the API's clock; nil is time.Now.
	now func() time.Time
	// trusted are the API's trusted proxies.
	trusted []netip.Prefix
	// listScan, when set, is web.SetListScan's bound.
	listScan int
}

func newSite(t testing.TB, d *db.DB, opts ...siteOptions) *site {
	t.Helper()
	var o siteOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	catalog := workflows.Embedded()
	log := slog.New(slog.DiscardHandler)
	pages, err := web.New(web.Config{Store: d, Catalog: catalog, UnitCode: "SKHCN", Logger: log, Now: o.now})
	if err != nil {
		t.Fatal(err)
	}
	if o.listScan != 0 {
		web.SetListScan(pages, o.listScan)
	}
	api, err := httpapi.New(httpapi.Config{Store: d, Catalog: catalog, UnitCode: "SKHCN", Pages: pages, Logger: log,
		Now: o.now, TrustedProxies: o.trusted})
	if err != nil {
		t.Fatal(err)
	}
	s := &site{srv: httptest.NewServer(api), db: d, actors: map[string]engine.Actor{}}
	t.Cleanup(s.srv.Close)
	for key, p := range people {
		_, tokenHash := engine.NewToken()
		a, err := d.CreateUserWithPassword(context.Background(), p.Name, p.Role, tokenHash, p.Email, passwordHash)
		if err != nil {
			t.Fatal(err)
		}
		s.actors[key] = a
	}
	return s
}

// eachEngine runs fn on a fresh site on each database engine.
func eachEngine(t *testing.T, fn func(t *testing.T, s *site)) {
	t.Helper()
	for _, e := range dbtest.Engines {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			fn(t, newSite(t, dbtest.Open(t, e)))
		})
	}
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t    testing.TB
	s    *site
	c    *http.Client
	lang string
}

func (s *site) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, s: s, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, header ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(data)}
}

func (b *browser) get(path string) page { b.t.Helper(); return b.do(http.MethodGet, path, nil) }

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of the forms of the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := csrfInput.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("GET %s: %d, no CSRF token in the page:\n%s", path, p.status, p.body)
	}
	return m[1]
}

// post sends a form from the page at from, with that page's CSRF token.
func (b *browser) post(from, path string, form url.Values) page {
	b.t.Helper()
	form.Set("csrf", b.csrf(from))
	return b.do(http.MethodPost, path, form)
}

// signIn signs in as one of people and returns where it was sent.
func (b *browser) signIn(who string) page {
	b.t.Helper()
	p := b.post("/signin", "/signin", url.Values{"email": {people[who].Email}, "password": {password}})
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("signing in as %s: %d\n%s", who, p.status, p.body)
	}
	return p
}

func (s *site) signedIn(t testing.TB, who string) *browser {
	b := s.browser(t)
	b.signIn(who)
	return b
}

// dossierForm is a valid new-dossier form.
func dossierForm(project string) url.Values {
	return url.Values{
		"project_name": {project}, "investor": {"Công ty Cổ phần Điện tử Hà Nội"},
		"technology": {"Thiết bị hàn dán linh kiện bề mặt (SMT) tự động"}, "stage": {"decision"},
		"project_group": {"B"}, "ownership": {"state"}, "sector": {"C26"}, "capital_vnd": {"120.000.000.000"},
		"investor_country": {"VN"}, "technology_origin": {"JP"}, "locality": {"Xã Đông Anh"},
	}
}

var dossierPath = regexp.MustCompile(`^/dossiers/(\d+)`)

// submit submits a dossier through the form and returns its page's path.
func (b *browser) submit(project string) string {
	b.t.Helper()
	p := b.post("/dossiers/new", "/dossiers", dossierForm(project))
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !dossierPath.MatchString(loc) {
		b.t.Fatalf("submitting: %d, Location %q\n%s", p.status, loc, p.body)
	}
	return dossierPath.FindString(loc)
}

// fire posts the action form of trigger on the dossier at path.
func (b *browser) fire(path, trigger string, extra url.Values) page {
	b.t.Helper()
	p := b.get(path)
	form := regexp.MustCompile(`(?s)<form[^>]*id="action-` + trigger + `".*?</form>`).FindString(p.body)
	if form == "" {
		b.t.Fatalf("%s: no form for %s on the page", path, trigger)
	}
	vals := url.Values{}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`).FindAllStringSubmatch(form, -1) {
		vals.Set(m[1], htmlUnescape(m[2]))
	}
	for k, v := range extra {
		vals[k] = v
	}
	return b.do(http.MethodPost, path+"/transitions", vals)
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&#43;", "+", "&#61;", "=", "&amp;", "&", "&#34;", `"`, "&#39;", "'").Replace(s)
}
