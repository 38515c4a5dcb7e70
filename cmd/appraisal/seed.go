package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/httpapi"
	"github.com/appraisal/appraisal/seed"
	"github.com/appraisal/appraisal/workflows"
)

func seedCmd(ctx context.Context, opts *options, stderr io.Writer) *cobra.Command {
	var cfg struct {
		count  int
		seed   uint64
		until  string
		years  int
		unit   string
		append bool
	}
	cmd := &cobra.Command{
		Use:   "seed --count N [--seed S]",
		Short: "Fill the database with realistic appraisals and their audit trails",
		Long: `Makes --count appraisals over --years years before --until, with users of
every role, through the same rows and hash chains the API writes. The same
--seed and --until give the same data. Refuses a database that already has
appraisals unless --append is given; no server should write meanwhile.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg.count < 1 {
				return fmt.Errorf("--count must be at least 1")
			}
			if err := httpapi.CheckUnitCode(cfg.unit); err != nil {
				return fmt.Errorf("--unit-code: %w", err)
			}
			day, err := time.ParseInLocation(time.DateOnly, cfg.until, engine.VietnamTime)
			if err != nil {
				return fmt.Errorf("--until: %w", err)
			}
			until := day.AddDate(0, 0, 1) // the named day is the last one with events
			d, err := open(ctx, opts, true)
			if err != nil {
				return err
			}
			defer d.Close()
			return runSeed(ctx, d, seed.Config{Count: cfg.count, Seed: cfg.seed, Until: until,
				Years: cfg.years, Unit: cfg.unit}, cfg.append, stderr)
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.count, "count", 0, "how many appraisals to make (required)")
	f.Uint64Var(&cfg.seed, "seed", 1, "random seed: the same seed and --until give the same data")
	f.StringVar(&cfg.until, "until", time.Now().In(engine.VietnamTime).AddDate(0, 0, -1).Format(time.DateOnly),
		"the last day of the simulated history (YYYY-MM-DD, Vietnam time; default yesterday)")
	f.IntVar(&cfg.years, "years", 6, "years of submissions before --until")
	f.StringVar(&cfg.unit, "unit-code", envOr("APPRAISAL_UNIT_CODE", "SKHCN"), "receiving unit's code (env APPRAISAL_UNIT_CODE)")
	f.BoolVar(&cfg.append, "append", false, "add to a database that already has appraisals")
	cmd.MarkFlagRequired("count")
	return cmd
}

func runSeed(ctx context.Context, d *db.DB, cfg seed.Config, appendTo bool, progress io.Writer) error {
	start := time.Now()
	// The batches in flight are a large live heap, marked over and over at
	// the default 100: a quarter of the seed's CPU. A one-off command can
	// spend the memory (about 370 MB instead of 170 for 200,000).
	collectGarbageLess(400)
	n, err := d.CountAppraisals(ctx)
	if err != nil {
		return err
	}
	if n > 0 && !appendTo {
		return fmt.Errorf("the database has %d appraisals already: give --append to add to them", n)
	}
	catalog := workflows.Embedded()
	cal, err := httpapi.LoadCalendar(ctx, d)
	if err != nil {
		return err
	}
	catalog.SetCalendar(cal)
	cfg.Workflows = catalog
	specs := seed.Users(cfg)
	names, roles := make([]string, len(specs)), make([]engine.Role, len(specs))
	for i, s := range specs {
		names[i], roles[i] = s.Name, s.Role
	}
	users, err := d.CreateUsers(ctx, names, roles)
	if err != nil {
		return fmt.Errorf("creating users: %w", err)
	}
	seqs, err := d.LastDossierSeqs(ctx, cfg.Unit)
	if err != nil {
		return err
	}
	gen, err := seed.New(cfg, users, func(day string) int64 { return seqs[day] })
	if err != nil {
		return err
	}

	bar := progressbar.NewOptions64(int64(cfg.Count),
		progressbar.OptionSetWriter(progress),
		progressbar.OptionSetDescription("seeding"),
		progressbar.OptionSetItsString("appraisals"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionFullWidth(),
	)

	// Batches are made in parallel, a bounded number ahead, and written in
	// order, so ids follow submission time as they do in real use.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := gen.Batches()
	results := make([]chan []engine.Trail, batches)
	for i := range results {
		results[i] = make(chan []engine.Trail, 1)
	}
	ahead := make(chan struct{}, 2*runtime.GOMAXPROCS(0))
	go func() {
		for i := range batches {
			select {
			case ahead <- struct{}{}:
			case <-ctx.Done():
				return
			}
			go func() { results[i] <- gen.Batch(i) }()
		}
	}()
	// Two writers: PostgreSQL then loads on both cores while batches are made.
	firstID, err := d.MaxAppraisalID(ctx)
	if err != nil {
		return err
	}
	writers := 1
	if d.Engine == db.Postgres {
		writers = 2
	}
	var next, events atomic.Int64
	err = d.WithoutIndexesAndKeys(ctx, func() error {
		if err := writeBatches(ctx, d, writers, batches, results, ahead, firstID, &next, &events, bar); err != nil {
			return err
		}
		bar.Finish()
		fmt.Fprintln(progress)
		slog.Info("loaded", "took", time.Since(start).Round(time.Millisecond))
		return nil
	})
	if err != nil {
		return err
	}
	analyzed := time.Now()
	if err := d.FinishBulk(ctx); err != nil {
		return fmt.Errorf("finishing: %w", err)
	}
	slog.Info("analyzed", "took", time.Since(analyzed).Round(time.Millisecond))
	slog.Info("seeded", "appraisals", cfg.Count, "events", events.Load(), "users", len(users), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// writeBatches writes batches in order of their index with several
// writers, each taking the next batch as it is made.
func writeBatches(ctx context.Context, d *db.DB, writers, batches int, results []chan []engine.Trail,
	ahead chan struct{}, firstID int64, next, events *atomic.Int64, bar *progressbar.ProgressBar) error {
	g, gctx := errgroup.WithContext(ctx)
	for range writers {
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= batches {
					return nil
				}
				var trails []engine.Trail
				select {
				case trails = <-results[i]:
				case <-gctx.Done():
					return gctx.Err()
				}
				<-ahead
				if err := d.InsertTrails(gctx, firstID+int64(i*seed.BatchSize)+1, trails); err != nil {
					return fmt.Errorf("writing batch %d: %w", i, err)
				}
				for _, t := range trails {
					events.Add(int64(len(t.Events)))
				}
				bar.Add(len(trails))
			}
		})
	}
	return g.Wait()
}
