package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

func benchCmd(ctx context.Context, opts *options, stdout io.Writer) *cobra.Command {
	bench := &cobra.Command{Use: "bench", Short: "Measure the product on the database given by --db"}
	var runs int
	reports := &cobra.Command{
		Use:   "reports [--runs N]",
		Short: "Time every counts report, the statistics form and listings; prints median and p95",
		Long: `Runs each counts report (every "by", both events, over everything and over the
last full year), the statistics form for that year, and listings with each
filter at the first page and deep pages, --runs times each, through the same
store calls the API makes. Read-only; run it on a seeded database.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := open(ctx, opts, false)
			if err != nil {
				return err
			}
			defer d.Close()
			return benchReports(ctx, d, runs, stdout)
		},
	}
	reports.Flags().IntVar(&runs, "runs", 20, "runs of each query")
	bench.AddCommand(reports, benchTransitionsCmd(ctx, stdout))
	return bench
}

type benchQuery struct {
	name string
	run  func(ctx context.Context) (int, error) // returns rows answered
}

func benchReports(ctx context.Context, d *db.DB, runs int, out io.Writer) error {
	if runs < 1 {
		return fmt.Errorf("--runs must be at least 1")
	}
	n, err := d.CountAppraisals(ctx)
	if err != nil {
		return err
	}
	maxID, err := d.MaxAppraisalID(ctx)
	if err != nil {
		return err
	}
	lastYear := time.Now().In(engine.VietnamTime).Year() - 1
	year := engine.Period{From: fmt.Sprintf("%d-01-01", lastYear), To: fmt.Sprintf("%d-12-31", lastYear)}

	var queries []benchQuery
	for _, event := range []string{engine.EventSubmitted, engine.EventAppraised} {
		for _, by := range engine.CountDimensions {
			for _, p := range []struct {
				label string
				p     engine.Period
			}{{"all time", engine.Period{}}, {fmt.Sprint(lastYear), year}} {
				q := engine.CountsQuery{By: by, Event: event, Period: p.p}
				queries = append(queries, benchQuery{fmt.Sprintf("counts by=%s event=%s (%s)", by, event, p.label),
					func(ctx context.Context) (int, error) { c, err := d.Counts(ctx, q); return len(c), err }})
			}
		}
	}
	queries = append(queries, benchQuery{fmt.Sprintf("form07 year=%d", lastYear), func(ctx context.Context) (int, error) {
		f, err := d.Form07(ctx, year)
		if err != nil {
			return 0, err
		}
		return len(f.ByCountry), nil
	}})
	filters := []struct {
		label string
		f     engine.ListFilter
	}{
		{"no filter", engine.ListFilter{}},
		{"state=reviewed", engine.ListFilter{State: "reviewed"}},
		{"state=returned", engine.ListFilter{State: "returned"}},
		{"stage=policy", engine.ListFilter{Stage: "policy"}},
		{"sector=C", engine.ListFilter{Sector: "C"}},
		{"sector=K", engine.ListFilter{Sector: "K"}},
		{"sector=C26", engine.ListFilter{Sector: "C26"}},
		{"ownership=state", engine.ListFilter{Ownership: "state"}},
		{"sector=K ownership=state", engine.ListFilter{Sector: "K", Ownership: "state"}},
		{"state=returned sector=D stage=policy", engine.ListFilter{State: "returned", Sector: "D", Stage: "policy"}},
		{"q=dong anh", engine.ListFilter{Q: "dong anh"}},
		{"q=nha may dien rac", engine.ListFilter{Q: "nha may dien rac"}},
		{"q=no such words", engine.ListFilter{Q: "no such words"}},
		{"applicant's own", engine.ListFilter{ApplicantID: 1}},
		{"overdue=true", engine.ListFilter{Overdue: true, Today: engine.Day(time.Now())}},
		{"due_before=next month", engine.ListFilter{DueBefore: engine.Day(time.Now().AddDate(0, 1, 0))}},
		{"overdue=true state=reviewed", engine.ListFilter{Overdue: true, Today: engine.Day(time.Now()), State: "reviewed"}},
	}
	catalog := workflows.Embedded()
	for _, f := range filters {
		for _, depth := range []float64{0, 0.5, 0.99} {
			lf := f.f
			lf.StateLeads = catalog.WorkingState(lf.State) // as the API sets it
			lf.Limit = 51
			label := "first page"
			if depth > 0 {
				lf.BeforeID = int64(float64(maxID) * (1 - depth))
				label = fmt.Sprintf("page at %.0f%% depth", depth*100)
			}
			queries = append(queries, benchQuery{fmt.Sprintf("list %s, %s", f.label, label),
				func(ctx context.Context) (int, error) { l, err := d.Appraisals(ctx, lf); return len(l), err }})
		}
	}

	fmt.Fprintf(out, "%d appraisals on %s, %d runs per query\n\n", n, d.Engine, runs)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "query\trows\tmedian ms\tp95 ms\t")
	for _, q := range queries {
		times := make([]time.Duration, runs)
		rows := 0
		for i := range runs {
			start := time.Now()
			if rows, err = q.run(ctx); err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			times[i] = time.Since(start)
		}
		slices.Sort(times)
		p95 := times[min(len(times)-1, int(float64(len(times))*0.95))]
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.2f\t\n", q.name, rows, ms(times[len(times)/2]), ms(p95))
	}
	return tw.Flush()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
