package httpapi

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/appraisal/appraisal/engine"
)

func withActor(ctx context.Context, a engine.Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

func actorOf(r *http.Request) engine.Actor {
	a, _ := r.Context().Value(actorKey).(engine.Actor)
	return a
}

// createRequest is the body of POST /appraisals. Pointers tell a field
// that is absent from one that is empty.
type createRequest struct {
	ProjectName      *string `json:"project_name"`
	Investor         *string `json:"investor"`
	Technology       *string `json:"technology"`
	Stage            *string `json:"stage"`
	ProjectGroup     *string `json:"project_group"`
	Ownership        *string `json:"ownership"`
	Sector           *string `json:"sector"`
	CapitalVND       *int64  `json:"capital_vnd"`
	InvestorCountry  *string `json:"investor_country"`
	TechnologyOrigin *string `json:"technology_origin"`
	Locality         *string `json:"locality"`
}

func (c *createRequest) dossier() (engine.Dossier, error) {
	if c.CapitalVND == nil {
		return engine.Dossier{}, engine.FieldErrorf("capital_vnd", "capital_vnd is required: an integer of at least 0")
	}
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	return engine.Dossier{
		ProjectName: s(c.ProjectName), Investor: s(c.Investor), Technology: s(c.Technology),
		Stage: s(c.Stage), ProjectGroup: s(c.ProjectGroup), Ownership: s(c.Ownership),
		Sector: s(c.Sector), CapitalVND: *c.CapitalVND, InvestorCountry: s(c.InvestorCountry),
		TechnologyOrigin: s(c.TechnologyOrigin), Locality: s(c.Locality),
	}, nil
}

// appraisalJSON is an appraisal as the API returns it.
type appraisalJSON struct {
	ID                int64              `json:"id"`
	Code              string             `json:"code"`
	Workflow          engine.WorkflowRef `json:"workflow"`
	State             string             `json:"state"`
	Version           int                `json:"version"`
	ProjectName       string             `json:"project_name"`
	Investor          string             `json:"investor"`
	Technology        string             `json:"technology"`
	Stage             string             `json:"stage"`
	ProjectGroup      *string            `json:"project_group"`
	Ownership         string             `json:"ownership"`
	Sector            string             `json:"sector"`
	CapitalVND        int64              `json:"capital_vnd"`
	InvestorCountry   *string            `json:"investor_country"`
	TechnologyOrigin  *string            `json:"technology_origin"`
	Locality          *string            `json:"locality"`
	Applicant         personJSON         `json:"applicant"`
	Outcome           *string            `json:"outcome"`
	SubmittedAt       time.Time          `json:"submitted_at"`
	UpdatedAt         time.Time          `json:"updated_at"`
	PermittedTriggers []string           `json:"permitted_triggers"`
	// The deadline (engine.Clock): days are Vietnam days, 2006-01-02.
	DueAt           *string         `json:"due_at"`
	Overdue         bool            `json:"overdue"`
	OnTime          *string         `json:"on_time"`
	ClockPaused     bool            `json:"clock_paused"`
	WorkingDaysLeft *int            `json:"working_days_left"`
	Extensions      int             `json:"extensions"`
	TriggerDue      *triggerDueJSON `json:"trigger_due"`
}

// triggerDueJSON is the last day to fire a trigger the law wants fired
// soon after the current state was entered (a request to supplement).
type triggerDueJSON struct {
	Trigger string `json:"trigger"`
	DueAt   string `json:"due_at"`
	Overdue bool   `json:"overdue"`
}

type personJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (s *Server) appraisalJSON(ctx context.Context, a *engine.Appraisal, actor engine.Actor) appraisalJSON {
	permitted := []string{}
	today := engine.Day(s.now())
	def, err := s.catalog.Definition(a.Workflow)
	if err == nil {
		permitted = engine.Permitted(ctx, def, a.Subject(def, today), actor)
	}
	d := a.Dossier
	c := a.Clock
	j := appraisalJSON{
		ID: a.ID, Code: a.Code, Workflow: a.Workflow, State: a.State, Version: a.Version,
		ProjectName: d.ProjectName, Investor: d.Investor, Technology: d.Technology, Stage: d.Stage,
		ProjectGroup: orNull(d.ProjectGroup), Ownership: d.Ownership, Sector: d.Sector,
		CapitalVND: d.CapitalVND, InvestorCountry: orNull(d.InvestorCountry),
		TechnologyOrigin: orNull(d.TechnologyOrigin), Locality: orNull(d.Locality),
		Applicant: personJSON{ID: a.ApplicantID, Name: a.ApplicantName}, Outcome: orNull(a.Outcome),
		SubmittedAt: a.SubmittedAt, UpdatedAt: a.UpdatedAt, PermittedTriggers: permitted,
		Overdue: c.Overdue(today), OnTime: orNull(c.Judged), ClockPaused: c.Paused, Extensions: c.Extensions,
	}
	if !c.Paused {
		j.DueAt = orNull(c.DueOn)
	} else {
		left := c.DaysLeft
		j.WorkingDaysLeft = &left
	}
	if c.TriggerDueOn != "" && def != nil {
		if t := def.WindowTrigger(a.State); t != nil {
			j.TriggerDue = &triggerDueJSON{Trigger: t.Name, DueAt: c.TriggerDueOn, Overdue: today > c.TriggerDueOn}
		}
	}
	return j
}

func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }

