package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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

// pageSize is how many dossiers a list page shows.
const pageSize = 25

// dossierRow is one line of a list of dossiers.
type dossierRow struct {
	ID                                    int64
	Code, Project, Investor, State, Stage string
	Received, Due                         string
	Overdue, Paused                       bool
}

func (p *Pages) row(lang string, a *engine.Appraisal) dossierRow {
	d := p.deadline(a)
	return dossierRow{ID: a.ID, Code: a.Code, Project: a.Dossier.ProjectName, Investor: a.Dossier.Investor,
		State: translate(lang, "state."+a.State), Stage: translate(lang, "stage."+a.Dossier.Stage),
		Received: fmtDay(lang, engine.Day(a.SubmittedAt)), Due: fmtDay(lang, d.DueOn),
		Overdue: d.Overdue, Paused: d.Paused}
}

type option struct {
	Value, Label string
	Selected     bool
}

type tab struct {
	Href, Label string
	Count       int64
	Current     bool
}

type listData struct {
	Queue       bool
	Rows        []dossierRow
	Tabs        []tab
	Q           string
	States      []option
	Stages      []option
	Ownerships  []option
	Sector      string
	FilterError string
	Next, First string
}

func (p *Pages) myDossiers(w http.ResponseWriter, q *req) error {
	return p.list(w, q, false)
}

func (p *Pages) queue(w http.ResponseWriter, q *req) error {
	return p.list(w, q, true)
}

// list is the applicant's own dossiers (queue false) or the staff's work
// queue: filters, search, keyset paging newest first, overdue first.
func (p *Pages) list(w http.ResponseWriter, q *req, queue bool) error {
	vals := q.URL.Query()
	title := "list.my_title"
	if queue {
		title = "list.queue_title"
	}
	v := p.view(q, title)
	data := &listData{Queue: queue, Q: strings.TrimSpace(vals.Get("q")), Sector: strings.TrimSpace(vals.Get("sector"))}
	v.Data = data
	states := p.catalog.States()
	f, ferr := p.filter(vals, states)
	if !queue {
		f.ApplicantID = q.Actor.ID
	}
	if ferr != nil {
		var e *engine.Error
		if !errors.As(ferr, &e) {
			return ferr
		}
		data.FilterError = translate(q.Lang, "err.filter", translate(q.Lang, "field."+e.Field))
		f = engine.ListFilter{ApplicantID: f.ApplicantID}
	}
	data.States = []option{{Value: "", Label: translate(q.Lang, "list.all"), Selected: f.State == ""}}
	for _, s := range states {
		data.States = append(data.States, option{s, translate(q.Lang, "state."+s), f.State == s})
	}
	data.Stages = []option{{Value: "", Label: translate(q.Lang, "list.all")}}
	for _, s := range []string{engine.StagePolicy, engine.StageDecision} {
		data.Stages = append(data.Stages, option{s, translate(q.Lang, "stage."+s), f.Stage == s})
	}
	data.Ownerships = []option{{Value: "", Label: translate(q.Lang, "list.all")}}
	for _, o := range engine.Ownerships() {
		data.Ownerships = append(data.Ownerships, option{o, translate(q.Lang, "ownership."+o), f.Ownership == o})
	}
	if queue {
		tabs, err := p.tabs(q, states, f.State)
		if err != nil {
			return err
		}
		data.Tabs = tabs
	}
	at, ok := parsePage(vals.Get("page"))
	if !ok && data.FilterError == "" {
		data.FilterError = translate(q.Lang, "err.filter", translate(q.Lang, "field.cursor"))
	}
	list, next, err := p.pageOf(q.Context(), f, at)
	if err != nil {
		return err
	}
	others := url.Values{}
	for k, vs := range vals {
		if k != "page" && k != "lang" {
			others[k] = vs
		}
	}
	if next != nil {
		nv := url.Values{}
		for k, vs := range others {
			nv[k] = vs
		}
		nv.Set("page", next.String())
		data.Next = q.URL.Path + "?" + nv.Encode()
	}
	if at != (listPage{}) {
		data.First = q.URL.Path + "?" + others.Encode()
	}
	for _, a := range list {
		data.Rows = append(data.Rows, p.row(q.Lang, a))
	}
	status := http.StatusOK
	if data.FilterError != "" {
		status = http.StatusUnprocessableEntity
	}
	return p.render(w, q, status, "list", v)
}

