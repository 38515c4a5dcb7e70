package workflows_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

var _ engine.Catalog = (*workflows.Catalog)(nil)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestEmbedded(t *testing.T) {
	c := workflows.Embedded()
	if names := c.Names(); !slices.Contains(names, workflows.TechnologyAppraisal) {
		t.Fatalf("Names() = %q, want it to contain %q", names, workflows.TechnologyAppraisal)
	}
	def, err := c.Latest(workflows.TechnologyAppraisal)
	if err != nil {
		t.Fatalf("Latest: %v", err)
	}
	if def.Name != "technology-appraisal" || def.Version < 1 {
		t.Errorf("Latest = %s v%d", def.Name, def.Version)
	}
	v1, err := c.Definition(engine.WorkflowRef{Name: "technology-appraisal", Version: 1})
	if err != nil {
		t.Fatalf("Definition(technology-appraisal, 1): %v", err)
	}
	if v1.Ref() != (engine.WorkflowRef{Name: "technology-appraisal", Version: 1}) {
		t.Errorf("Ref() = %+v", v1.Ref())
	}
	if v1.Initial != "submitted" || len(v1.States) != 7 || len(v1.Triggers) != 8 {
		t.Errorf("v1: initial %q, %d states, %d triggers; want submitted, 7, 8", v1.Initial, len(v1.States), len(v1.Triggers))
	}
	if err := workflows.Validate(v1); err != nil {
		t.Errorf("Validate(embedded v1): %v", err)
	}
}