func (s *Server) writeAppraisal(w http.ResponseWriter, r *http.Request, status int, a *engine.Appraisal) {
	w.Header().Set("ETag", etag(a.Version))
	writeJSON(w, status, "application/json", s.appraisalJSON(r.Context(), a, actorOf(r)))
}

func (s *Server) createAppraisal(w http.ResponseWriter, r *http.Request) error {
	var req createRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	key, keyed, err := idempotencyKey(r, &req)
	if err != nil {
		return err
	}
	actor := actorOf(r)
	// Who may submit does not depend on the dossier: answer that first.
	if err := s.mayCreate(actor); err != nil {
		return err
	}
	d, err := req.dossier()
	if err != nil {
		return err
	}
	d.Normalize()
	if err := d.Validate(); err != nil {
		return err
	}
	def, err := s.catalog.ForDossier(&d)
	if err != nil {
		return err
	}
	if err := engine.CheckCreate(def, actor); err != nil {
		return err
	}
	var a *engine.Appraisal
	replayed := false
	cal := s.catalog.Calendar()
	if keyed {
		a, replayed, err = s.store.CreateAppraisalOnce(r.Context(), def, cal, s.unitCode, actor, d, key)
	} else {
		a, err = s.store.CreateAppraisal(r.Context(), def, cal, s.unitCode, actor, d)
	}
	if err != nil {
		return err
	}
	if replayed {
		w.Header().Set(idempotentReplayedHeader, "true")
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/appraisals/%d", a.ID))
	s.writeAppraisal(w, r, http.StatusCreated, a)
	return nil
}

// mayCreate reports EFORBIDDEN unless actor may submit to some workflow
// that takes new dossiers.
func (s *Server) mayCreate(actor engine.Actor) error {
	var err error
	for _, name := range s.catalog.Names() {
		latest, _ := s.catalog.Latest(name)
		if err = engine.CheckCreate(latest, actor); err == nil {
			return nil
		}
	}
	return err
}

// appraisalID reads {id}; the route admits digits only. A number too
// large names no appraisal, and neither does one written with leading
// zeros: an appraisal has one address, 7 and never 007.
func appraisalID(r *http.Request) (int64, error) {
	raw := mux.Vars(r)["id"]
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return 0, engine.Errorf(engine.ENOTFOUND, "no appraisal %s", mux.Vars(r)["id"])
	}
	return id, nil
}

