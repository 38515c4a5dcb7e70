package web

import (
	"io/fs"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// TestCatalogsComplete fails when a message is missing in either
// language: the catalogs have the same keys, none empty, and every key the
// templates and the workflows need is there.
func TestCatalogsComplete(t *testing.T) {
	vi, en := catalogs[langVI], catalogs[langEN]
	for k, v := range vi {
		if _, ok := en[k]; !ok {
			t.Errorf("key %q is in vi.json but not in en.json", k)
		}
		if v == "" {
			t.Errorf("vi.json: %q is empty", k)
		}
	}
	for k, v := range en {
		if _, ok := vi[k]; !ok {
			t.Errorf("key %q is in en.json but not in vi.json", k)
		}
		if v == "" {
			t.Errorf("en.json: %q is empty", k)
		}
	}

	need := map[string]bool{}
	// Every key a template asks for by name: .T "key" and $.T "key".
	uses := regexp.MustCompile(`\.T "([^"]+)"`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		data, _ := templateFS.ReadFile(f)
		for _, m := range uses.FindAllStringSubmatch(string(data), -1) {
			need[m[1]] = true
		}
	}
	// Every key the Go code asks for by name.
	goUses := regexp.MustCompile(`(?:translate\([a-zA-Z.]+, |view\(q, |v\.T\(|Field\(")"([a-z0-9_.]+)"`)
	for _, f := range []string{"web.go", "dossiers.go", "reports.go", "admin.go", "funcs.go"} {
		data, err := fs.ReadFile(os.DirFS("."), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range goUses.FindAllStringSubmatch(string(data), -1) {
			if m[1] != "" && !slices.Contains([]string{"state.", "trigger.", "outcome.", "role.", "sector.", "stage.", "ownership.", "field.", "err.", "dossier.", "workflow.", "project_group."}, m[1]) {
				need[m[1]] = true
			}
		}
	}
	// Every state, trigger and outcome of every workflow; roles; fields.
	catalog := workflows.Embedded()
	for _, name := range catalog.Names() {
		need["workflow."+name] = true
		for _, def := range catalog.Versions(name) {
			for _, s := range def.States {
				need["state."+s.Name] = true
			}
			for _, tr := range def.Triggers {
				need["trigger."+tr.Name] = true
				for _, o := range tr.Outcomes {
					need["outcome."+o] = true
				}
			}
		}
	}
	for _, r := range engine.Roles {
		need["role."+string(r)] = true
	}
	for _, f := range fieldNames {
		need["field."+f] = true
		need["err."+f] = true
	}
	for _, s := range engine.Sections() {
		need["sector."+s] = true
	}
	for _, o := range engine.Ownerships() {
		need["ownership."+o] = true
	}
	for _, f := range []string{engine.FieldComment, engine.FieldOutcome, engine.FieldDueAt} {
		need["err."+f] = true
	}
	for k := range need {
		for _, l := range langs {
			if _, ok := catalogs[l][k]; !ok {
				t.Errorf("%s.json lacks %q", l, k)
			}
		}
	}
}