// TestDefinitionFilesParse: every shipped file parses on its own.
func TestDefinitionFilesParse(t *testing.T) {
	files, err := filepath.Glob("definitions/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no definition files: %v", err)
	}
	for _, f := range files {
		if _, err := workflows.Parse(readFile(t, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestParseSmallValid(t *testing.T) {
	def, err := workflows.Parse(readFile(t, "testdata/small.json"))
	if err != nil {
		t.Fatalf("testdata/small.json, the base of the broken files, does not parse: %v", err)
	}
	if def.Name != "small" || def.Version != 1 || def.CreationTrigger() == nil || def.CreationTrigger().Name != "create" {
		t.Errorf("parsed %+v", def)
	}
}

// brokenFiles maps each file of testdata/broken, a copy of
// testdata/small.json with one fault, to a substring of the error it must
// give.
var brokenFiles = map[string]string{
	"to-unknown-state.json":         `goes to unknown state "nowhere"`,
	"from-unknown-state.json":       `leaves unknown state "limbo"`,
	"unreachable-state.json":        `state "orphan" is unreachable`,
	"trigger-twice-from-state.json": `"close" is listed twice from state "open"`,
	"unknown-role.json":             `unknown role "inspector"`,
	"no-initial-state.json":         "no initial state",
	"initial-not-defined.json":      `initial state "draft" is not a defined state`,
	"no-creation-trigger.json":      "0 creation triggers",
	"two-creation-triggers.json":    "2 creation triggers",
	"unknown-field.json":            `unknown field "ownerOnly"`,
	"trigger-without-roles.json":    `"check" names no role`,
	"final-state-with-trigger.json": `final state "closed" has triggers leaving it`,
	"duplicate-state.json":          `state "checked" is defined twice`,
	"unknown-required-field.json":   `requires unknown field "signature"`,
	"version-zero.json":             "version must be 1 or more, not 0",
	// beyond the brief's list
	"version-negative.json":               "version must be 1 or more, not -1",
	"version-missing.json":                "version must be 1 or more, not 0",
	"version-string.json":                 "cannot unmarshal string",
	"no-name.json":                        "no name",
	"no-states.json":                      "no states",
	"state-without-name.json":             `state name ""`,
	"duplicate-trigger-name.json":         `trigger "check" is defined twice`,
	"trigger-without-name.json":           `trigger name ""`,
	"creation-not-to-initial.json":        `creation trigger "create" goes to "checked", not to the initial state "open"`,
	"comment-unless-unknown-outcome.json": `comment_unless_outcome names "maybe"`,
	"role-wrong-case.json":                `unknown role "Reviewer"`,
	"trailing-data.json":                  "data after the definition",
	"not-json.json":                       "decoding definition",
	// deadlines, internal triggers and applies_to
	"internal-with-to.json":         `internal trigger "extend" stays in its state: it has no to`,
	"extends-without-deadline.json": `"extend" extends the deadline, but the workflow has no deadline`,
	"deadline-unknown-state.json":   `deadline ends_in names unknown state "nowhere"`,
	"deadline-no-ends-in.json":      "deadline names no ends_in state",
	"deadline-unknown-field.json":   `deadline rule 1 tests unknown dossier field "colour"`,
	"deadline-negative-days.json":   "working_days must be 0 (no deadline) to 260",
	"deadline-state-twice.json":     `state "checked" is in both paused_in and ends_in`,
	"deadline-initial-paused.json":  `the initial state "open" is in paused_in`,
	"applies-to-unknown-field.json": `applies_to tests unknown dossier field "colour"`,
	"two-windows.json":              `state "open" has two triggers with a due_within_working_days`,
	"extends-not-internal.json":     `trigger "extend" extends the deadline: it must be internal`,
	"internal-with-window.json":     `internal trigger "note" cannot have a due_within_working_days`,
}

// TestEveryStageHasOneWorkflow: a new dossier of each stage finds exactly
// one workflow among the shipped ones, the latest version of it.
func TestEveryStageHasOneWorkflow(t *testing.T) {
	c := workflows.Embedded()
	for stage, want := range map[string]engine.WorkflowRef{
		engine.StageDecision: {Name: "technology-appraisal", Version: 2},
		engine.StagePolicy:   {Name: "technology-opinion", Version: 1},
	} {
		for _, group := range []string{"", "national", "A", "B", "C"} {
			def, err := c.ForDossier(&engine.Dossier{Stage: stage, ProjectGroup: group})
			if err != nil || def.Ref() != want {
				t.Errorf("stage %s group %q: %v %v, want %+v", stage, group, def, err, want)
			}
		}
	}
	// Two workflows for every dossier, or none for some, is a fault of the files.
	small := readFile(t, "testdata/small.json")
	other := []byte(strings.Replace(string(small), `"name": "small"`, `"name": "other"`, 1))
	both, err := workflows.Load(fstest.MapFS{"a.json": {Data: small}, "b.json": {Data: other}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := both.ForDossier(&engine.Dossier{Stage: engine.StagePolicy}); engine.ErrorCode(err) != engine.EINTERNAL {
		t.Errorf("two workflows for a dossier: %v", err)
	}
	onlyPolicy := []byte(strings.Replace(string(small), `"initial"`, `"applies_to": {"stage": "policy"}, "initial"`, 1))
	one, err := workflows.Load(fstest.MapFS{"a.json": {Data: onlyPolicy}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := one.ForDossier(&engine.Dossier{Stage: engine.StageDecision}); engine.ErrorCode(err) != engine.EINTERNAL {
		t.Errorf("no workflow for a dossier: %v", err)
	}
	if def, err := one.ForDossier(&engine.Dossier{Stage: engine.StagePolicy}); err != nil || def.Name != "small" {
		t.Errorf("the policy stage: %v %v", def, err)
	}
}

func TestParseBroken(t *testing.T) {
	files, err := filepath.Glob("testdata/broken/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := brokenFiles[filepath.Base(f)]; !ok {
			t.Errorf("%s has no expected error in brokenFiles", f)
		}
	}
	for name, want := range brokenFiles {
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			def, err := workflows.Parse(readFile(t, filepath.Join("testdata", "broken", name)))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", def)
			}
			if def != nil {
				t.Errorf("Parse returned a definition with the error %v", err)
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("Parse error %q does not contain %q", err, want)
			}
		})
	}
}

// TestParseRejectsSelfLoop: a trigger whose to state is one of its from
// states makes stateless's Permit panic when the engine builds a machine,
// so the validator must refuse it (or the engine must support it).
func TestParseRejectsSelfLoop(t *testing.T) {
	def, err := workflows.Parse(readFile(t, "testdata/self-loop.json"))
	if err != nil {
		if !strings.Contains(err.Error(), `"check"`) {
			t.Errorf("Parse error %q does not name the trigger \"check\"", err)
		}
		return
	}
	// Accepted: show what it does to the engine.
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("Parse accepted a self-loop (check: checked -> checked), and engine.Fire then panics: %v", r)
		}
	}()
	actor := engine.Actor{ID: 1, Name: "r", Role: engine.RoleReviewer}
	state, err := engine.Fire(context.Background(), def, engine.Subject{State: "checked", OwnerID: 2}, actor, "check", engine.Input{Comment: "again"})
	if err != nil || state != "checked" {
		t.Errorf("Parse accepted a self-loop; Fire(check) from checked = (%q, %v), want (checked, nil)", state, err)
	}
}

func smallFile(t *testing.T, version int) *fstest.MapFile {
	t.Helper()
	data := string(readFile(t, "testdata/small.json"))
	if !strings.Contains(data, `"version": 1,`) {
		t.Fatal(`testdata/small.json lacks "version": 1,`)
	}
	data = strings.Replace(data, `"version": 1,`, fmt.Sprintf(`"version": %d,`, version), 1)
	data = strings.Replace(data, `"title": "A small valid workflow"`, fmt.Sprintf(`"title": "Small v%d"`, version), 1)
	return &fstest.MapFile{Data: []byte(data)}
}

func versions(defs []*engine.Definition) []int {
	var vs []int
	for _, d := range defs {
		vs = append(vs, d.Version)
	}
	return vs
}

func TestLoadVersions(t *testing.T) {
	fsys := fstest.MapFS{
		"small.v1.json":        smallFile(t, 1),
		"nested/small.v2.json": smallFile(t, 2),
		"README.md":            {Data: []byte("not a definition")},
		"notes.txt":            {Data: []byte("{")},
	}
	c, err := workflows.Load(fsys)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got := c.Names(); !slices.Equal(got, []string{"small"}) {
		t.Errorf("Names() = %q, want [small]", got)
	}
	latest, err := c.Latest("small")
	if err != nil || latest.Version != 2 || latest.Title != "Small v2" {
		t.Fatalf("Latest(small) = %+v, %v; want version 2", latest, err)
	}
	v1, err := c.Definition(engine.WorkflowRef{Name: "small", Version: 1})
	if err != nil || v1.Version != 1 || v1.Title != "Small v1" {
		t.Fatalf("Definition(small, 1) = %+v, %v; want version 1", v1, err)
	}
	v2, err := c.Definition(engine.WorkflowRef{Name: "small", Version: 2})
	if err != nil || v2 != latest {
		t.Fatalf("Definition(small, 2) = %+v, %v; want the latest", v2, err)
	}
	if got := versions(c.Versions("small")); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("Versions(small) = %v, want [1 2]", got)
	}
}