// visibleAppraisal loads {id} for the caller: another applicant's appraisal
// is answered as if it did not exist.
func (s *Server) visibleAppraisal(r *http.Request) (*engine.Appraisal, error) {
	id, err := appraisalID(r)
	if err != nil {
		return nil, err
	}
	a, err := s.store.Appraisal(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if !a.VisibleTo(actorOf(r)) {
		return nil, engine.Errorf(engine.ENOTFOUND, "no appraisal %d", id)
	}
	return a, nil
}

func (s *Server) getAppraisal(w http.ResponseWriter, r *http.Request) error {
	a, err := s.visibleAppraisal(r)
	if err != nil {
		return err
	}
	s.writeAppraisal(w, r, http.StatusOK, a)
	return nil
}

type transitionRequest struct {
	Trigger string `json:"trigger"`
	Comment string `json:"comment"`
	Outcome string `json:"outcome"`
	DueAt   string `json:"due_at"`
}

// transition fires a trigger. Its route leaves the token to the store,
// which reads it with the appraisal (authenticateInStore); an answer
// decided before that looks the token up first, so a bad token is still a
// 401 before anything else.
func (s *Server) transition(w http.ResponseWriter, r *http.Request) error {
	tr, err := s.transitionRequest(w, r)
	if err != nil {
		if authErr := s.checkPending(r); authErr != nil {
			return authErr
		}
		return err
	}
	var a *engine.Appraisal
	if p, ok := pendingOf(r); ok {
		var actor engine.Actor
		a, actor, err = s.store.TransitionAs(r.Context(), s.catalog, p.hash, tr)
		s.countIfUnauthorized(r, err)
		r = r.WithContext(withActor(r.Context(), actor))
	} else {
		tr.Actor = actorOf(r)
		a, err = s.store.Transition(r.Context(), s.catalog, tr)
	}
	if err != nil {
		return err
	}
	s.metrics.transitions.WithLabelValues(a.Workflow.Name, tr.Trigger, a.State).Inc()
	s.writeAppraisal(w, r, http.StatusOK, a)
	return nil
}

// transitionRequest reads what the transition route is asked.
func (s *Server) transitionRequest(w http.ResponseWriter, r *http.Request) (engine.TransitionRequest, error) {
	id, err := appraisalID(r)
	if err != nil {
		return engine.TransitionRequest{}, err
	}
	ifVersion, err := parseIfMatch(r.Header.Get("If-Match"))
	if err != nil {
		return engine.TransitionRequest{}, err
	}
	var req transitionRequest
	if err := decode(w, r, &req); err != nil {
		return engine.TransitionRequest{}, err
	}
	if req.Trigger == "" {
		return engine.TransitionRequest{}, engine.FieldErrorf("trigger", "trigger is required")
	}
	return engine.TransitionRequest{AppraisalID: id, Trigger: req.Trigger, IfVersion: ifVersion,
		Input: engine.Input{Comment: req.Comment, Outcome: req.Outcome, DueAt: req.DueAt}}, nil
}

// parseIfMatch reads If-Match: absent or * is no condition (0); one strong
// entity tag "N" names version N. A weak tag never matches (If-Match
// compares strongly), so it names version -1.
func parseIfMatch(h string) (int, error) {
	h = strings.TrimSpace(h)
	switch {
	case h == "" || h == "*":
		return 0, nil
	case strings.HasPrefix(h, `W/"`):
		return -1, nil
	}
	if len(h) < 3 || h[0] != '"' || h[len(h)-1] != '"' {
		return 0, badRequest(`If-Match must be one entity tag as sent in ETag, such as "3"`)
	}
	v, err := strconv.Atoi(h[1 : len(h)-1])
	// Entity tags compare as strings: "03" and "+3" are not "3".
	if err != nil || v < 1 || etag(v) != h {
		return -1, nil // a well-formed tag that names no version of ours
	}
	return v, nil
}

type eventJSON struct {
	Seq       int          `json:"seq"`
	At        time.Time    `json:"at"`
	Actor     engine.Actor `json:"actor"`
	Trigger   string       `json:"trigger"`
	FromState *string      `json:"from_state"`
	ToState   string       `json:"to_state"`
	Comment   *string      `json:"comment"`
	Outcome   *string      `json:"outcome"`
	DueAt     *string      `json:"due_at"`
	PrevHash  string       `json:"prev_hash"`
	Hash      string       `json:"hash"`
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	a, err := s.visibleAppraisal(r)
	if err != nil {
		return err
	}
	events, err := s.store.Events(r.Context(), a.ID)
	if err != nil {
		return err
	}
	items := make([]eventJSON, len(events))
	for i, e := range events {
		items[i] = eventJSON{Seq: e.Seq, At: e.At, Actor: e.Actor, Trigger: e.Trigger,
			FromState: orNull(e.FromState), ToState: e.ToState, Comment: orNull(e.Comment),
			Outcome: orNull(e.Outcome), DueAt: orNull(e.DueOn), PrevHash: e.PrevHash, Hash: e.Hash}
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"items": items})
	return nil
}

