package engine

import "slices"

// Role is what an actor may do in a workflow.
type Role string

const (
	RoleApplicant Role = "applicant"
	RoleReviewer  Role = "reviewer"
	RoleAppraiser Role = "appraiser"
	RoleAdmin     Role = "admin"
)

// Roles lists every role the product knows, in a stable order.
var Roles = []Role{RoleApplicant, RoleReviewer, RoleAppraiser, RoleAdmin}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// Data fields a trigger may require.
const (
	FieldComment = "comment"
	FieldOutcome = "outcome"
	FieldDueAt   = "due_at"
)

// Definition is one version of a workflow, as loaded from its data file.
// A running appraisal is pinned to the name and version it started on.
type Definition struct {
	Name        string `json:"name"`
	Version     int    `json:"version"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	Initial     string `json:"initial"`
	// AppliesTo names the dossiers a new appraisal starts on this workflow
	// for: dossier field (as in JSON) → the value it must have. Empty
	// applies to every dossier. Only the latest version of a workflow
	// takes new dossiers.
	AppliesTo map[string]string `json:"applies_to,omitempty"`
	States    []StateDef        `json:"states"`
	Triggers  []TriggerDef      `json:"triggers"`
	// Deadline is the law's time limit for handling a dossier; nil: none.
	Deadline *DeadlineDef `json:"deadline,omitempty"`
}

// DeadlineDef is the clock of a workflow, in working days: it starts on
// the day of receipt, stops while the dossier waits on the applicant
// (PausedIn), resumes on the day the dossier comes back, and ends in EndsIn,
// where the handling is judged on time or late, or in StopsIn, unjudged.
type DeadlineDef struct {
	Title string `json:"title,omitempty"`
	// Rules give the limit by dossier fields; the first that matches wins.
	// A matching rule with WorkingDays 0, or no matching rule, is no deadline.
	Rules    []DeadlineRule `json:"rules"`
	PausedIn []string       `json:"paused_in,omitempty"`
	EndsIn   []string       `json:"ends_in"`
	// StopsIn are states where the clock stops unjudged (withdrawn); so
	// does any final state reached before the handling was judged.
	StopsIn []string `json:"stops_in,omitempty"`
	// MaxExtensions bounds how often triggers with ExtendsDeadline may
	// move the due date of one appraisal.
	MaxExtensions int `json:"max_extensions,omitempty"`
}

// DeadlineRule is one time limit: WorkingDays for dossiers whose fields
// have the values in When (every one of them; empty When matches all).
type DeadlineRule struct {
	When        map[string]string `json:"when,omitempty"`
	WorkingDays int               `json:"working_days"`
	Note        string            `json:"note,omitempty"`
}

// WorkingDaysFor returns the time limit for d, 0 for none.
func (dd *DeadlineDef) WorkingDaysFor(d *Dossier) int {
	if dd == nil {
		return 0
	}
	for _, r := range dd.Rules {
		if d.Matches(r.When) {
			return r.WorkingDays
		}
	}
	return 0
}

// AppliesToDossier reports whether a new dossier d starts on def.
func (def *Definition) AppliesToDossier(d *Dossier) bool { return d.Matches(def.AppliesTo) }

// StateDef is one state of a workflow.
type StateDef struct {
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
	// Final states have no outgoing triggers.
	Final bool `json:"final,omitempty"`
}

// TriggerDef is one trigger: from any of From to To. A trigger with no From
// creates the appraisal in To, which must be the initial state.
type TriggerDef struct {
	Name  string   `json:"name"`
	Title string   `json:"title,omitempty"`
	From  []string `json:"from"`
	To    string   `json:"to,omitempty"`
	Roles []Role   `json:"roles"`
	// OwnerOnly: only the applicant who owns the appraisal may fire it.
	OwnerOnly bool `json:"owner_only,omitempty"`
	// Requires names data fields that must be non-empty (FieldComment, FieldOutcome).
	Requires []string `json:"requires,omitempty"`
	// Outcomes, when set, are the allowed values of outcome, which is then required.
	Outcomes []string `json:"outcomes,omitempty"`
	// CommentUnlessOutcome: a comment is required unless the outcome is one of these.
	CommentUnlessOutcome []string `json:"comment_unless_outcome,omitempty"`
	// Internal triggers leave the state as it is (To is empty): the event
	// is recorded, the state does not change.
	Internal bool `json:"internal,omitempty"`
	// DueWithinWorkingDays: the law wants this trigger fired, if at all,
	// within so many working days of the appraisal entering a From state.
	DueWithinWorkingDays int `json:"due_within_working_days,omitempty"`
	// ExtendsDeadline: the trigger takes a due_at, a later working day, and
	// moves the deadline to it (at most Deadline.MaxExtensions times).
	ExtendsDeadline bool `json:"extends_deadline,omitempty"`
}

// Target returns the state t leads to from state from.
func (t *TriggerDef) Target(from string) string {
	if t.Internal {
		return from
	}
	return t.To
}

// Creates reports whether t is the trigger that creates an appraisal.
func (t *TriggerDef) Creates() bool { return len(t.From) == 0 }

// AllowsRole reports whether an actor of role r may ever fire t.
func (t *TriggerDef) AllowsRole(r Role) bool { return slices.Contains(t.Roles, r) }

// Trigger returns the trigger named name, or nil.
func (d *Definition) Trigger(name string) *TriggerDef {
	for i := range d.Triggers {
		if d.Triggers[i].Name == name {
			return &d.Triggers[i]
		}
	}
	return nil
}

// CreationTrigger returns the trigger that creates an appraisal, or nil.
func (d *Definition) CreationTrigger() *TriggerDef {
	for i := range d.Triggers {
		if d.Triggers[i].Creates() {
			return &d.Triggers[i]
		}
	}
	return nil
}

// WindowTrigger returns the trigger the law wants fired, if at all, within
// some working days of entering state (DueWithinWorkingDays), or nil; the
// workflows validator allows one per state.
func (d *Definition) WindowTrigger(state string) *TriggerDef {
	for i := range d.Triggers {
		if t := &d.Triggers[i]; t.DueWithinWorkingDays > 0 && slices.Contains(t.From, state) {
			return t
		}
	}
	return nil
}

// State returns the state named name, or nil.
func (d *Definition) State(name string) *StateDef {
	for i := range d.States {
		if d.States[i].Name == name {
			return &d.States[i]
		}
	}
	return nil
}

// Ref names this definition's version.
func (d *Definition) Ref() WorkflowRef { return WorkflowRef{Name: d.Name, Version: d.Version} }

// WorkflowRef pins an appraisal to one version of one workflow.
type WorkflowRef struct {
	Name    string `json:"name"`
	Version int    `json:"version"`
}

// Catalog finds workflow definitions; the workflows package implements it.
type Catalog interface {
	// Definition returns the given version, or an ENOTFOUND *Error.
	Definition(ref WorkflowRef) (*Definition, error)
	// Latest returns the newest version of the named workflow, or an ENOTFOUND *Error.
	Latest(name string) (*Definition, error)
	// Calendar returns the working days that deadlines count in.
	Calendar() *Calendar
}
