package engine_test

import (
	"context"
	"testing"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// BenchmarkFire measures one transition's engine work: a fresh machine
// built and fired, as every request does.
func BenchmarkFire(b *testing.B) {
	def, _ := workflows.Embedded().Latest(workflows.TechnologyAppraisal)
	ctx := context.Background()
	reviewer := engine.Actor{ID: 2, Role: engine.RoleReviewer}
	for b.Loop() {
		if _, err := engine.Fire(ctx, def, engine.Subject{State: "submitted", OwnerID: 1}, reviewer, "review", engine.Input{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPermitted measures what a listing pays per item.
func BenchmarkPermitted(b *testing.B) {
	def, _ := workflows.Embedded().Latest(workflows.TechnologyAppraisal)
	ctx := context.Background()
	reviewer := engine.Actor{ID: 2, Role: engine.RoleReviewer}
	for b.Loop() {
		engine.Permitted(ctx, def, engine.Subject{State: "submitted", OwnerID: 1}, reviewer)
	}
}
