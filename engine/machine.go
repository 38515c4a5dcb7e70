package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qmuntal/stateless"
)

// Subject is what a machine needs to know of one appraisal.
type Subject struct {
	State   string
	OwnerID int64
	// Extendable: the deadline runs and may still be moved (ExtendsDeadline).
	Extendable bool
}

// Input is the data that comes with a trigger.
type Input struct {
	Comment string
	Outcome string
	// DueAt is the new due day, "2006-01-02", of a trigger that extends the deadline.
	DueAt string
}

// firing holds one call's state. A machine is built per call and never
// shared: stateless's queued mode, shared between goroutines, can hand one
// caller's error to another.
type firing struct {
	def   *Definition
	actor Actor
	subj  Subject
	state string
	// guardErr is set by a guard that fails, so the typed reason survives
	// stateless's string-only report of unmet guards.
	guardErr *Error
}

// guard checks one trigger for one firing. Its methods are the machine's
// guards; named methods, because stateless reports an unmet guard by its
// function name.
type guard struct {
	f *firing
	t *TriggerDef
}

func (g guard) fail(err *Error) bool {
	if g.f.guardErr == nil {
		g.f.guardErr = err
	}
	return false
}

func (g guard) roleMayFire(_ context.Context, _ ...any) bool {
	if g.t.AllowsRole(g.f.actor.Role) {
		return true
	}
	return g.fail(Errorf(EFORBIDDEN, "role %s may not fire %s", g.f.actor.Role, g.t.Name))
}

func (g guard) ownerMayFire(_ context.Context, _ ...any) bool {
	if !g.t.OwnerOnly || isOwner(g.f.actor, g.f.subj) {
		return true
	}
	return g.fail(Errorf(EFORBIDDEN, "only the applicant who owns the appraisal may fire %s", g.t.Name))
}

func (g guard) deadlineExtendable(_ context.Context, _ ...any) bool {
	if !g.t.ExtendsDeadline || g.f.subj.Extendable {
		return true
	}
	return g.fail(Errorf(ECONFLICT, "%s: the deadline is not running or was already extended as often as the workflow allows", g.t.Name))
}

func isOwner(a Actor, s Subject) bool { return a.Role == RoleApplicant && a.ID == s.OwnerID }

// dataComplete checks the trigger's required data. Without an *Input
// argument (listing what is permitted) there is nothing to check yet.
func (g guard) dataComplete(_ context.Context, args ...any) bool {
	if len(args) == 0 {
		return true
	}
	in, _ := args[0].(*Input)
	if in == nil {
		return true
	}
	if err := CheckInput(g.t, *in); err != nil {
		return g.fail(err)
	}
	return true
}

// CheckInput reports an EINVALID *Error when in lacks what t requires, or
// carries what t does not take.
func CheckInput(t *TriggerDef, in Input) *Error {
	needOutcome := len(t.Outcomes) > 0 || slices.Contains(t.Requires, FieldOutcome)
	switch {
	case needOutcome && in.Outcome == "":
		return FieldErrorf(FieldOutcome, "%s requires an outcome, one of %s", t.Name, strings.Join(t.Outcomes, ", "))
	case !needOutcome && in.Outcome != "":
		return FieldErrorf(FieldOutcome, "%s takes no outcome", t.Name)
	case len(t.Outcomes) > 0 && !slices.Contains(t.Outcomes, in.Outcome):
		return FieldErrorf(FieldOutcome, "outcome %q is not one of %s", in.Outcome, strings.Join(t.Outcomes, ", "))
	}
	switch {
	case t.ExtendsDeadline && in.DueAt == "":
		return FieldErrorf(FieldDueAt, "%s requires due_at, the new due day as 2006-01-02", t.Name)
	case !t.ExtendsDeadline && in.DueAt != "":
		return FieldErrorf(FieldDueAt, "%s takes no due_at", t.Name)
	case in.DueAt != "":
		if _, err := time.Parse(time.DateOnly, in.DueAt); err != nil {
			return FieldErrorf(FieldDueAt, "due_at %q is not a day written 2006-01-02", in.DueAt)
		}
	}
	if err := CheckComment(in.Comment); err != nil {
		return err.(*Error)
	}
	if strings.TrimSpace(in.Comment) == "" {
		if slices.Contains(t.Requires, FieldComment) {
			return FieldErrorf(FieldComment, "%s requires a comment", t.Name)
		}
		if len(t.CommentUnlessOutcome) > 0 && !slices.Contains(t.CommentUnlessOutcome, in.Outcome) {
			return FieldErrorf(FieldComment, "%s with outcome %s requires a comment", t.Name, in.Outcome)
		}
	}
	return nil
}

