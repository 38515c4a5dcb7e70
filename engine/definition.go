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
)

// Definition is one version of a workflow, as loaded from its data file.
// A running appraisal is pinned to the name and version it started on.
type Definition struct {
	Name        string       `json:"name"`
	Version     int          `json:"version"`
	Title       string       `json:"title"`
	Description string       `json:"description,omitempty"`
	Initial     string       `json:"initial"`
	States      []StateDef   `json:"states"`
	Triggers    []TriggerDef `json:"triggers"`
}

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
	To    string   `json:"to"`
	Roles []Role   `json:"roles"`
	// OwnerOnly: only the applicant who owns the appraisal may fire it.
	OwnerOnly bool `json:"owner_only,omitempty"`
	// Requires names data fields that must be non-empty (FieldComment, FieldOutcome).
	Requires []string `json:"requires,omitempty"`
	// Outcomes, when set, are the allowed values of outcome, which is then required.
	Outcomes []string `json:"outcomes,omitempty"`
	// CommentUnlessOutcome: a comment is required unless the outcome is one of these.
	CommentUnlessOutcome []string `json:"comment_unless_outcome,omitempty"`
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
}
