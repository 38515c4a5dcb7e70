package workflows_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// FuzzParse: Parse never panics; what it accepts survives its own JSON
// re-encoding, and the engine can run it: Fire and Permitted answer, and
// never panic, for every state, trigger and role.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		def, err := workflows.Parse(data)
		if err != nil {
			return
		}
		encoded, err := json.Marshal(def)
		if err != nil {
			t.Fatalf("an accepted definition does not encode: %v", err)
		}
		again, err := workflows.Parse(encoded)
		if err != nil {
			t.Fatalf("the re-encoding of an accepted definition is refused: %v\n%s", err, encoded)
		}
		if reencoded, _ := json.Marshal(again); !bytes.Equal(reencoded, encoded) {
			t.Fatalf("the definition changes when re-encoded:\n%s\n%s", encoded, reencoded)
		}
		fuzzRun(t, def)
	})
}

// fuzzRun fires every trigger, with and without data, from every state (and
// one the definition lacks) as every role (and one unknown), owner or not.
func fuzzRun(t *testing.T, def *engine.Definition) {
	ctx := context.Background()
	states := []string{"no_such_state"}
	for _, s := range def.States {
		states = append(states, s.Name)
	}
	triggers := []string{"", "no_such_trigger"}
	for _, tr := range def.Triggers {
		triggers = append(triggers, tr.Name)
	}
	roles := append(slices.Clone(engine.Roles), engine.Role("intruder"))
	for _, state := range states {
		for _, role := range roles {
			for _, owner := range []bool{true, false} {
				subj := engine.Subject{State: state, OwnerID: 1}
				actor := engine.Actor{ID: 2, Name: "x", Role: role}
				if owner {
					actor.ID = 1
				}
				permitted := engine.Permitted(ctx, def, subj, actor)
				if !slices.IsSorted(permitted) {
					t.Fatalf("Permitted(%s, %s) = %v, not sorted", state, role, permitted)
				}
				for _, name := range permitted {
					if tr := def.Trigger(name); tr == nil || !slices.Contains(tr.From, state) || !tr.AllowsRole(role) {
						t.Fatalf("Permitted(%s, %s) lists %s, which %s may not fire from there", state, role, name, role)
					}
				}
				for _, name := range triggers {
					for _, in := range fuzzInputs(def.Trigger(name)) {
						to, err := engine.Fire(ctx, def, subj, actor, name, in)
						if err != nil {
							if engine.ErrorCode(err) == engine.EINTERNAL {
								t.Fatalf("Fire(%s, %s, %s, %+v): an internal error: %v", state, role, name, in, err)
							}
							continue
						}
						tr := def.Trigger(name)
						if to != tr.To || !slices.Contains(tr.From, state) || !slices.Contains(permitted, name) {
							t.Fatalf("Fire(%s, %s, %s, %+v) went to %s, though %s goes %v -> %s and permitted is %v",
								state, role, name, in, to, name, tr.From, tr.To, permitted)
						}
					}
				}
			}
		}
	}
}

// fuzzInputs are the data to fire t with: none, a comment, and each of its
// outcomes, and one it does not have, with and without a comment.
func fuzzInputs(t *engine.TriggerDef) []engine.Input {
	ins := []engine.Input{{}, {Comment: "lý do"}, {Outcome: "no_such_outcome"}}
	if t != nil {
		for _, o := range t.Outcomes {
			ins = append(ins, engine.Input{Outcome: o}, engine.Input{Outcome: o, Comment: "lý do"})
		}
	}
	return ins
}
