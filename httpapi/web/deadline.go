package web

import "github.com/appraisal/appraisal/engine"

// deadlineView is an appraisal's clock as the pages show it.
type deadlineView struct {
	// DueOn is the day the result is due; "" with no deadline or while
	// the clock is stopped.
	DueOn   string
	Overdue bool
	Paused  bool
	// DaysLeft, while Paused: the working days left when it stopped.
	DaysLeft int
	// OnTime is engine.OnTime or engine.Late once judged.
	OnTime string
}

func (p *Pages) today() string { return engine.Day(p.now()) }

func (p *Pages) deadline(a *engine.Appraisal) deadlineView {
	c := a.Clock
	d := deadlineView{Overdue: c.Overdue(p.today()), Paused: c.Paused, OnTime: c.Judged}
	if c.Paused {
		d.DaysLeft = c.DaysLeft
	} else {
		d.DueOn = c.DueOn
	}
	return d
}
