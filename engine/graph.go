package engine

import (
	"fmt"
	"strings"
)

// DOT draws def as a Graphviz digraph: the creation trigger as an arrow
// from a start point, final states double-circled, each edge labelled with
// its trigger and the roles that may fire it.
func DOT(def *Definition) string { return drawDOT(def, nil, nil) }

// TrailDOT draws def with one appraisal on it: its current state filled,
// the states it went through and the transitions it took drawn bold, each
// taken edge labelled with the seqs of its events. Internal triggers (an
// extension) show as a loop on their state.
func TrailDOT(def *Definition, a *Appraisal, events []Event) string { return drawDOT(def, a, events) }

// The styles of TrailDOT, named so a test can look for them.
const (
	CurrentStateColor = "#1f6feb"
	PathColor         = "#d4580a"
)

type edgeKey struct{ from, to, trigger string }

func drawDOT(def *Definition, a *Appraisal, events []Event) string {
	visited := map[string]bool{}
	taken := map[edgeKey][]string{}
	for _, e := range events {
		visited[e.ToState] = true
		from := e.FromState
		if from == "" {
			from = "(start)"
		}
		k := edgeKey{from, e.ToState, e.Trigger}
		taken[k] = append(taken[k], fmt.Sprint(e.Seq))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n", def.Name+" v"+fmt.Sprint(def.Version))
	b.WriteString("  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	if a != nil {
		fmt.Fprintf(&b, "  label=%q; labelloc=t;\n", a.Code+": "+a.State)
	}
	b.WriteString("  \"(start)\" [shape=point, width=0.15];\n")
	for _, s := range def.States {
		shape := "box"
		if s.Final {
			shape = "doubleoctagon"
		}
		attrs := fmt.Sprintf("shape=%s", shape)
		switch {
		case a != nil && s.Name == a.State:
			attrs += fmt.Sprintf(`, style="rounded,filled,bold", fillcolor=%q, fontcolor="white", color=%q, penwidth=2, id="current"`, CurrentStateColor, CurrentStateColor)
		case visited[s.Name]:
			attrs += fmt.Sprintf(`, style="rounded,bold", color=%q, penwidth=2`, PathColor)
		}
		fmt.Fprintf(&b, "  %q [%s];\n", s.Name, attrs)
	}
	edge := func(from, to string, t *TriggerDef) {
		label := fmt.Sprintf("%s\\n(%s)", t.Name, joinRoles(t.Roles))
		attrs := ""
		if seqs := taken[edgeKey{from, to, t.Name}]; len(seqs) > 0 {
			label += "\\n#" + strings.Join(seqs, ", #")
			attrs = fmt.Sprintf(`, color=%q, fontcolor=%q, penwidth=2.5, class="taken"`, PathColor, PathColor)
		} else if a != nil {
			attrs = `, style=dashed, color="#8c8c8c", fontcolor="#8c8c8c"`
		}
		fmt.Fprintf(&b, "  %q -> %q [label=\"%s\"%s];\n", from, to, label, attrs)
	}
	for i := range def.Triggers {
		t := &def.Triggers[i]
		if t.Creates() {
			edge("(start)", t.To, t)
			continue
		}
		for _, from := range t.From {
			edge(from, t.Target(from), t)
		}
	}
	b.WriteString("}\n")
	return b.String()
}

func joinRoles(roles []Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
