// Package workflows holds the workflow definitions as embedded data files,
// and loads and validates them into an engine.Catalog.
package workflows

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/appraisal/appraisal/engine"
)

// TechnologyAppraisal is the name of the technology-appraisal workflow.
const TechnologyAppraisal = "technology-appraisal"

//go:embed definitions/*.json
var embedded embed.FS

// Catalog holds every version of every loaded workflow, and the calendar
// of working days their deadlines count in.
type Catalog struct {
	byName   map[string][]*engine.Definition // sorted by version
	calendar atomic.Pointer[engine.Calendar]
}

// Embedded loads the definitions shipped in the binary. They are tested, so
// a failure here is a build defect.
func Embedded() *Catalog {
	c, err := Load(embedded)
	if err != nil {
		panic(err)
	}
	return c
}

// Load reads every *.json file of fsys, recursively, and validates each.
func Load(fsys fs.FS) (*Catalog, error) {
	c := &Catalog{byName: map[string][]*engine.Definition{}}
	c.calendar.Store(MustCalendar())
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(p) != ".json" {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		def, err := Parse(data)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		for _, have := range c.byName[def.Name] {
			if have.Version == def.Version {
				return fmt.Errorf("%s: workflow %s version %d is defined twice", p, def.Name, def.Version)
			}
		}
		c.byName[def.Name] = append(c.byName[def.Name], def)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(c.byName) == 0 {
		return nil, fmt.Errorf("no workflow definitions found")
	}
	for _, defs := range c.byName {
		sort.Slice(defs, func(i, j int) bool { return defs[i].Version < defs[j].Version })
	}
	return c, nil
}

// Parse decodes one definition and validates it.
func Parse(data []byte) (*engine.Definition, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var def engine.Definition
	if err := dec.Decode(&def); err != nil {
		return nil, fmt.Errorf("decoding definition: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("decoding definition: data after the definition")
	}
	if err := Validate(&def); err != nil {
		return nil, err
	}
	return &def, nil
}

// namePattern keeps state and trigger names safe to print anywhere: in
// DOT, URLs, logs and metric labels.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

// Validate reports the first fault of def, naming it.
func Validate(def *engine.Definition) error {
	if strings.TrimSpace(def.Name) == "" {
		return fmt.Errorf("definition has no name")
	}
	if def.Version < 1 {
		return fmt.Errorf("workflow %s: version must be 1 or more, not %d", def.Name, def.Version)
	}
	errf := func(format string, args ...any) error {
		return fmt.Errorf("workflow %s v%d: %s", def.Name, def.Version, fmt.Sprintf(format, args...))
	}
	if len(def.States) == 0 {
		return errf("no states")
	}
	states := map[string]bool{}
	for _, s := range def.States {
		if !namePattern.MatchString(s.Name) {
			return errf("state name %q: lower-case letters, digits and _, starting with a letter", s.Name)
		}
		if states[s.Name] {
			return errf("state %q is defined twice", s.Name)
		}
		states[s.Name] = true
	}
	if def.Initial == "" {
		return errf("no initial state")
	}
	if !states[def.Initial] {
		return errf("initial state %q is not a defined state", def.Initial)
	}
	if err := validateRules(def, errf); err != nil {
		return err
	}
	creations := 0
	windowed := map[string]string{}           // state -> its trigger with a due_within_working_days
	fromState := map[string]map[string]bool{} // state -> triggers leaving it
	triggerNames := map[string]bool{}
	for _, t := range def.Triggers {
		if !namePattern.MatchString(t.Name) {
			return errf("trigger name %q: lower-case letters, digits and _, starting with a letter", t.Name)
		}
		if triggerNames[t.Name] {
			return errf("trigger %q is defined twice", t.Name)
		}
		triggerNames[t.Name] = true
		switch {
		case t.Internal && t.To != "":
			return errf("internal trigger %q stays in its state: it has no to", t.Name)
		case t.Internal && t.Creates():
			return errf("internal trigger %q needs from states", t.Name)
		case !t.Internal && !states[t.To]:
			return errf("trigger %q goes to unknown state %q", t.Name, t.To)
		case t.DueWithinWorkingDays < 0 || t.DueWithinWorkingDays > maxWorkingDays:
			return errf("trigger %q: due_within_working_days must be 0 to %d", t.Name, maxWorkingDays)
		case t.ExtendsDeadline && !t.Internal:
			return errf("trigger %q extends the deadline: it must be internal (change no state)", t.Name)
		case t.Internal && t.DueWithinWorkingDays > 0:
			return errf("internal trigger %q cannot have a due_within_working_days: it enters no state", t.Name)
		case t.ExtendsDeadline && (def.Deadline == nil || def.Deadline.MaxExtensions < 1):
			return errf("trigger %q extends the deadline, but the workflow has no deadline with max_extensions of 1 or more", t.Name)
		}
		if len(t.Roles) == 0 {
			return errf("trigger %q names no role that may fire it", t.Name)
		}
		for _, r := range t.Roles {
			if !r.Valid() {
				return errf("trigger %q names unknown role %q", t.Name, r)
			}
		}
		for _, f := range t.Requires {
			if f != engine.FieldComment && f != engine.FieldOutcome {
				return errf("trigger %q requires unknown field %q (known: comment, outcome)", t.Name, f)
			}
		}
		for _, o := range t.CommentUnlessOutcome {
			if !slices.Contains(t.Outcomes, o) {
				return errf("trigger %q: comment_unless_outcome names %q, which is not one of its outcomes", t.Name, o)
			}
		}
		if t.Creates() {
			creations++
			if t.To != def.Initial {
				return errf("creation trigger %q goes to %q, not to the initial state %q", t.Name, t.To, def.Initial)
			}
			continue
		}
		for _, from := range t.From {
			if !states[from] {
				return errf("trigger %q leaves unknown state %q", t.Name, from)
			}
			if from == t.To {
				// stateless would need PermitReentry, and a re-entry changes nothing to audit.
				return errf("trigger %q goes from state %q to itself", t.Name, from)
			}
			if fromState[from] == nil {
				fromState[from] = map[string]bool{}
			}
			if fromState[from][t.Name] {
				return errf("trigger %q is listed twice from state %q", t.Name, from)
			}
			fromState[from][t.Name] = true
			if t.DueWithinWorkingDays > 0 {
				if other, ok := windowed[from]; ok {
					return errf("state %q has two triggers with a due_within_working_days: %q and %q", from, other, t.Name)
				}
				windowed[from] = t.Name
			}
		}
	}
	if creations != 1 {
		return errf("%d creation triggers (a trigger with no from states); exactly one is needed", creations)
	}
	for _, s := range def.States {
		if s.Final && len(fromState[s.Name]) > 0 {
			return errf("final state %q has triggers leaving it", s.Name)
		}
	}
	reached := reachable(def)
	for _, s := range def.States {
		if !reached[s.Name] {
			return errf("state %q is unreachable from the initial state %q", s.Name, def.Initial)
		}
	}
	return nil
}

// maxWorkingDays bounds a time limit: a year of working days.
const maxWorkingDays = 260

// validateRules checks applies_to and the deadline.
func validateRules(def *engine.Definition, errf func(string, ...any) error) error {
	checkWhen := func(where string, when map[string]string) error {
		for k, v := range when {
			if !slices.Contains(engine.RuleFields, k) {
				return errf("%s tests unknown dossier field %q (known: %s)", where, k, strings.Join(engine.RuleFields, ", "))
			}
			if v == "" {
				return errf("%s gives no value for %q", where, k)
			}
		}
		return nil
	}
	if err := checkWhen("applies_to", def.AppliesTo); err != nil {
		return err
	}
	dd := def.Deadline
	if dd == nil {
		return nil
	}
	if len(dd.Rules) == 0 {
		return errf("deadline has no rules")
	}
	for i, r := range dd.Rules {
		if err := checkWhen(fmt.Sprintf("deadline rule %d", i+1), r.When); err != nil {
			return err
		}
		if r.WorkingDays < 0 || r.WorkingDays > maxWorkingDays {
			return errf("deadline rule %d: working_days must be 0 (no deadline) to %d", i+1, maxWorkingDays)
		}
	}
	if len(dd.EndsIn) == 0 {
		return errf("deadline names no ends_in state, where the handling is judged")
	}
	if dd.MaxExtensions < 0 {
		return errf("deadline: max_extensions must be 0 or more")
	}
	seen := map[string]string{}
	for _, list := range []struct {
		name   string
		states []string
	}{{"paused_in", dd.PausedIn}, {"ends_in", dd.EndsIn}, {"stops_in", dd.StopsIn}} {
		for _, st := range list.states {
			if def.State(st) == nil {
				return errf("deadline %s names unknown state %q", list.name, st)
			}
			if other, ok := seen[st]; ok {
				return errf("deadline: state %q is in both %s and %s", st, other, list.name)
			}
			seen[st] = list.name
		}
	}
	if seen[def.Initial] != "" {
		return errf("deadline: the initial state %q is in %s; the clock starts running in it", def.Initial, seen[def.Initial])
	}
	return nil
}

func reachable(def *engine.Definition) map[string]bool {
	seen := map[string]bool{def.Initial: true}
	queue := []string{def.Initial}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, t := range def.Triggers {
			if slices.Contains(t.From, s) && !t.Internal && !seen[t.To] {
				seen[t.To] = true
				queue = append(queue, t.To)
			}
		}
	}
	return seen
}

// Definition returns one version of a workflow.
func (c *Catalog) Definition(ref engine.WorkflowRef) (*engine.Definition, error) {
	for _, d := range c.byName[ref.Name] {
		if d.Version == ref.Version {
			return d, nil
		}
	}
	return nil, engine.Errorf(engine.ENOTFOUND, "no workflow %s version %d", ref.Name, ref.Version)
}

// Latest returns the newest version of a workflow.
func (c *Catalog) Latest(name string) (*engine.Definition, error) {
	defs := c.byName[name]
	if len(defs) == 0 {
		return nil, engine.Errorf(engine.ENOTFOUND, "no workflow %s", name)
	}
	return defs[len(defs)-1], nil
}

// ForDossier returns the workflow a new dossier d starts on: the latest
// version of the one workflow whose applies_to matches d.
func (c *Catalog) ForDossier(d *engine.Dossier) (*engine.Definition, error) {
	var found *engine.Definition
	for _, name := range c.Names() {
		latest, _ := c.Latest(name)
		if !latest.AppliesToDossier(d) {
			continue
		}
		if found != nil {
			return nil, engine.Errorf(engine.EINTERNAL, "workflows %s and %s both apply to a dossier of stage %s", found.Name, name, d.Stage)
		}
		found = latest
	}
	if found == nil {
		return nil, engine.Errorf(engine.EINTERNAL, "no workflow applies to a dossier of stage %s", d.Stage)
	}
	return found, nil
}

// States returns the states of every version of every workflow, each
// once, in the order of the definitions.
func (c *Catalog) States() []string {
	var out []string
	for _, name := range c.Names() {
		for _, def := range c.byName[name] {
			for _, s := range def.States {
				if !slices.Contains(out, s.Name) {
					out = append(out, s.Name)
				}
			}
		}
	}
	return out
}

// WorkingState reports whether state is a state of some workflow and final
// in none: where dossiers wait for work, as opposed to where they rest.
func (c *Catalog) WorkingState(state string) bool {
	found := false
	for _, defs := range c.byName {
		for _, d := range defs {
			if s := d.State(state); s != nil {
				if s.Final {
					return false
				}
				found = true
			}
		}
	}
	return found
}

// Calendar returns the working-day calendar deadlines count in.
func (c *Catalog) Calendar() *engine.Calendar { return c.calendar.Load() }

// SetCalendar replaces the calendar: the shipped one with what the
// operator added, as the server reloads it.
func (c *Catalog) SetCalendar(cal *engine.Calendar) { c.calendar.Store(cal) }

// Versions returns every version of a workflow, oldest first.
func (c *Catalog) Versions(name string) []*engine.Definition { return c.byName[name] }

// Names returns the workflow names, sorted.
func (c *Catalog) Names() []string {
	names := make([]string, 0, len(c.byName))
	for n := range c.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