const (
	defaultLimit = 50
	maxLimit     = 200
	maxQLen      = 200
)

var listParams = map[string]bool{"state": true, "stage": true, "sector": true, "ownership": true,
	"q": true, "overdue": true, "due_before": true, "limit": true, "cursor": true}

// listFilter reads and checks the query of GET /appraisals.
func (s *Server) listFilter(q url.Values, actor engine.Actor) (engine.ListFilter, error) {
	f := engine.ListFilter{Limit: defaultLimit}
	for k, v := range q {
		if !listParams[k] {
			return f, engine.FieldErrorf(k, "unknown parameter %q; known: state, stage, sector, ownership, q, overdue, due_before, limit, cursor", k)
		}
		if len(v) > 1 {
			return f, engine.FieldErrorf(k, "parameter %q given %d times; give it once", k, len(v))
		}
	}
	f.State, f.Stage, f.Sector, f.Ownership = q.Get("state"), q.Get("stage"), q.Get("sector"), q.Get("ownership")
	f.Q = strings.TrimSpace(q.Get("q"))
	if f.State != "" && !slices.Contains(s.catalog.States(), f.State) {
		return f, engine.FieldErrorf("state", "state %q is not a state of any workflow", f.State)
	}
	f.StateLeads = s.catalog.WorkingState(f.State)
	if f.Stage != "" && f.Stage != engine.StagePolicy && f.Stage != engine.StageDecision {
		return f, engine.FieldErrorf("stage", "stage %q is not one of policy, decision", f.Stage)
	}
	if f.Ownership != "" && !engine.ValidOwnership(f.Ownership) {
		return f, engine.FieldErrorf("ownership", "ownership %q is not one of state, non_state, foreign_invested", f.Ownership)
	}
	if f.Sector != "" {
		if err := engine.CheckSector(f.Sector); err != nil {
			return f, err
		}
	}
	if err := engine.CheckText("q", f.Q, maxQLen); err != nil {
		return f, err
	}
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		f.Overdue, f.Today = true, engine.Day(s.now())
	default:
		return f, engine.FieldErrorf("overdue", "overdue must be true or false")
	}
	if v := q.Get("due_before"); v != "" {
		day, err := engine.ParseDay(v)
		if err != nil {
			return f, engine.FieldErrorf("due_before", "due_before %q is not a day written 2006-01-02", v)
		}
		f.DueBefore = day
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return f, engine.FieldErrorf("limit", "limit must be an integer from 1 to %d", maxLimit)
		}
		f.Limit = n
	}
	if c := q.Get("cursor"); c != "" {
		id, err := decodeCursor(c)
		if err != nil {
			return f, err
		}
		f.BeforeID = id
	}
	if actor.Role == engine.RoleApplicant {
		f.ApplicantID = actor.ID
	}
	return f, nil
}

// The cursor is opaque to clients: the id of the last item seen, encoded.
const cursorPrefix = "before:"

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	bad := engine.FieldErrorf("cursor", "cursor is not one this API returned in next_cursor")
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !strings.HasPrefix(string(raw), cursorPrefix) {
		return 0, bad
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(string(raw), cursorPrefix), 10, 64)
	if err != nil || id < 1 {
		return 0, bad
	}
	return id, nil
}

func (s *Server) listAppraisals(w http.ResponseWriter, r *http.Request) error {
	actor := actorOf(r)
	q, err := strictQuery(r)
	if err != nil {
		return err
	}
	f, err := s.listFilter(q, actor)
	if err != nil {
		return err
	}
	page := f.Limit
	f.Limit++ // one more tells whether a next page exists
	list, err := s.store.Appraisals(r.Context(), f)
	if err != nil {
		return err
	}
	var next *string
	if len(list) > page {
		list = list[:page]
		c := encodeCursor(list[page-1].ID)
		next = &c
	}
	items := make([]appraisalJSON, len(list))
	for i, a := range list {
		items[i] = s.appraisalJSON(r.Context(), a, actor)
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]any{"items": items, "next_cursor": next})
	return nil
}

// strictQuery parses r's query string, refusing a malformed one: url.Query
// silently drops a pair with a bad escape or a semicolon, which would
// answer as if that filter had not been given.
func strictQuery(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, engine.Errorf(engine.EINVALID, "the query string is malformed: %v", err)
	}
	return q, nil
}