// TestLoadVersionsNumericOrder: version 10 is newer than version 2 though
// its file name sorts first.
func TestLoadVersionsNumericOrder(t *testing.T) {
	c, err := workflows.Load(fstest.MapFS{
		"small.v10.json": smallFile(t, 10),
		"small.v2.json":  smallFile(t, 2),
		"small.v9.json":  smallFile(t, 9),
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if latest, err := c.Latest("small"); err != nil || latest.Version != 10 {
		t.Fatalf("Latest(small) = %+v, %v; want version 10", latest, err)
	}
	if got := versions(c.Versions("small")); !slices.Equal(got, []int{2, 9, 10}) {
		t.Errorf("Versions(small) = %v, want [2 9 10]", got)
	}
}

func TestLoadSameVersionTwice(t *testing.T) {
	_, err := workflows.Load(fstest.MapFS{
		"a/small.json": smallFile(t, 1),
		"b/small.json": smallFile(t, 1),
	})
	if err == nil {
		t.Fatal("Load accepted version 1 of small twice")
	}
	if !strings.Contains(err.Error(), "version 1 is defined twice") {
		t.Errorf("Load error %q does not say version 1 is defined twice", err)
	}
}

func TestLoadErrors(t *testing.T) {
	t.Run("empty", func(t *testing.T) {
		if _, err := workflows.Load(fstest.MapFS{"README.md": {Data: []byte("x")}}); err == nil {
			t.Error("Load of a tree without definitions succeeded")
		}
	})
	t.Run("one broken file", func(t *testing.T) {
		_, err := workflows.Load(fstest.MapFS{
			"small.json":        smallFile(t, 1),
			"sub/unknown.json":  {Data: readFile(t, "testdata/broken/unknown-role.json")},
			"small.v2.json.bak": {Data: []byte("{")},
		})
		if err == nil {
			t.Fatal("Load accepted a broken file")
		}
		if !strings.Contains(err.Error(), "sub/unknown.json") || !strings.Contains(err.Error(), "inspector") {
			t.Errorf("Load error %q does not name the file and the fault", err)
		}
	})
	t.Run("testdata", func(t *testing.T) {
		if _, err := workflows.Load(os.DirFS("testdata")); err == nil {
			t.Error("Load of testdata, broken files and all, succeeded")
		}
	})
}

func TestNotFound(t *testing.T) {
	c, err := workflows.Load(fstest.MapFS{
		"small.v1.json": smallFile(t, 1),
		"small.v2.json": smallFile(t, 2),
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	lookups := map[string]func() (*engine.Definition, error){
		"Latest(nope)":       func() (*engine.Definition, error) { return c.Latest("nope") },
		"Latest(\"\")":       func() (*engine.Definition, error) { return c.Latest("") },
		"Definition(nope,1)": func() (*engine.Definition, error) { return c.Definition(engine.WorkflowRef{Name: "nope", Version: 1}) },
		"Definition(small,3)": func() (*engine.Definition, error) {
			return c.Definition(engine.WorkflowRef{Name: "small", Version: 3})
		},
		"Definition(small,0)": func() (*engine.Definition, error) {
			return c.Definition(engine.WorkflowRef{Name: "small", Version: 0})
		},
	}
	for name, lookup := range lookups {
		t.Run(name, func(t *testing.T) {
			def, err := lookup()
			if err == nil || def != nil {
				t.Fatalf("got (%v, %v), want an ENOTFOUND error", def, err)
			}
			if code := engine.ErrorCode(err); code != engine.ENOTFOUND {
				t.Fatalf("ErrorCode(%v) = %s, want %s", err, code, engine.ENOTFOUND)
			}
		})
	}
	if got := c.Versions("nope"); len(got) != 0 {
		t.Errorf("Versions(nope) = %v, want none", got)
	}
}
