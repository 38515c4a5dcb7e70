package web

import (
	"html/template"
	"slices"

	"github.com/appraisal/appraisal/engine"
)

var funcs = template.FuncMap{
	// rowsOf hands a list of dossiers to the "rows" template with the page.
	"rowsOf": func(v *view, rows []dossierRow, id string) rowsView { return rowsView{V: v, Rows: rows, ID: id} },
	"roles":  func() []engine.Role { return engine.Roles },
}

type rowsView struct {
	V    *view
	Rows []dossierRow
	ID   string
}

// fieldView is one field of the new-dossier form.
type fieldView struct {
	ID, Name, Kind, Label, Value, Error, Hint string
	Required                                  bool
	Options                                   []option
	// Described lists the ids of the hint and the error, for aria-describedby.
	Described string
}

// Field builds a field of the new-dossier form from the page's data: its
// label, what was typed, its error. kind is text, textarea or select.
func (v *view) Field(name, kind, hintKey string) fieldView {
	d, _ := v.Data.(*newData)
	f := fieldView{ID: "f-" + name, Name: name, Kind: kind, Label: v.T("field." + name),
		Required: slices.Contains(requiredFields, name)}
	if d != nil {
		f.Value, f.Error = d.Values[name], d.Errors[name]
	}
	if hintKey != "" {
		f.Hint = v.T(hintKey)
		f.Described = f.ID + "-hint"
	}
	if f.Error != "" {
		if f.Described != "" {
			f.Described += " "
		}
		f.Described += f.ID + "-error"
	}
	var values []string
	prefix := name + "."
	switch name {
	case "stage":
		values = []string{engine.StagePolicy, engine.StageDecision}
	case "project_group":
		values = []string{"national", "A", "B", "C"}
	case "ownership":
		values = engine.Ownerships()
	case "role":
		for _, r := range engine.Roles {
			values = append(values, string(r))
		}
	}
	if values != nil {
		f.Options = []option{{Value: "", Label: v.T("choose"), Selected: f.Value == ""}}
		for _, x := range values {
			f.Options = append(f.Options, option{Value: x, Label: v.T(prefix + x), Selected: f.Value == x})
		}
	}
	return f
}