// filter reads a list page's query as the API's listing does.
func (p *Pages) filter(vals url.Values, states []string) (engine.ListFilter, error) {
	f := engine.ListFilter{State: vals.Get("state"), Stage: vals.Get("stage"), Ownership: vals.Get("ownership"),
		Sector: strings.ToUpper(strings.TrimSpace(vals.Get("sector"))), Q: strings.TrimSpace(vals.Get("q"))}
	if f.State != "" && !slices.Contains(states, f.State) {
		return f, engine.FieldErrorf("state", "unknown state")
	}
	f.StateLeads = p.catalog.WorkingState(f.State) // as the API's listing does
	if f.Stage != "" && f.Stage != engine.StagePolicy && f.Stage != engine.StageDecision {
		return f, engine.FieldErrorf("stage", "unknown stage")
	}
	if f.Ownership != "" && !engine.ValidOwnership(f.Ownership) {
		return f, engine.FieldErrorf("ownership", "unknown ownership")
	}
	if f.Sector != "" {
		if err := engine.CheckSector(f.Sector); err != nil {
			return f, err
		}
	}
	if err := engine.CheckText("q", f.Q, 200); err != nil {
		return f, err
	}
	return f, nil
}

// tabs are the queue's views per state where the actor's role has work,
// with counts, then every dossier.
func (p *Pages) tabs(q *req, states []string, current string) ([]tab, error) {
	counts, err := p.store.Counts(q.Context(), engine.CountsQuery{By: "state", Event: engine.EventSubmitted})
	if err != nil {
		return nil, err
	}
	byState := map[string]int64{}
	for _, c := range counts {
		if c.Key != nil {
			byState[*c.Key] = c.Count
		}
	}
	var work []string
	for _, name := range p.catalog.Names() {
		def, err := p.catalog.Latest(name)
		if err != nil {
			return nil, err
		}
		for _, t := range def.Triggers {
			if !t.Creates() && t.AllowsRole(q.Actor.Role) {
				work = append(work, t.From...)
			}
		}
	}
	var tabs []tab
	for _, s := range states {
		if slices.Contains(work, s) {
			tabs = append(tabs, tab{Href: "/queue?state=" + s, Label: translate(q.Lang, "state."+s),
				Count: byState[s], Current: current == s})
		}
	}
	var all int64
	for _, n := range byState {
		all += n
	}
	return append(tabs, tab{Href: "/queue", Label: translate(q.Lang, "list.all"), Count: all, Current: current == ""}), nil
}

// fieldNames are the dossier's form fields, in the form's order.
var fieldNames = []string{"project_name", "investor", "technology", "stage", "project_group", "ownership",
	"sector", "capital_vnd", "investor_country", "technology_origin", "locality"}

// requiredFields are never empty in a valid dossier.
var requiredFields = []string{"project_name", "investor", "technology", "stage", "ownership", "sector", "capital_vnd"}

type newData struct {
	Values map[string]string
	Errors map[string]string
	// Key makes the submission idempotent: a double click or a resent
	// form creates one dossier.
	Key string
}

func (p *Pages) newDossierForm(w http.ResponseWriter, q *req) error {
	v := p.view(q, "new.title")
	v.Data = &newData{Values: map[string]string{}, Errors: map[string]string{}, Key: newSecret()}
	return p.render(w, q, http.StatusOK, "new", v)
}

