package engine_test

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// The spec, transcribed by hand from DESIGN.md, "The technology-appraisal
// workflow, version 1". Every expectation below is derived from these
// tables and never from engine code.

var specStates = []string{"submitted", "returned", "reviewed", "appraised", "rejected", "withdrawn", "archived"}

type specTransition struct {
	from      []string
	to        string
	roles     []string
	ownerOnly bool     // "the applicant who owns it"
	requires  []string // required data: "comment", "outcome"
}

var specTransitions = map[string]specTransition{
	"review":             {from: []string{"submitted"}, to: "reviewed", roles: []string{"reviewer"}},
	"request_supplement": {from: []string{"submitted"}, to: "returned", roles: []string{"reviewer"}, requires: []string{"comment"}},
	"resubmit":           {from: []string{"returned"}, to: "submitted", roles: []string{"applicant"}, ownerOnly: true},
	"reject":             {from: []string{"submitted"}, to: "rejected", roles: []string{"reviewer"}, requires: []string{"comment"}},
	"appraise":           {from: []string{"reviewed"}, to: "appraised", roles: []string{"appraiser"}, requires: []string{"outcome"}},
	"withdraw":           {from: []string{"submitted", "returned"}, to: "withdrawn", roles: []string{"applicant"}, ownerOnly: true},
	"archive":            {from: []string{"appraised", "rejected", "withdrawn"}, to: "archived", roles: []string{"reviewer", "admin"}},
}

// specCreation is the creation trigger: submit, (creation) -> submitted, applicant.
var specCreation = struct {
	name, to string
	roles    []string
}{"submit", "submitted", []string{"applicant"}}

var specOutcomes = []string{"approved", "approved_with_conditions", "not_approved"}

// The triggers of the matrix, in a fixed order, plus one the workflow lacks.
var matrixTriggers = []string{"review", "request_supplement", "resubmit", "reject", "appraise", "withdraw", "archive", "approve_all"}

const ownerID = 1

type testActor struct {
	label string
	actor engine.Actor
}

var testActors = []testActor{
	{"applicant-owner", engine.Actor{ID: ownerID, Name: "Nguyễn Văn An", Role: engine.RoleApplicant}},
	{"applicant-not-owner", engine.Actor{ID: 2, Name: "Trần Thị Bình", Role: engine.RoleApplicant}},
	{"reviewer", engine.Actor{ID: 3, Name: "Lê Văn Cường", Role: engine.RoleReviewer}},
	{"appraiser", engine.Actor{ID: 4, Name: "Phạm Thị Dung", Role: engine.RoleAppraiser}},
	{"admin", engine.Actor{ID: 5, Name: "Hoàng Văn Em", Role: engine.RoleAdmin}},
}

// specMay reports whether, per the spec, actor may ever fire tr on an
// appraisal owned by ownerID, whatever its state.
func specMay(tr specTransition, a engine.Actor) (roleOK, ownerOK bool) {
	roleOK = slices.Contains(tr.roles, string(a.Role))
	ownerOK = !tr.ownerOnly || (a.Role == engine.RoleApplicant && a.ID == ownerID)
	return roleOK, ownerOK
}