func newFiring(def *Definition, subj Subject, actor Actor) (*firing, *stateless.StateMachine) {
	f := &firing{def: def, actor: actor, subj: subj, state: subj.State}
	m := stateless.NewStateMachineWithExternalStorage(
		func(context.Context) (stateless.State, error) { return f.state, nil },
		func(_ context.Context, s stateless.State) error { f.state = s.(string); return nil },
		stateless.FiringImmediate,
	)
	// Only the current state's way out matters to one call; configuring the
	// rest would cost most of the build (stateless names each guard by
	// reflection when it is attached).
	current := m.Configure(subj.State)
	for i := range def.Triggers {
		t := &def.Triggers[i]
		if slices.Contains(t.From, subj.State) {
			g := guard{f: f, t: t}
			if t.Internal {
				current.InternalTransition(t.Name, noAction, g.roleMayFire, g.ownerMayFire, g.deadlineExtendable, g.dataComplete)
			} else {
				current.Permit(t.Name, t.To, g.roleMayFire, g.ownerMayFire, g.deadlineExtendable, g.dataComplete)
			}
		}
	}
	m.OnUnhandledTrigger(func(_ context.Context, _ stateless.State, _ stateless.Trigger, unmet []string) error {
		if len(unmet) > 0 && f.guardErr != nil {
			return f.guardErr
		}
		return errNotPermitted
	})
	return f, m
}

func noAction(context.Context, ...any) error { return nil }

var errNotPermitted = errors.New("not permitted in this state")

// Fire fires trigger for actor on an appraisal in subj and returns the
// state it moves to. Errors are *Error: EUNKNOWNTRIGGER, EFORBIDDEN (role or
// owner), ECONFLICT (not permitted in this state, with what is) or EINVALID.
// A role that may never fire the trigger is EFORBIDDEN whatever the state.
func Fire(ctx context.Context, def *Definition, subj Subject, actor Actor, trigger string, in Input) (string, error) {
	t := def.Trigger(trigger)
	if t == nil || t.Creates() {
		return "", &Error{Code: EUNKNOWNTRIGGER, Field: "trigger",
			Message: fmt.Sprintf("workflow %s has no trigger %q", def.Name, trigger)}
	}
	// Who may fire a trigger does not depend on the state: answer that
	// first, so a caller learns the same thing whatever the state is.
	if !t.AllowsRole(actor.Role) {
		return "", Errorf(EFORBIDDEN, "role %s may not fire %s", actor.Role, t.Name)
	}
	if t.OwnerOnly && !isOwner(actor, subj) {
		return "", Errorf(EFORBIDDEN, "only the applicant who owns the appraisal may fire %s", t.Name)
	}
	f, m := newFiring(def, subj, actor)
	if err := m.FireCtx(ctx, trigger, &in); err != nil {
		if errors.Is(err, errNotPermitted) {
			permitted := slices.Clone(Permitted(ctx, def, subj, actor))
			return "", &Error{Code: ECONFLICT, Permitted: permitted,
				Message: fmt.Sprintf("%s is not permitted in state %s; permitted now: [%s]",
					trigger, subj.State, strings.Join(permitted, ", "))}
		}
		return "", err
	}
	return f.state, nil
}

// permittedKey is what Permitted's answer depends on.
type permittedKey struct {
	def        *Definition
	state      string
	role       Role
	owner      bool
	extendable bool
}

// permittedCache memoizes Permitted: a listing asks it for every item, and
// the answer depends only on permittedKey (definitions are immutable).
var permittedCache sync.Map // permittedKey → []string

// Permitted lists, sorted, the triggers actor may fire now on subj. The
// slice is shared: do not modify it.
func Permitted(ctx context.Context, def *Definition, subj Subject, actor Actor) []string {
	key := permittedKey{def: def, state: subj.State, role: actor.Role, owner: isOwner(actor, subj), extendable: subj.Extendable}
	if v, ok := permittedCache.Load(key); ok {
		return v.([]string)
	}
	names := permitted(ctx, def, subj, actor)
	permittedCache.Store(key, names)
	return names
}

func permitted(ctx context.Context, def *Definition, subj Subject, actor Actor) []string {
	_, m := newFiring(def, subj, actor)
	triggers, err := m.PermittedTriggersCtx(ctx)
	if err != nil {
		return []string{}
	}
	names := make([]string, 0, len(triggers))
	for _, t := range triggers {
		names = append(names, t.(string))
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// CheckCreate reports whether actor may create an appraisal on def.
func CheckCreate(def *Definition, actor Actor) error {
	t := def.CreationTrigger()
	if t == nil {
		return Errorf(EINTERNAL, "workflow %s has no creation trigger", def.Name)
	}
	if !t.AllowsRole(actor.Role) {
		return Errorf(EFORBIDDEN, "role %s may not fire %s", actor.Role, t.Name)
	}
	return nil
}
