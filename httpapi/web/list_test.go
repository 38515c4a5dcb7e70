package web_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

var (
	rowLink  = regexp.MustCompile(`<tr( class="overdue")?>\s*<td[^>]*><a href="/dossiers/(\d+)">`)
	nextLink = regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
)

// listed walks a list page by page from path and returns the dossiers in
// the order shown, which of them were marked overdue, and each page's size.
func listed(t *testing.T, b *browser, path string) (ids []int64, overdue map[int64]bool, sizes []int) {
	t.Helper()
	overdue = map[int64]bool{}
	for range 50 {
		p := b.get(path)
		if p.status != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, p.status, p.body)
		}
		rows := rowLink.FindAllStringSubmatch(p.body, -1)
		sizes = append(sizes, len(rows))
		for _, m := range rows {
			id, _ := strconv.ParseInt(m[2], 10, 64)
			ids = append(ids, id)
			overdue[id] = m[1] != ""
		}
		m := nextLink.FindStringSubmatch(p.body)
		if m == nil {
			return ids, overdue, sizes
		}
		path = htmlUnescape(m[1])
	}
	t.Fatalf("more than 50 pages from %s", path)
	return
}

// TestListOverdueFirst: a list is one order, the overdue dossiers first
// and then the others, each newest first, each dossier once, over keyset
// pages; filters carry over to the next pages. With a small bound on what
// one page reads, pages get shorter but the order stays the same.
func TestListOverdueFirst(t *testing.T) {
	t.Parallel()
	for _, e := range dbtest.Engines {
		for _, scan := range []int{0, 5} {
			t.Run(fmt.Sprintf("%s/scan=%d", e, scan), func(t *testing.T) {
				t.Parallel()
				d := dbtest.Open(t, e)
				// The database's clock is pushed back while the overdue
				// dossiers are received.
				var back atomic.Int64
				d.Now = func() time.Time { return time.Now().Add(-time.Duration(back.Load())) }
				s := newSite(t, d, siteOptions{listScan: scan})
				catalog := workflows.Embedded()
				// By id: every third one overdue, and a run of 30 overdue
				// ones in the middle; every fifth one at the policy stage.
				var wantOverdue, wantRest, policyOverdue, policyRest []int64
				for i := range 70 {
					late := i%3 == 0 || (i >= 20 && i < 50)
					back.Store(0)
					if late {
						back.Store(int64(70 * 24 * time.Hour))
					}
					dossier := engine.Dossier{ProjectName: fmt.Sprintf("Dự án %02d", i), Investor: "Công ty Cổ phần Điện tử Hà Nội",
						Technology: "Thiết bị SMT", Stage: engine.StageDecision, ProjectGroup: "B", Ownership: "state", Sector: "C26", CapitalVND: 1}
					if i%5 == 0 {
						dossier.Stage, dossier.ProjectGroup = engine.StagePolicy, ""
					}
					def, err := catalog.ForDossier(&dossier)
					if err != nil {
						t.Fatal(err)
					}
					a, err := d.CreateAppraisal(context.Background(), def, catalog.Calendar(), "SKHCN", s.actors["applicant"], dossier)
					if err != nil {
						t.Fatal(err)
					}
					if late {
						wantOverdue = append([]int64{a.ID}, wantOverdue...)
					} else {
						wantRest = append([]int64{a.ID}, wantRest...)
					}
					if dossier.Stage == engine.StagePolicy {
						if late {
							policyOverdue = append([]int64{a.ID}, policyOverdue...)
						} else {
							policyRest = append([]int64{a.ID}, policyRest...)
						}
					}
				}
				back.Store(0)

				check := func(b *browser, path string, overdue, rest []int64) []int {
					t.Helper()
					ids, marked, sizes := listed(t, b, path)
					if want := append(slices.Clone(overdue), rest...); !slices.Equal(ids, want) {
						t.Errorf("%s lists\n%v\nwant the overdue ones, then the rest, newest first\n%v", path, ids, want)
					}
					for _, id := range overdue {
						if !marked[id] {
							t.Errorf("%s: dossier %d is not marked overdue", path, id)
						}
					}
					for _, id := range rest {
						if marked[id] {
							t.Errorf("%s: dossier %d is marked overdue", path, id)
						}
					}
					for i, n := range sizes {
						if n > 25 {
							t.Errorf("%s: page %d has %d rows", path, i+1, n)
						}
					}
					return sizes
				}
				staff := s.signedIn(t, "reviewer")
				sizes := check(staff, "/queue", wantOverdue, wantRest)
				check(staff, "/queue?stage=policy", policyOverdue, policyRest)
				check(s.signedIn(t, "applicant"), "/my", wantOverdue, wantRest)
				if scan == 0 {
					// 44 overdue, 26 others: 25 overdue; 19 overdue and 6 others; 20 others.
					if want := []int{25, 25, 20}; !slices.Equal(sizes, want) {
						t.Errorf("page sizes %v, want %v", sizes, want)
					}
				} else if len(sizes) <= 3 {
					t.Errorf("page sizes %v: the bound on reading did not shorten a page", sizes)
				}
				if p := staff.get("/queue?page=x1"); p.status != http.StatusUnprocessableEntity {
					t.Errorf("a malformed page: %d, want 422", p.status)
				}
			})
		}
	}
}
