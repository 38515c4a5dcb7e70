package httpapi

import (
	"bytes"
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/goccy/go-graphviz"
	"github.com/gorilla/mux"

	"github.com/appraisal/appraisal/engine"
)

type workflowJSON struct {
	Name          string             `json:"name"`
	Title         string             `json:"title"`
	LatestVersion int                `json:"latest_version"`
	Versions      []int              `json:"versions"`
	Roles         []engine.Role      `json:"roles"`
	Definition    *engine.Definition `json:"definition"`
}

func (s *Server) workflowJSON(name string) (workflowJSON, error) {
	latest, err := s.catalog.Latest(name)
	if err != nil {
		return workflowJSON{}, err
	}
	w := workflowJSON{Name: name, Title: latest.Title, LatestVersion: latest.Version, Definition: latest}
	for _, d := range s.catalog.Versions(name) {
		w.Versions = append(w.Versions, d.Version)
	}
	for _, t := range latest.Triggers {
		for _, r := range t.Roles {
			if !slices.Contains(w.Roles, r) {
				w.Roles = append(w.Roles, r)
			}
		}
	}
	slices.Sort(w.Roles)
	return w, nil
}

func (s *Server) listWorkflows(w http.ResponseWriter, r *http.Request) error {
	items := []workflowJSON{}
	for _, name := range s.catalog.Names() {
		wf, err := s.workflowJSON(name)
		if err != nil {
			return err
		}
		items = append(items, wf)
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"items": items})
	return nil
}

func (s *Server) getWorkflow(w http.ResponseWriter, r *http.Request) error {
	wf, err := s.workflowJSON(mux.Vars(r)["name"])
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", wf)
	return nil
}

// workflowVersion answers one version of a workflow's definition.
func (s *Server) workflowVersion(w http.ResponseWriter, r *http.Request) error {
	def, err := s.definitionOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, "application/json", def)
	return nil
}

// definitionOf reads {name} and {version}: the route admits digits only.
func (s *Server) definitionOf(r *http.Request) (*engine.Definition, error) {
	vars := mux.Vars(r)
	v, err := strconv.Atoi(vars["version"])
	if err != nil || strconv.Itoa(v) != vars["version"] {
		return nil, engine.Errorf(engine.ENOTFOUND, "no workflow %s version %s", vars["name"], vars["version"])
	}
	return s.catalog.Definition(engine.WorkflowRef{Name: vars["name"], Version: v})
}

// workflowGraph answers a workflow's diagram, of its latest version or of
// {version}: DOT by default, SVG for Accept: image/svg+xml.
func (s *Server) workflowGraph(w http.ResponseWriter, r *http.Request) error {
	var def *engine.Definition
	var err error
	if _, ok := mux.Vars(r)["version"]; ok {
		def, err = s.definitionOf(r)
	} else {
		def, err = s.catalog.Latest(mux.Vars(r)["name"])
	}
	if err != nil {
		return err
	}
	return s.writeGraph(w, r, engine.DOT(def))
}

// appraisalGraph answers the diagram of an appraisal's workflow version
// with its current state and the path it took marked.
func (s *Server) appraisalGraph(w http.ResponseWriter, r *http.Request) error {
	a, err := s.visibleAppraisal(r)
	if err != nil {
		return err
	}
	def, err := s.catalog.Definition(a.Workflow)
	if err != nil {
		return err
	}
	events, err := s.store.Events(r.Context(), a.ID)
	if err != nil {
		return err
	}
	return s.writeGraph(w, r, engine.TrailDOT(def, a, events))
}

// writeGraph answers dot as DOT, or rendered to SVG for Accept: image/svg+xml.
func (s *Server) writeGraph(w http.ResponseWriter, r *http.Request, dot string) error {
	if !strings.Contains(r.Header.Get("Accept"), "image/svg+xml") {
		w.Header().Set("Content-Type", "text/vnd.graphviz; charset=utf-8")
		w.Write([]byte(dot))
		return nil
	}
	svg, err := s.graphs.svg(r.Context(), dot)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(svg)
	return nil
}

// graphRenderer renders DOT to SVG in-process (Graphviz compiled to
// WebAssembly): no system dependency. The runtime is made once, on first
// use, and used by one request at a time in the whole process: go-graphviz
// keeps process-wide state, so every Server shares the one renderer.
type graphRenderer struct {
	mu sync.Mutex
	gv *graphviz.Graphviz
}

var sharedGraphRenderer = &graphRenderer{}

func (g *graphRenderer) svg(ctx context.Context, dot string) ([]byte, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gv == nil {
		gv, err := graphviz.New(context.Background())
		if err != nil {
			return nil, err
		}
		g.gv = gv
	}
	graph, err := graphviz.ParseBytes([]byte(dot))
	if err != nil {
		return nil, err
	}
	defer graph.Close()
	var buf bytes.Buffer
	if err := g.gv.Render(ctx, graph, graphviz.SVG, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
