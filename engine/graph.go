package engine

import (
	"fmt"
	"strings"
)

// DOT draws def as a Graphviz digraph: the creation trigger as an arrow
// from a start point, final states double-circled, each edge labelled with
// its trigger and the roles that may fire it.
func DOT(def *Definition) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n", def.Name+" v"+fmt.Sprint(def.Version))
	b.WriteString("  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  \"(start)\" [shape=point, width=0.15];\n")
	for _, s := range def.States {
		shape := "box"
		if s.Final {
			shape = "doubleoctagon"
		}
		fmt.Fprintf(&b, "  %q [shape=%s];\n", s.Name, shape)
	}
	for _, t := range def.Triggers {
		label := fmt.Sprintf("%s\\n(%s)", t.Name, joinRoles(t.Roles))
		if t.Creates() {
			fmt.Fprintf(&b, "  \"(start)\" -> %q [label=\"%s\"];\n", t.To, label)
			continue
		}
		for _, from := range t.From {
			fmt.Fprintf(&b, "  %q -> %q [label=\"%s\"];\n", from, t.To, label)
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