// specPermitted lists, sorted, what actor may fire in state per the spec.
func specPermitted(state string, a engine.Actor) []string {
	out := []string{}
	for name, tr := range specTransitions {
		roleOK, ownerOK := specMay(tr, a)
		if roleOK && ownerOK && slices.Contains(tr.from, state) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// validInput is data that satisfies trigger's requirements per the spec.
func validInput(trigger string) engine.Input {
	switch trigger {
	case "request_supplement":
		return engine.Input{Comment: "Bổ sung thuyết minh công nghệ và danh mục thiết bị."}
	case "reject":
		return engine.Input{Comment: "Hồ sơ không thuộc thẩm quyền thẩm định của Sở."}
	case "appraise":
		return engine.Input{Outcome: "approved_with_conditions", Comment: "Đạt, với điều kiện thay thế dây chuyền sấy."}
	}
	return engine.Input{}
}

type expectation struct {
	state     string       // on success
	code      engine.Code  // on failure
	permitted []string     // for ECONFLICT
	why       string       // for the failure message
	input     engine.Input // what to send
}

// expect derives the outcome of firing trigger in state as actor from the
// spec tables. Precedence: unknown trigger; forbidden (role, then owner,
// whatever the state: such an actor may never fire it on this appraisal);
// conflict (not permitted from this state); then the data.
func expect(state, trigger string, a engine.Actor) expectation {
	tr, ok := specTransitions[trigger]
	if !ok {
		return expectation{code: engine.EUNKNOWNTRIGGER, why: "no such trigger"}
	}
	in := validInput(trigger)
	roleOK, ownerOK := specMay(tr, a)
	switch {
	case !roleOK:
		return expectation{code: engine.EFORBIDDEN, input: in, why: "role may never fire it"}
	case !ownerOK:
		return expectation{code: engine.EFORBIDDEN, input: in, why: "owner-only and not the owner"}
	case !slices.Contains(tr.from, state):
		return expectation{code: engine.ECONFLICT, input: in, permitted: specPermitted(state, a), why: "not permitted from " + state}
	}
	return expectation{state: tr.to, input: in}
}

// techAppraisal is version 1, the one DESIGN.md's table describes; later
// versions add to it (see deadline_test.go).
func techAppraisal(t testing.TB) *engine.Definition {
	t.Helper()
	def, err := workflows.Embedded().Definition(engine.WorkflowRef{Name: "technology-appraisal", Version: 1})
	if err != nil {
		t.Fatalf("technology-appraisal v1: %v", err)
	}
	return def
}

func asError(t testing.TB, err error) *engine.Error {
	t.Helper()
	var e *engine.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *engine.Error", err, err)
	}
	return e
}

// checkFire compares one Fire result with its expectation; it returns a
// description of the mismatch, or "".
func checkFire(got string, err error, want expectation) string {
	if want.code == "" {
		if err != nil {
			return fmt.Sprintf("want state %s, got error %v (code %s)", want.state, err, engine.ErrorCode(err))
		}
		if got != want.state {
			return fmt.Sprintf("want state %s, got %s", want.state, got)
		}
		return ""
	}
	if err == nil {
		return fmt.Sprintf("want %s (%s), got success to %s", want.code, want.why, got)
	}
	if code := engine.ErrorCode(err); code != want.code {
		return fmt.Sprintf("want %s (%s), got %s: %v", want.code, want.why, code, err)
	}
	if got != "" {
		return fmt.Sprintf("failed with %v but returned state %q", err, got)
	}
	var e *engine.Error
	if !errors.As(err, &e) {
		return fmt.Sprintf("error %T is not an *engine.Error", err)
	}
	if want.code == engine.ECONFLICT && !slices.Equal(e.Permitted, want.permitted) {
		return fmt.Sprintf("ECONFLICT Permitted = %q, want %q", e.Permitted, want.permitted)
	}
	if e.Message == "" {
		return "error has an empty message"
	}
	return ""
}

// TestFireMatrix fires every trigger from every state as every kind of actor.
func TestFireMatrix(t *testing.T) {
	def := techAppraisal(t)
	n := 0
	for _, state := range specStates {
		for _, trigger := range matrixTriggers {
			for _, ta := range testActors {
				n++
				want := expect(state, trigger, ta.actor)
				t.Run(state+"/"+trigger+"/"+ta.label, func(t *testing.T) {
					subj := engine.Subject{State: state, OwnerID: ownerID}
					got, err := engine.Fire(t.Context(), def, subj, ta.actor, trigger, want.input)
					if msg := checkFire(got, err, want); msg != "" {
						t.Error(msg)
					}
				})
			}
		}
	}
	if want := 7 * 8 * 5; n != want {
		t.Fatalf("matrix has %d cases, want %d", n, want)
	}
}

// TestSpecTableMatchesDefinition guards the transcription itself against
// drift: the embedded definition must name the same states and triggers.
// (It compares names only; behaviour is checked by TestFireMatrix.)
func TestSpecTableMatchesDefinition(t *testing.T) {
	def := techAppraisal(t)
	var states []string
	for _, s := range def.States {
		states = append(states, s.Name)
	}
	if !sameSet(states, specStates) {
		t.Errorf("definition states %q, spec %q", states, specStates)
	}
	var triggers []string
	for _, tr := range def.Triggers {
		triggers = append(triggers, tr.Name)
	}
	want := []string{specCreation.name}
	for name := range specTransitions {
		want = append(want, name)
	}
	if !sameSet(triggers, want) {
		t.Errorf("definition triggers %q, spec %q", triggers, want)
	}
	if def.Initial != specCreation.to {
		t.Errorf("initial state %q, want %q", def.Initial, specCreation.to)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestFireRequiredData(t *testing.T) {
	def := techAppraisal(t)
	reviewer, appraiser := testActors[2].actor, testActors[3].actor
	owner := testActors[0].actor
	tests := []struct {
		name    string
		state   string
		actor   engine.Actor
		trigger string
		in      engine.Input
		want    string // new state; empty when an error is expected
		field   string // the Field of the EINVALID error
	}{
		{"request_supplement without comment", "submitted", reviewer, "request_supplement", engine.Input{}, "", "comment"},
		{"request_supplement with blank comment", "submitted", reviewer, "request_supplement", engine.Input{Comment: " \n\t "}, "", "comment"},
		{"request_supplement with comment", "submitted", reviewer, "request_supplement", engine.Input{Comment: "Thiếu bản vẽ."}, "returned", ""},
		{"reject without comment", "submitted", reviewer, "reject", engine.Input{}, "", "comment"},
		{"reject with blank comment", "submitted", reviewer, "reject", engine.Input{Comment: "   "}, "", "comment"},
		{"appraise without outcome", "reviewed", appraiser, "appraise", engine.Input{}, "", "outcome"},
		{"appraise without outcome, with comment", "reviewed", appraiser, "appraise", engine.Input{Comment: "Đạt."}, "", "outcome"},
		{"appraise with unknown outcome", "reviewed", appraiser, "appraise", engine.Input{Outcome: "approve", Comment: "x"}, "", "outcome"},
		{"appraise with outcome in wrong case", "reviewed", appraiser, "appraise", engine.Input{Outcome: "APPROVED"}, "", "outcome"},
		{"appraise not_approved without comment", "reviewed", appraiser, "appraise", engine.Input{Outcome: "not_approved"}, "", "comment"},
		{"appraise not_approved with blank comment", "reviewed", appraiser, "appraise", engine.Input{Outcome: "not_approved", Comment: "\t"}, "", "comment"},
		{"appraise approved_with_conditions without comment", "reviewed", appraiser, "appraise", engine.Input{Outcome: "approved_with_conditions"}, "", "comment"},
		{"appraise approved without comment", "reviewed", appraiser, "appraise", engine.Input{Outcome: "approved"}, "appraised", ""},
		{"appraise approved with comment", "reviewed", appraiser, "appraise", engine.Input{Outcome: "approved", Comment: "Đạt."}, "appraised", ""},
		{"appraise not_approved with comment", "reviewed", appraiser, "appraise", engine.Input{Outcome: "not_approved", Comment: "Công nghệ lạc hậu."}, "appraised", ""},
		{"appraise approved_with_conditions with comment", "reviewed", appraiser, "appraise", engine.Input{Outcome: "approved_with_conditions", Comment: "Có điều kiện."}, "appraised", ""},
		{"review with an outcome", "submitted", reviewer, "review", engine.Input{Outcome: "approved"}, "", "outcome"},
		{"reject with an outcome", "submitted", reviewer, "reject", engine.Input{Comment: "x", Outcome: "not_approved"}, "", "outcome"},
		{"request_supplement with an outcome", "submitted", reviewer, "request_supplement", engine.Input{Comment: "x", Outcome: "approved"}, "", "outcome"},
		{"withdraw with an outcome", "submitted", owner, "withdraw", engine.Input{Outcome: "approved"}, "", "outcome"},
		{"resubmit with an outcome", "returned", owner, "resubmit", engine.Input{Outcome: "approved"}, "", "outcome"},
		{"archive with an outcome", "appraised", reviewer, "archive", engine.Input{Outcome: "approved"}, "", "outcome"},
		{"review with an optional comment", "submitted", reviewer, "review", engine.Input{Comment: "Hồ sơ đầy đủ."}, "reviewed", ""},
		{"withdraw with an optional comment", "returned", owner, "withdraw", engine.Input{Comment: "Dự án dừng."}, "withdrawn", ""},
	}
	for _, o := range specOutcomes {
		tests = append(tests, struct {
			name    string
			state   string
			actor   engine.Actor
			trigger string
			in      engine.Input
			want    string
			field   string
		}{"appraise " + o + " with comment (loop)", "reviewed", appraiser, "appraise", engine.Input{Outcome: o, Comment: "Kết luận."}, "appraised", ""})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			subj := engine.Subject{State: tc.state, OwnerID: ownerID}
			got, err := engine.Fire(t.Context(), def, subj, tc.actor, tc.trigger, tc.in)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Fatalf("got (%q, %v), want state %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got success to %q, want EINVALID on %s", got, tc.field)
			}
			e := asError(t, err)
			if e.Code != engine.EINVALID || e.Field != tc.field {
				t.Fatalf("got code %s field %q (%v), want %s field %q", e.Code, e.Field, err, engine.EINVALID, tc.field)
			}
		})
	}
}

