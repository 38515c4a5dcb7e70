package web_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
)

// The browser tests drive Debian's chromium through chromedp against the
// pages on a fresh SQLite database. Without chromium they skip, unless
// APPRAISAL_REQUIRE_BROWSER is set (CI sets it), which makes that a
// failure. Each page they visit is saved as a PNG in $APPRAISAL_SCREENSHOTS
// (default testdata/screenshots, git-ignored).

func chromiumPath(t *testing.T) string {
	path := os.Getenv("APPRAISAL_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("APPRAISAL_REQUIRE_BROWSER") != "" {
			t.Fatalf("chromium is required ($APPRAISAL_REQUIRE_BROWSER) but missing at %s: %v", path, err)
		}
		t.Skipf("no chromium at %s (set APPRAISAL_CHROMIUM, or APPRAISAL_REQUIRE_BROWSER=1 to fail instead)", path)
	}
	return path
}

func screenshotDir(t *testing.T) string {
	dir := os.Getenv("APPRAISAL_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// chrome is one headless chromium tab on a site.
type chrome struct {
	t    *testing.T
	ctx  context.Context
	base string
	dir  string
}

func newChrome(t *testing.T, s *site) *chrome {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("accept-lang", "vi-VN,vi"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	tab, cancelTab := chromedp.NewContext(actx)
	// The browser lives as long as the context of the first call: start it
	// without a timeout, then bound the test's actions.
	if err := chromedp.Do(tab); err != nil {
		cancelTab()
		cancelAlloc()
		t.Fatalf("starting chromium: %v", err)
	}
	ctx, cancelTime := context.WithTimeout(tab, 2*time.Minute)
	t.Cleanup(func() { cancelTime(); cancelTab(); cancelAlloc() })
	return &chrome{t: t, ctx: ctx, base: s.srv.URL, dir: screenshotDir(t)}
}

func (c *chrome) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, actions...); err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
}

// get runs an action that returns a value.
func get[T any](c *chrome, what string, a chromedp.Action[T]) T {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, a)
	if err != nil {
		c.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// open loads path and waits for its main content.
func (c *chrome) open(path string) {
	c.t.Helper()
	c.run("opening "+path, chromedp.Navigate(c.base+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
}

// shot saves the whole page as name.png.
func (c *chrome) shot(name string) {
	c.t.Helper()
	png := get(c, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(c.dir, name+".png"), png, 0o644); err != nil {
		c.t.Fatal(err)
	}
}

// submit clicks sel and waits for the next page, whose address contains want.
func (c *chrome) submit(sel, want string) {
	c.t.Helper()
	before := get(c, "reading the address", chromedp.Location())
	c.run("clicking "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	c.waitPage(before, want, "clicking "+sel)
}

// waitPage waits for the page after the one at before, whose address
// contains want, to be loaded.
func (c *chrome) waitPage(before, want, after string) {
	c.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		state, err := chromedp.Run(c.ctx, chromedp.Evaluate[string](`location.href + "|" + document.readyState + "|" + !!document.querySelector("main h1")`))
		if err == nil {
			parts := strings.Split(state, "|")
			if strings.Contains(parts[0], want) && parts[1] == "complete" && parts[2] == "true" && (parts[0] != before || strings.Contains(before, want)) {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("after %s: at %s, want an address with %q", after, state, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *chrome) text(sel string) string {
	c.t.Helper()
	return strings.TrimSpace(get(c, "reading "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible)))
}

func (c *chrome) signIn(who string) {
	c.t.Helper()
	c.open("/signin")
	c.run("filling the sign-in form",
		chromedp.SendKeys(chromedp.CSS("#email"), people[who].Email),
		chromedp.SendKeys(chromedp.CSS("#password"), password))
	c.submit("#signin button[type=submit]", homeOf(who))
}

func homeOf(who string) string {
	if people[who].Role == "applicant" {
		return "/my"
	}
	return "/queue"
}

func (c *chrome) signOut() {
	c.t.Helper()
	c.submit(`form[action="/signout"] button`, "/signin")
}

// fire fills the action form of trigger on the dossier page and sends it.
func (c *chrome) fire(path, trigger, comment, outcome string) {
	c.t.Helper()
	c.open(path)
	form := "#action-" + trigger
	if outcome != "" {
		c.run("choosing the outcome", chromedp.SetValue(chromedp.CSS("#outcome-"+trigger), outcome))
	}
	if comment != "" {
		c.run("writing the comment", chromedp.SendKeys(chromedp.CSS("#comment-"+trigger), comment))
	}
	c.submit(form+" button[type=submit]", "done="+trigger)
}

// TestBrowserDossierLife walks one dossier through its whole life across
// the roles' pages and checks the dashboard's counts follow.
func TestBrowserDossierLife(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbtest.Open(t, db.SQLite))
	c := newChrome(t, s)

	c.open("/signin")
	c.shot("01-signin")

	// The dashboard before: nothing received yet.
	c.signIn("reviewer")
	c.open("/dashboard")
	if got := c.text("#total"); !strings.HasSuffix(got, ": 0") {
		t.Errorf("dashboard total before = %q, want 0", got)
	}
	c.shot("02-manager-dashboard-before")
	c.signOut()

	// The applicant submits a dossier through the form.
	c.signIn("applicant")
	c.shot("03-applicant-my-dossiers-empty")
	c.open("/dossiers/new")
	form := dossierForm("Nhà máy sản xuất thiết bị điện tử Đông Anh")
	for _, f := range []string{"project_name", "investor", "technology", "sector", "capital_vnd", "investor_country", "technology_origin", "locality"} {
		c.run("typing "+f, chromedp.SendKeys(chromedp.CSS("#f-"+f), form.Get(f)))
	}
	for _, f := range []string{"stage", "project_group", "ownership"} {
		c.run("choosing "+f, chromedp.SetValue(chromedp.CSS("#f-"+f), form.Get(f)))
	}
	c.shot("04-applicant-new-dossier")
	c.submit("#new-dossier button[type=submit]", "created=1")
	loc := get(c, "reading the address", chromedp.Location())
	path := strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], c.base)
	if got := c.text("#state"); got != "Đã nộp" {
		t.Errorf("state after submission = %q, want Đã nộp", got)
	}
	code := ""
	if m := strings.Fields(c.text("p.notice")); len(m) > 0 {
		code = strings.TrimSuffix(m[len(m)-1], ".")
	}
	c.shot("05-applicant-dossier-submitted")
	c.open(path + "/receipt")
	if got := c.text("#receipt-code"); got != code || !strings.HasPrefix(got, "SKHCN-") {
		t.Errorf("receipt code = %q, want %q", got, code)
	}
	c.shot("06-applicant-receipt")
	c.signOut()

	// The reviewer returns it for supplement.
	c.signIn("reviewer")
	c.open("/queue?state=submitted")
	if got := c.text("#dossiers"); !strings.Contains(got, code) {
		t.Errorf("the reviewer's queue does not list %s:\n%s", code, got)
	}
	c.shot("07-reviewer-queue")
	c.open(path)
	c.shot("08-reviewer-dossier")
	c.fire(path, "request_supplement", "Bổ sung bản sao hợp đồng chuyển giao công nghệ.", "")
	if got := c.text("#state"); got != "Trả lại để bổ sung" {
		t.Errorf("state after request_supplement = %q", got)
	}
	c.signOut()

	// The applicant resubmits.
	c.signIn("applicant")
	c.open(path)
	c.shot("09-applicant-returned")
	c.fire(path, "resubmit", "", "")
	if got := c.text("#state"); got != "Đã nộp" {
		t.Errorf("state after resubmit = %q", got)
	}
	c.signOut()

	// The reviewer sends it on; the appraiser records the conclusion.
	c.signIn("reviewer")
	c.fire(path, "review", "", "")
	c.signOut()
	c.signIn("appraiser")
	c.open("/queue?state=reviewed")
	c.shot("10-appraiser-queue")
	c.open(path)
	c.shot("11-appraiser-dossier")
	c.fire(path, "appraise", "Đạt, với điều kiện bổ sung phương án xử lý chất thải điện tử.", "approved_with_conditions")
	if got := c.text("#outcome"); got != "Đạt có điều kiện" {
		t.Errorf("outcome = %q", got)
	}
	c.signOut()

	// The reviewer archives it; the dashboard counts it.
	c.signIn("reviewer")
	c.fire(path, "archive", "", "")
	if got := c.text("#state"); got != "Lưu trữ" {
		t.Errorf("final state = %q, want Lưu trữ", got)
	}
	if got := c.text("#timeline"); strings.Count(got, "bởi ") != 6 {
		t.Errorf("the timeline should hold 6 events:\n%s", got)
	}
	c.shot("12-reviewer-dossier-archived")
	c.open("/dashboard")
	if got := c.text("#total"); !strings.HasSuffix(got, ": 1") {
		t.Errorf("dashboard total after = %q, want 1", got)
	}
	if got := get(c, "reading the state table", chromedp.TextContent(chromedp.CSS("#chart-state-table"))); !strings.Contains(got, "Lưu trữ") {
		t.Errorf("the state table does not count the archived dossier:\n%s", got)
	}
	c.shot("13-manager-dashboard-after")
	c.open("/form07")
	if got := c.text("#form07-total"); got != "1" {
		t.Errorf("Biểu 07 total = %q, want 1", got)
	}
	c.shot("14-manager-form07")
	c.open("/queue?lang=en")
	c.shot("15-reviewer-queue-english")
	c.signOut()

	c.signIn("admin")
	c.open("/admin/users?lang=vi")
	c.shot("16-admin-users")
}

// TestBrowserInvalidFormKeepsInput: a refused new-dossier form comes back
// with a message at each bad field and every value as typed.
func TestBrowserInvalidFormKeepsInput(t *testing.T) {
	t.Parallel()
	s := newSite(t, dbtest.Open(t, db.SQLite))
	c := newChrome(t, s)
	c.signIn("applicant")
	c.open("/dossiers/new")
	typed := map[string]string{
		"project_name": "Dự án thử nghiệm dây chuyền Đông Anh", "technology": "Công nghệ hàn laser",
		"sector": "Z99", "capital_vnd": "một trăm tỷ", "investor_country": "VX", "locality": "Phường Láng",
	}
	for f, v := range typed {
		c.run("typing "+f, chromedp.SendKeys(chromedp.CSS("#f-"+f), v))
	}
	c.run("choosing", chromedp.SetValue(chromedp.CSS("#f-stage"), "decision"), chromedp.SetValue(chromedp.CSS("#f-ownership"), "non_state"))
	c.submit("#new-dossier button[type=submit]", "/dossiers")
	typed["stage"], typed["ownership"], typed["investor"], typed["project_group"] = "decision", "non_state", "", ""
	for f, want := range typed {
		got := get(c, "reading "+f, chromedp.Value(chromedp.CSS("#f-"+f)))
		if got != want {
			t.Errorf("field %s after the error = %q, want %q as typed", f, got, want)
		}
	}
	for _, f := range []string{"investor", "project_group", "sector", "capital_vnd", "investor_country"} {
		if msg := c.text("#f-" + f + "-error"); msg == "" {
			t.Errorf("no message at %s", f)
		}
	}
	for _, f := range []string{"project_name", "technology", "stage", "ownership", "locality"} {
		n := get(c, "counting", chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll("#f-%s-error").length`, f)))
		if n != 0 {
			t.Errorf("a valid field %s has an error message", f)
		}
	}
	c.shot("20-applicant-new-dossier-errors")
}
