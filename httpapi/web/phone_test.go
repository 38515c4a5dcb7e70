package web_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// phoneWidth and phoneHeight are a common phone's viewport in CSS pixels.
const phoneWidth, phoneHeight = 390, 844

// noSideScroll fails the test when the page at hand scrolls sideways.
func (c *chrome) noSideScroll(page string) {
	c.t.Helper()
	got := get(c, "measuring "+page, chromedp.Evaluate[string](
		`document.documentElement.scrollWidth + " " + window.innerWidth`))
	var scroll, inner int
	if _, err := fmt.Sscan(got, &scroll, &inner); err != nil {
		c.t.Fatalf("measuring %s: %q: %v", page, got, err)
	}
	if inner != phoneWidth {
		c.t.Errorf("%s: window.innerWidth = %d, want the phone's %d (zoomed out?)", page, inner, phoneWidth)
	}
	if scroll > inner {
		c.t.Errorf("%s scrolls sideways on a phone: scrollWidth %d > innerWidth %d", page, scroll, inner)
	}
}

// focused describes the element that has the keyboard focus.
func (c *chrome) focused() string {
	c.t.Helper()
	return get(c, "reading the focus", chromedp.Evaluate[string](
		`(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.getAttribute("href") ? "[" + e.getAttribute("href") + "]" : ""))(document.activeElement)`))
}

// TestBrowserPhoneAndKeyboard: on a phone's viewport, an applicant signs in
// with the keyboard alone (Tab to each field, type, Enter), and the
// new-dossier form and the work queue fit the screen's width.
func TestBrowserPhoneAndKeyboard(t *testing.T) {
	t.Parallel()
	d := dbtest.Open(t, db.SQLite)
	// Some dossiers for the queue, two of them overdue (received 70 days ago).
	var back atomic.Int64
	d.Now = func() time.Time { return time.Now().Add(-time.Duration(back.Load())) }
	s := newSite(t, d)
	catalog := workflows.Embedded()
	for i, name := range []string{
		"Nhà máy sản xuất thiết bị điện tử Đông Anh giai đoạn 2 mở rộng dây chuyền SMT",
		"Dự án đầu tư xây dựng nhà máy xử lý chất thải rắn sinh hoạt công nghệ đốt phát điện Sóc Sơn",
		"Trung tâm dữ liệu Hòa Lạc",
		"Nhà máy chế biến nông sản xuất khẩu Mê Linh",
	} {
		back.Store(0)
		if i < 2 {
			back.Store(int64(70 * 24 * time.Hour))
		}
		dossier := engine.Dossier{ProjectName: name, Investor: "Công ty Cổ phần Đầu tư và Phát triển Công nghệ Thăng Long",
			Technology: "Dây chuyền tự động", Stage: engine.StageDecision, ProjectGroup: "B", Ownership: "foreign_invested",
			Sector: "C26", CapitalVND: 1_250_000_000_000}
		def, err := catalog.ForDossier(&dossier)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.CreateAppraisal(context.Background(), def, catalog.Calendar(), "SKHCN", s.actors["applicant"], dossier); err != nil {
			t.Fatal(err)
		}
	}
	back.Store(0)

	c := newChrome(t, s)
	c.run("emulating a phone", chromedp.EmulateViewport(phoneWidth, phoneHeight,
		chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch))

	// Sign in with the keyboard alone, from the top of the page.
	c.open("/signin")
	c.run("leaving the autofocus", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`))
	var path []string
	for len(path) < 20 && c.focused() != "input#email" {
		c.run("pressing Tab", chromedp.KeyEvent(kb.Tab))
		path = append(path, c.focused())
	}
	if c.focused() != "input#email" {
		t.Fatalf("Tab never reached the email field: %s", strings.Join(path, " → "))
	}
	t.Logf("Tab order to the email field: %s", strings.Join(path, " → "))
	c.run("typing the email", chromedp.KeyEvent(people["applicant"].Email), chromedp.KeyEvent(kb.Tab))
	if f := c.focused(); f != "input#password" {
		t.Fatalf("Tab after the email went to %s, want the password", f)
	}
	before := get(c, "reading the address", chromedp.Location())
	c.run("typing the password and Enter", chromedp.KeyEvent(password), chromedp.KeyEvent(kb.Enter))
	c.waitPage(before, "/my", "Enter in the password field")

	c.open("/dossiers/new")
	c.noSideScroll("the new-dossier form")
	c.shot("30-phone-applicant-new-dossier")
	c.signOut()

	c.signIn("reviewer")
	c.open("/queue")
	if n := get(c, "counting rows", chromedp.Evaluate[int](`document.querySelectorAll("#dossiers tbody tr").length`)); n != 4 {
		t.Errorf("the queue shows %d dossiers, want 4", n)
	}
	c.noSideScroll("the work queue")
	c.shot("31-phone-reviewer-queue")
}