// TestFirePrecedence: who and where come before what data.
func TestFirePrecedence(t *testing.T) {
	def := techAppraisal(t)
	tests := []struct {
		name    string
		state   string
		actor   engine.Actor
		trigger string
		in      engine.Input
		want    engine.Code
	}{
		{"wrong role and missing comment", "submitted", testActors[3].actor, "reject", engine.Input{}, engine.EFORBIDDEN},
		{"wrong role and missing outcome", "reviewed", testActors[2].actor, "appraise", engine.Input{}, engine.EFORBIDDEN},
		{"wrong state and missing comment", "reviewed", testActors[2].actor, "reject", engine.Input{}, engine.ECONFLICT},
		{"wrong state and bad outcome", "submitted", testActors[3].actor, "appraise", engine.Input{Outcome: "maybe"}, engine.ECONFLICT},
		{"not the owner and an outcome", "submitted", testActors[1].actor, "withdraw", engine.Input{Outcome: "approved"}, engine.EFORBIDDEN},
		{"unknown trigger with data", "submitted", testActors[2].actor, "approve_all", engine.Input{Comment: "x", Outcome: "approved"}, engine.EUNKNOWNTRIGGER},
		{"empty trigger", "submitted", testActors[2].actor, "", engine.Input{}, engine.EUNKNOWNTRIGGER},
		{"trigger in another case", "submitted", testActors[2].actor, "Review", engine.Input{}, engine.EUNKNOWNTRIGGER},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			subj := engine.Subject{State: tc.state, OwnerID: ownerID}
			got, err := engine.Fire(t.Context(), def, subj, tc.actor, tc.trigger, tc.in)
			if code := engine.ErrorCode(err); err == nil || code != tc.want {
				t.Fatalf("got (%q, %v, code %s), want %s", got, err, code, tc.want)
			}
		})
	}
}

