package engine

import (
	"context"
	"slices"
	"strings"
	"time"
)

// How a clock that ended in a DeadlineDef.EndsIn state is judged.
const (
	OnTime = "on_time"
	Late   = "late"
)

// Clock is an appraisal's deadline, kept with it and moved by every
// transition (see DeadlineDef). Days are Vietnam days, "2006-01-02".
type Clock struct {
	// DueOn is the last day to hand down the result; "" without a
	// deadline (national projects) or once the clock stopped unjudged
	// (withdrawn).
	DueOn string
	// Paused: the dossier waits on the applicant; DaysLeft working days
	// were left when it was returned (negative: it was already late).
	Paused   bool
	DaysLeft int
	// TriggerDueOn is the last day to fire the current state's trigger
	// that has DueWithinWorkingDays (a request to supplement); "" when none.
	TriggerDueOn string
	// Extensions counts the times the due date was moved.
	Extensions int
	// Judged is OnTime or Late once the clock ended in an EndsIn state.
	Judged string
}

// Running reports whether the clock counts down now.
func (c *Clock) Running() bool { return c.DueOn != "" && !c.Paused && c.Judged == "" }

// Overdue reports whether the clock runs and its due day is before today.
func (c *Clock) Overdue(today string) bool { return c.Running() && today > c.DueOn }

// StartClock sets the clock of a new appraisal on def, received on day.
func StartClock(def *Definition, cal *Calendar, a *Appraisal, day string) {
	a.Clock = Clock{}
	if n := def.Deadline.WorkingDaysFor(&a.Dossier); n > 0 {
		a.Clock.DueOn = cal.AddWorkingDays(day, n)
	}
	a.Clock.TriggerDueOn = triggerDueOn(def, cal, a.State, day)
}

// addYear returns day a year later: the furthest an extension may go.
func addYear(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.AddDate(1, 0, 0).Format(time.DateOnly)
}

// triggerDueOn is the last day to fire the trigger of state that must be
// fired within some working days of entering it, or "".
func triggerDueOn(def *Definition, cal *Calendar, state, day string) string {
	if t := def.WindowTrigger(state); t != nil {
		return cal.AddWorkingDays(day, t.DueWithinWorkingDays)
	}
	return ""
}

// advanceClock moves a's clock for trigger t, fired on day, which took a
// from state from to a.State.
func advanceClock(def *Definition, cal *Calendar, a *Appraisal, t *TriggerDef, from, day string, in Input) error {
	c := &a.Clock
	if t.ExtendsDeadline {
		// The guard saw a running clock, not past its due day, with an
		// extension left: a new date is given before the old one passes.
		latest := addYear(c.DueOn)
		if in.DueAt <= c.DueOn || in.DueAt > latest || !cal.IsWorkingDay(in.DueAt) {
			return FieldErrorf(FieldDueAt, "due_at %s must be a working day after the current due date %s, and no later than %s",
				in.DueAt, c.DueOn, latest)
		}
		c.DueOn = in.DueAt
		c.Extensions++
		return nil
	}
	to := a.State
	if to == from {
		return nil
	}
	// A window opens on receipt (StartClock) and when the dossier comes
	// back from the applicant; a state entered again otherwise (a draft
	// sent back) does not reopen it.
	c.TriggerDueOn = ""
	dd := def.Deadline
	if dd != nil && slices.Contains(dd.PausedIn, from) {
		c.TriggerDueOn = triggerDueOn(def, cal, to, day)
	}
	if dd == nil || c.DueOn == "" || c.Judged != "" {
		return nil
	}
	switch {
	case slices.Contains(dd.EndsIn, to):
		late := day > c.DueOn
		if c.Paused {
			late = c.DaysLeft < 0
		}
		c.Judged, c.Paused, c.DaysLeft = OnTime, false, 0
		if late {
			c.Judged = Late
		}
	case slices.Contains(dd.StopsIn, to) || def.State(to).Final:
		c.DueOn, c.Paused, c.DaysLeft = "", false, 0
	case slices.Contains(dd.PausedIn, to):
		if !c.Paused {
			c.Paused, c.DaysLeft = true, cal.WorkingDaysBetween(day, c.DueOn)
		}
	case c.Paused:
		// Resumed: the days that were left count from the day it came back
		// (none left: due that day, or the next working day if the office
		// is closed). Already late when returned, it keeps its past due date.
		switch {
		case c.DaysLeft > 0:
			c.DueOn = cal.AddWorkingDays(day, c.DaysLeft)
		case c.DaysLeft == 0 && cal.IsWorkingDay(day):
			c.DueOn = day
		case c.DaysLeft == 0:
			c.DueOn = cal.AddWorkingDays(day, 1)
		}
		c.Paused, c.DaysLeft = false, 0
	}
	return nil
}

// Transit fires trigger for actor on a, at now, and applies it to a:
// state, version, outcome and clock. It returns the event to record,
// linked to prevHash (the hash of a's newest event) and hashed. a is
// changed only when Transit succeeds. Errors are Fire's, and EINVALID for
// a due_at the calendar refuses.
func Transit(ctx context.Context, def *Definition, cal *Calendar, a *Appraisal, actor Actor,
	trigger string, in Input, now time.Time, prevHash string) (*Event, error) {
	to, err := Fire(ctx, def, a.Subject(def, Day(now)), actor, trigger, in)
	if err != nil {
		return nil, err
	}
	return apply(def, cal, a, actor, def.Trigger(trigger), to, in, now, prevHash)
}

// Replay is Transit for a trigger known to be permitted, such as one of a
// generated trail: it skips the machine and its guards (a third of the cost
// of making a trail) and applies the trigger as Transit does. Whoever
// calls it must check elsewhere that Transit agrees (the seed's tests
// replay its trails through the API).
func Replay(def *Definition, cal *Calendar, a *Appraisal, actor Actor,
	trigger string, in Input, now time.Time, prevHash string) (*Event, error) {
	t := def.Trigger(trigger)
	if t == nil || t.Creates() || !slices.Contains(t.From, a.State) {
		return nil, Errorf(ECONFLICT, "%s is not a trigger from state %s", trigger, a.State)
	}
	return apply(def, cal, a, actor, t, t.Target(a.State), in, now, prevHash)
}

func apply(def *Definition, cal *Calendar, a *Appraisal, actor Actor, t *TriggerDef, to string,
	in Input, now time.Time, prevHash string) (*Event, error) {
	next := *a
	next.State, next.Version, next.UpdatedAt = to, a.Version+1, now
	if in.Outcome != "" {
		next.Outcome, next.AppraisedAt = in.Outcome, now
	}
	if err := advanceClock(def, cal, &next, t, a.State, Day(now), in); err != nil {
		return nil, err
	}
	ev := &Event{AppraisalID: a.ID, Seq: next.Version, At: now, Actor: actor,
		Trigger: t.Name, FromState: a.State, ToState: to,
		Comment: strings.TrimSpace(in.Comment), Outcome: in.Outcome, DueOn: in.DueAt, PrevHash: prevHash}
	ev.Hash = ComputeHash(a, ev)
	*a = next
	return ev, nil
}
