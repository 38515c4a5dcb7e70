package seed_test

import (
	"testing"
	"time"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/seed"
	"github.com/appraisal/appraisal/workflows"
)

// BenchmarkBatch measures making one batch of trails (generation and
// hashing, no database): the seed's own share of its run time.
func BenchmarkBatch(b *testing.B) {
	cfg := seed.Config{Count: seed.BatchSize * 4, Seed: 1, Until: time.Date(2026, 11, 1, 0, 0, 0, 0, engine.VietnamTime),
		Years: 6, Unit: "SKHCN", Workflows: workflows.Embedded()}
	var users []engine.Actor
	for i, u := range seed.Users(cfg) {
		users = append(users, engine.Actor{ID: int64(i + 1), Name: u.Name, Role: u.Role})
	}
	g, err := seed.New(cfg, users, func(string) int64 { return 0 })
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		g.Batch(1)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*seed.BatchSize), "ns/appraisal")
}