func TestPermitted(t *testing.T) {
	def := techAppraisal(t)
	for _, state := range specStates {
		for _, ta := range testActors {
			t.Run(state+"/"+ta.label, func(t *testing.T) {
				got := engine.Permitted(t.Context(), def, engine.Subject{State: state, OwnerID: ownerID}, ta.actor)
				want := specPermitted(state, ta.actor)
				if !slices.Equal(got, want) {
					t.Errorf("Permitted = %q, want %q", got, want)
				}
				if !slices.IsSorted(got) {
					t.Errorf("Permitted = %q is not sorted", got)
				}
			})
		}
	}
}

// TestPermittedAgreesWithFire: whatever Permitted lists, Fire accepts with
// valid data, and nothing else is accepted.
func TestPermittedAgreesWithFire(t *testing.T) {
	def := techAppraisal(t)
	for _, state := range specStates {
		for _, ta := range testActors {
			subj := engine.Subject{State: state, OwnerID: ownerID}
			permitted := engine.Permitted(t.Context(), def, subj, ta.actor)
			for _, trigger := range matrixTriggers {
				_, err := engine.Fire(t.Context(), def, subj, ta.actor, trigger, validInput(trigger))
				if listed := slices.Contains(permitted, trigger); listed != (err == nil) {
					t.Errorf("%s/%s/%s: listed by Permitted = %v, but Fire error = %v", state, trigger, ta.label, listed, err)
				}
			}
		}
	}
}

func TestCheckCreate(t *testing.T) {
	def := techAppraisal(t)
	for _, ta := range testActors {
		t.Run(ta.label, func(t *testing.T) {
			err := engine.CheckCreate(def, ta.actor)
			if slices.Contains(specCreation.roles, string(ta.actor.Role)) {
				if err != nil {
					t.Fatalf("CheckCreate: %v, want nil", err)
				}
				return
			}
			if code := engine.ErrorCode(err); code != engine.EFORBIDDEN {
				t.Fatalf("CheckCreate: %v (code %s), want %s", err, code, engine.EFORBIDDEN)
			}
		})
	}
	t.Run("unknown role", func(t *testing.T) {
		err := engine.CheckCreate(def, engine.Actor{ID: 9, Role: "investor"})
		if code := engine.ErrorCode(err); code != engine.EFORBIDDEN {
			t.Fatalf("CheckCreate: %v (code %s), want %s", err, code, engine.EFORBIDDEN)
		}
	})
}