// parseCapital reads an amount of đồng, allowing thousands separators as
// people write them: 120.000.000.000, 120,000,000,000 or 120 000 000 000.
func parseCapital(s string) (int64, bool) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '.', ',', ' ', '\u00a0', '_':
			return -1
		}
		return r
	}, s)
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// dossierErrors validates d with the engine, field by field: each time
// Validate names a bad field, that field is set aside (given a valid
// stand-in) and the rest validated again, so every bad field is found
// with the engine's own rules.
func dossierErrors(d engine.Dossier) map[string]*engine.Error {
	errs := map[string]*engine.Error{}
	for range fieldNames {
		x := d
		x.Normalize()
		var e *engine.Error
		if err := x.Validate(); err == nil || !errors.As(err, &e) || e.Field == "" || errs[e.Field] != nil {
			break
		}
		errs[e.Field] = e
		switch e.Field {
		case "project_name":
			d.ProjectName = "x"
		case "investor":
			d.Investor = "x"
		case "technology":
			d.Technology = "x"
		case "stage":
			d.Stage, d.ProjectGroup = engine.StagePolicy, ""
		case "project_group":
			d.ProjectGroup = "A"
		case "ownership":
			d.Ownership = "state"
		case "sector":
			d.Sector = "A"
		case "capital_vnd":
			d.CapitalVND = 0
		case "investor_country":
			d.InvestorCountry = ""
		case "technology_origin":
			d.TechnologyOrigin = ""
		case "locality":
			d.Locality = ""
		default:
			return errs
		}
	}
	return errs
}

// createDossier submits the new-dossier form. An invalid form comes back
// with a message at each bad field and every value as typed; nothing is
// written then.
func (p *Pages) createDossier(w http.ResponseWriter, q *req) error {
	data := &newData{Values: map[string]string{}, Errors: map[string]string{}, Key: q.PostFormValue("key")}
	for _, f := range fieldNames {
		data.Values[f] = q.PostFormValue(f)
	}
	val := data.Values
	d := engine.Dossier{ProjectName: val["project_name"], Investor: val["investor"], Technology: val["technology"],
		Stage: val["stage"], ProjectGroup: val["project_group"], Ownership: val["ownership"], Sector: strings.ToUpper(val["sector"]),
		InvestorCountry: val["investor_country"], TechnologyOrigin: val["technology_origin"], Locality: val["locality"]}
	capital, capitalOK := parseCapital(val["capital_vnd"])
	d.CapitalVND = capital
	if !capitalOK {
		if strings.TrimSpace(val["capital_vnd"]) == "" {
			data.Errors["capital_vnd"] = translate(q.Lang, "err.required")
		} else {
			data.Errors["capital_vnd"] = translate(q.Lang, "err.capital_vnd")
		}
	}
	for field := range dossierErrors(d) {
		if strings.TrimSpace(val[field]) == "" && slices.Contains(requiredFields, field) {
			data.Errors[field] = translate(q.Lang, "err.required")
		} else {
			data.Errors[field] = translate(q.Lang, "err."+field)
		}
	}
	if len(data.Errors) > 0 {
		return p.newAgain(w, q, data)
	}
	d.Normalize()
	def, err := p.catalog.ForDossier(&d)
	if err != nil {
		return err
	}
	if err := engine.CheckCreate(def, q.Actor); err != nil {
		return err
	}
	cal := p.catalog.Calendar()
	key := engine.IdempotencyKey{Key: "web:" + data.Key, RequestHash: hashDossier(d)}
	var a *engine.Appraisal
	if key.Check() == nil && data.Key != "" {
		a, _, err = p.store.CreateAppraisalOnce(q.Context(), def, cal, p.unit, q.Actor, d, key)
	} else {
		a, err = p.store.CreateAppraisal(q.Context(), def, cal, p.unit, q.Actor, d)
	}
	var e *engine.Error
	if errors.As(err, &e) && e.Code == engine.EINVALID && e.Field != "" {
		data.Errors[e.Field] = translate(q.Lang, "err."+e.Field)
		return p.newAgain(w, q, data)
	}
	if err != nil {
		return err
	}
	p.log.InfoContext(q.Context(), "dossier submitted", "appraisal", a.ID, "code", a.Code, "user", q.Actor.ID)
	http.Redirect(w, q.Request, fmt.Sprintf("/dossiers/%d?created=1", a.ID), http.StatusSeeOther)
	return nil
}

func (p *Pages) newAgain(w http.ResponseWriter, q *req, data *newData) error {
	v := p.view(q, "new.title")
	v.Error = translate(q.Lang, "new.errors")
	v.Data = data
	return p.render(w, q, http.StatusUnprocessableEntity, "new", v)
}

func hashDossier(d engine.Dossier) string {
	b, _ := json.Marshal(d) // strings and an integer: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// visible loads {id} for the actor: another applicant's dossier is
// answered as if it did not exist, as in the API.
func (p *Pages) visible(q *req) (*engine.Appraisal, *engine.Definition, error) {
	raw := mux.Vars(q.Request)["id"]
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != raw {
		return nil, nil, engine.Errorf(engine.ENOTFOUND, "no dossier %s", raw)
	}
	a, err := p.store.Appraisal(q.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	if !a.VisibleTo(q.Actor) {
		return nil, nil, engine.Errorf(engine.ENOTFOUND, "no dossier %d", id)
	}
	def, err := p.catalog.Definition(a.Workflow)
	if err != nil {
		return nil, nil, err
	}
	return a, def, nil
}

type detail struct{ Label, Value string }

type eventView struct {
	Seq                        int
	At, Actor, Role, Trigger   string
	From, To, Comment, Outcome string
}

// actionView is one permitted trigger as a form: it asks for what the
// workflow definition requires of it.
type actionView struct {
	Trigger, Label  string
	Comment         bool
	CommentRequired bool
	Outcomes        []option
	Due             bool
	Version         int
	// Error and the typed values, when the action was refused.
	Error, CommentValue, DueValue string
}

type dossierData struct {
	ID              int64
	Code, State     string
	Workflow        string
	Received, Due   string
	Overdue, Paused bool
	DaysLeft        int
	OnTime          string
	Outcome         string
	// TriggerDue: the last day for a trigger the law wants fired soon
	// after this state was entered (a request to supplement).
	TriggerDue     string
	TriggerOverdue bool
	Details        []detail
	Events         []eventView
	Actions        []actionView
	Receipt        bool
}

func (p *Pages) dossier(w http.ResponseWriter, q *req) error {
	a, def, err := p.visible(q)
	if err != nil {
		return err
	}
	v, err := p.dossierView(q, a, def, nil)
	if err != nil {
		return err
	}
	vals := q.URL.Query()
	switch {
	case vals.Get("created") == "1":
		v.Notice = translate(q.Lang, "dossier.created", a.Code)
	case vals.Get("done") != "" && def.Trigger(vals.Get("done")) != nil:
		v.Notice = translate(q.Lang, "dossier.done", translate(q.Lang, "trigger."+vals.Get("done")))
	}
	return p.render(w, q, http.StatusOK, "dossier", v)
}

// dossierView builds the dossier page; refused, when set, is an action
// that failed, shown again at its form with what was typed.
func (p *Pages) dossierView(q *req, a *engine.Appraisal, def *engine.Definition, refused *actionView) (*view, error) {
	events, err := p.store.Events(q.Context(), a.ID)
	if err != nil {
		return nil, err
	}
	lang := q.Lang
	dl := p.deadline(a)
	d := a.Dossier
	data := &dossierData{ID: a.ID, Code: a.Code, State: translate(lang, "state."+a.State),
		Received: fmtDay(lang, engine.Day(a.SubmittedAt)), Due: fmtDay(lang, dl.DueOn), Overdue: dl.Overdue,
		Paused: dl.Paused, DaysLeft: dl.DaysLeft, Receipt: true, Workflow: translate(lang, "workflow."+a.Workflow.Name)}
	if dl.OnTime != "" {
		data.OnTime = translate(lang, "dossier."+dl.OnTime)
	}
	if due := a.Clock.TriggerDueOn; due != "" && q.Actor.Role != engine.RoleApplicant {
		if t := def.WindowTrigger(a.State); t != nil {
			data.TriggerDue = translate(lang, "dossier.trigger_due", translate(lang, "trigger."+t.Name), fmtDay(lang, due))
			data.TriggerOverdue = p.today() > due
		}
	}
	if a.Outcome != "" {
		data.Outcome = translate(lang, "outcome."+a.Outcome)
	}
	opt := func(s string) string {
		if s == "" {
			return translate(lang, "none")
		}
		return s
	}
	group := translate(lang, "none")
	if d.ProjectGroup != "" {
		group = translate(lang, "project_group."+d.ProjectGroup)
	}
	data.Details = []detail{
		{translate(lang, "field.project_name"), d.ProjectName},
		{translate(lang, "field.investor"), d.Investor},
		{translate(lang, "field.technology"), d.Technology},
		{translate(lang, "field.stage"), translate(lang, "stage."+d.Stage)},
		{translate(lang, "field.project_group"), group},
		{translate(lang, "field.ownership"), translate(lang, "ownership."+d.Ownership)},
		{translate(lang, "field.sector"), d.Sector + " – " + translate(lang, "sector."+d.Sector[:1])},
		{translate(lang, "field.capital_vnd"), fmtMoney(lang, d.CapitalVND)},
		{translate(lang, "field.investor_country"), opt(d.InvestorCountry)},
		{translate(lang, "field.technology_origin"), opt(d.TechnologyOrigin)},
		{translate(lang, "field.locality"), opt(d.Locality)},
		{translate(lang, "dossier.applicant"), a.ApplicantName},
	}
	for _, e := range events {
		ev := eventView{Seq: e.Seq, At: fmtTime(lang, e.At), Actor: e.Actor.Name,
			Role: translate(lang, "role."+string(e.Actor.Role)), Trigger: translate(lang, "trigger."+e.Trigger),
			To: translate(lang, "state."+e.ToState), Comment: e.Comment}
		if e.FromState != "" {
			ev.From = translate(lang, "state."+e.FromState)
		}
		if e.Outcome != "" {
			ev.Outcome = translate(lang, "outcome."+e.Outcome)
		}
		data.Events = append(data.Events, ev)
	}
	for _, name := range engine.Permitted(q.Context(), def, a.Subject(def, engine.Day(p.now())), q.Actor) {
		t := def.Trigger(name)
		if t == nil {
			continue
		}
		act := actionView{Trigger: name, Label: translate(lang, "trigger."+name), Version: a.Version,
			CommentRequired: slices.Contains(t.Requires, engine.FieldComment), Due: t.ExtendsDeadline}
		// Every action may carry a comment; the form asks for one where
		// the workflow requires it.
		act.Comment = true
		for _, o := range t.Outcomes {
			act.Outcomes = append(act.Outcomes, option{Value: o, Label: translate(lang, "outcome."+o)})
		}
		if refused != nil && refused.Trigger == name {
			act.Error, act.CommentValue, act.DueValue = refused.Error, refused.CommentValue, refused.DueValue
			for i := range act.Outcomes {
				act.Outcomes[i].Selected = act.Outcomes[i].Value == refused.outcome()
			}
		}
		data.Actions = append(data.Actions, act)
	}
	v := p.view(q, "dossier.title", a.Code)
	v.Data = data
	return v, nil
}

// outcome is the outcome a refused action was sent with, kept in Outcomes.
func (a *actionView) outcome() string {
	for _, o := range a.Outcomes {
		if o.Selected {
			return o.Value
		}
	}
	return ""
}

// transition fires a permitted trigger from its form, through the same
// Store.Transition (and so engine.Fire) as the API. A refusal comes back
// on the dossier page, at the action's form, with what was typed.
func (p *Pages) transition(w http.ResponseWriter, q *req) error {
	a, def, err := p.visible(q)
	if err != nil {
		return err
	}
	trigger := q.PostFormValue("trigger")
	version, _ := strconv.Atoi(q.PostFormValue("version"))
	if version < 1 {
		version = -1 // a form always sends the version it showed
	}
	in := engine.Input{Comment: q.PostFormValue("comment"), Outcome: q.PostFormValue("outcome")}
	in.DueAt = q.PostFormValue("due_at")
	after, err := p.store.Transition(q.Context(), p.catalog, engine.TransitionRequest{
		AppraisalID: a.ID, Actor: q.Actor, Trigger: trigger, IfVersion: version, Input: in})
	if err == nil {
		p.log.InfoContext(q.Context(), "transition", "appraisal", a.ID, "trigger", trigger, "to", after.State, "user", q.Actor.ID)
		http.Redirect(w, q.Request, fmt.Sprintf("/dossiers/%d?done=%s", a.ID, url.QueryEscape(trigger)), http.StatusSeeOther)
		return nil
	}
	var e *engine.Error
	if !errors.As(err, &e) {
		return err
	}
	refused := &actionView{Trigger: trigger, CommentValue: in.Comment, DueValue: q.PostFormValue("due_at"),
		Outcomes: []option{{Value: in.Outcome, Selected: true}}}
	status := http.StatusUnprocessableEntity
	var msg string
	switch e.Code {
	case engine.EINVALID:
		msg = translate(q.Lang, "err."+e.Field)
		if e.Field == "" || !hasKey(q.Lang, "err."+e.Field) {
			msg = translate(q.Lang, "err.invalid")
		}
	case engine.EPRECONDITION:
		status, msg = http.StatusPreconditionFailed, translate(q.Lang, "dossier.stale")
	case engine.ECONFLICT:
		status, msg = http.StatusConflict, translate(q.Lang, "dossier.conflict")
	case engine.EUNKNOWNTRIGGER:
		msg = translate(q.Lang, "dossier.conflict")
	default:
		return err
	}
	refused.Error = msg
	if after, rerr := p.store.Appraisal(q.Context(), a.ID); rerr == nil {
		a = after
	}
	v, verr := p.dossierView(q, a, def, refused)
	if verr != nil {
		return verr
	}
	if e.Code != engine.EINVALID {
		v.Error = msg
	}
	return p.render(w, q, status, "dossier", v)
}

func hasKey(lang, key string) bool { _, ok := catalogs[lang][key]; return ok }

type receiptData struct {
	Code, Project, Investor, Applicant, Unit string
	Received, Due                            string
	ID                                       int64
}

// receipt is the printable slip given on receipt of a dossier: its code,
// the day of receipt and the day the result is due.
func (p *Pages) receipt(w http.ResponseWriter, q *req) error {
	a, _, err := p.visible(q)
	if err != nil {
		return err
	}
	dl := p.deadline(a)
	v := p.view(q, "receipt.title")
	data := receiptData{ID: a.ID, Code: a.Code, Project: a.Dossier.ProjectName, Investor: a.Dossier.Investor,
		Applicant: a.ApplicantName, Unit: p.unit, Received: fmtDay(q.Lang, engine.Day(a.SubmittedAt))}
	if dl.DueOn != "" {
		data.Due = fmtDay(q.Lang, dl.DueOn)
	}
	v.Data = data
	return p.render(w, q, http.StatusOK, "receipt", v)
}

// diagram draws the dossier's workflow with its current state marked.
func (p *Pages) diagram(w http.ResponseWriter, q *req) error {
	a, def, err := p.visible(q)
	if err != nil {
		return err
	}
	events, err := p.store.Events(q.Context(), a.ID)
	if err != nil {
		return err
	}
	svg, err := p.api.RenderSVG(q.Context(), engine.TrailDOT(def, a, events))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.Write(svg)
	return nil
}

// fmtDay writes a day "2006-01-02" as people read it: 02/01/2006 in
// Vietnamese, 2 Jan 2006 in English; "—" for none.
func fmtDay(lang, day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return translate(lang, "none")
	}
	if lang == langEN {
		return t.Format("2 Jan 2006")
	}
	return t.Format("02/01/2006")
}

func fmtTime(lang string, t time.Time) string {
	t = t.In(engine.VietnamTime)
	if lang == langEN {
		return t.Format("2 Jan 2006 15:04")
	}
	return t.Format("15:04 02/01/2006")
}

// fmtMoney groups digits: 120.000.000.000 đ, or 120,000,000,000 VND.
func fmtMoney(lang string, n int64) string {
	s := strconv.FormatInt(n, 10)
	sep, unit := ".", " đ"
	if lang == langEN {
		sep, unit = ",", " VND"
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String() + unit
}

func itoa(n int) string { return strconv.Itoa(n) }

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