// TestFireConcurrent fires from many goroutines at once on one shared
// *Definition; each must get its own result. Run with -race.
func TestFireConcurrent(t *testing.T) {
	def := techAppraisal(t)
	type job struct {
		name    string
		state   string
		trigger string
		actor   engine.Actor
		want    expectation
	}
	var all []job
	for _, state := range specStates {
		for _, trigger := range matrixTriggers {
			for _, ta := range testActors {
				if tr, ok := specTransitions[trigger]; ok {
					// A non-owner firing an owner-only trigger outside its
					// from states is checked by TestFireMatrix alone, so that
					// this test fails only on concurrency.
					if _, ownerOK := specMay(tr, ta.actor); !ownerOK && !slices.Contains(tr.from, state) {
						continue
					}
				}
				all = append(all, job{state + "/" + trigger + "/" + ta.label, state, trigger, ta.actor, expect(state, trigger, ta.actor)})
			}
		}
	}
	// Put every success first so that the 50 goroutines mix successes with
	// every kind of failure, then spread the rest.
	slices.SortStableFunc(all, func(a, b job) int {
		if (a.want.code == "") == (b.want.code == "") {
			return 0
		}
		if a.want.code == "" {
			return -1
		}
		return 1
	})
	const goroutines = 50
	var successes int
	for _, j := range all {
		if j.want.code == "" {
			successes++
		}
	}
	jobs := make([]job, 0, goroutines)
	jobs = append(jobs, all[:successes]...)
	rest := all[successes:]
	for i := 0; len(jobs) < goroutines; i++ {
		jobs = append(jobs, rest[(i*7)%len(rest)])
	}
	codes := map[engine.Code]bool{}
	for _, j := range jobs {
		codes[j.want.code] = true
	}
	for _, c := range []engine.Code{"", engine.EFORBIDDEN, engine.ECONFLICT, engine.EUNKNOWNTRIGGER} {
		if !codes[c] {
			t.Fatalf("the concurrent jobs do not cover outcome %q", c)
		}
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			subj := engine.Subject{State: j.state, OwnerID: ownerID}
			for range 20 {
				got, err := engine.Fire(t.Context(), def, subj, j.actor, j.trigger, j.want.input)
				if msg := checkFire(got, err, j.want); msg != "" {
					t.Errorf("%s: %s", j.name, msg)
					return
				}
				if p := engine.Permitted(t.Context(), def, subj, j.actor); !slices.Equal(p, specPermitted(j.state, j.actor)) {
					t.Errorf("%s: Permitted = %q, want %q", j.name, p, specPermitted(j.state, j.actor))
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
}

func TestDOT(t *testing.T) {
	def := techAppraisal(t)
	dot := engine.DOT(def)
	if !strings.HasPrefix(dot, "digraph ") || !strings.HasSuffix(dot, "}\n") {
		t.Errorf("not a digraph:\n%s", dot)
	}
	if strings.Count(dot, "{") != strings.Count(dot, "}") {
		t.Errorf("unbalanced braces:\n%s", dot)
	}
	for _, s := range specStates {
		if !strings.Contains(dot, `"`+s+`"`) {
			t.Errorf("DOT does not mention state %q", s)
		}
	}
	if !strings.Contains(dot, specCreation.name) {
		t.Errorf("DOT does not mention trigger %q", specCreation.name)
	}
	if !strings.Contains(dot, `-> "`+specCreation.to+`"`) {
		t.Errorf("DOT has no creation arrow into %q", specCreation.to)
	}
	for name, tr := range specTransitions {
		if !strings.Contains(dot, name) {
			t.Errorf("DOT does not mention trigger %q", name)
		}
		for _, from := range tr.from {
			edge := fmt.Sprintf("%q -> %q", from, tr.to)
			if !strings.Contains(dot, edge) {
				t.Errorf("DOT has no edge %s for %s", edge, name)
			}
		}
	}
	if t.Failed() {
		t.Logf("DOT:\n%s", dot)
	}
}

func TestErrorCode(t *testing.T) {
	if got := engine.ErrorCode(errors.New("plain")); got != engine.EINTERNAL {
		t.Errorf("ErrorCode(plain error) = %s, want %s", got, engine.EINTERNAL)
	}
	wrapped := fmt.Errorf("wrapped: %w", engine.Errorf(engine.ECONFLICT, "x"))
	if got := engine.ErrorCode(wrapped); got != engine.ECONFLICT {
		t.Errorf("ErrorCode(wrapped) = %s, want %s", got, engine.ECONFLICT)
	}
	fe := engine.FieldErrorf("sector", "bad %s", "sector")
	if fe.Code != engine.EINVALID || fe.Field != "sector" || fe.Error() != "bad sector" {
		t.Errorf("FieldErrorf = %+v", fe)
	}
}
