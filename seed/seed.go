// Package seed makes realistic appraisals with their audit trails:
// several years of submissions, every branch of the workflow with plausible
// durations, Vietnamese names, a realistic mix of stages, groups, sectors,
// ownership and countries. The same seed gives the same data.
package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/appraisal/appraisal/engine"
)

// Config says what to make.
type Config struct {
	Count int
	Seed  uint64
	// Until is the end of the simulated time: no event is later.
	Until time.Time
	// Years of submissions before Until.
	Years int
	// Unit is the receiving unit's code.
	Unit string
	Def  *engine.Definition
}

// UserSpec is a user to create before the appraisals.
type UserSpec struct {
	Name string
	Role engine.Role
}

// Users returns the users a seed of cfg.Count appraisals needs, in a
// fixed order.
func Users(cfg Config) []UserSpec {
	rng := rand.New(rand.NewPCG(cfg.Seed, 1))
	applicants := min(max(cfg.Count/25, 10), 20000)
	var out []UserSpec
	for range applicants {
		out = append(out, UserSpec{Name: personName(rng), Role: engine.RoleApplicant})
	}
	for _, r := range []struct {
		role engine.Role
		n    int
	}{{engine.RoleReviewer, 12}, {engine.RoleAppraiser, 6}, {engine.RoleAdmin, 2}} {
		for range r.n {
			out = append(out, UserSpec{Name: personName(rng), Role: r.role})
		}
	}
	return out
}

func personName(rng *rand.Rand) string {
	return pick(rng, surnames) + " " + pick(rng, middles) + " " + pick(rng, givens)
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// Generator makes the appraisals in batches that can be made in parallel
// and in any order, each the same whatever the order.
type Generator struct {
	cfg        Config
	times      []time.Time // submission times, sorted
	codes      []string
	applicants []engine.Actor
	reviewers  []engine.Actor
	appraisers []engine.Actor
	admins     []engine.Actor
}

// BatchSize is how many appraisals one batch holds.
const BatchSize = 2000

// New plans cfg.Count submissions among users (created from Users, with
// their ids). lastSeq gives the last dossier number already used for a
// unit's day ("2006-01-02"), so appended data continues the numbering.
func New(cfg Config, users []engine.Actor, lastSeq func(day string) int64) (*Generator, error) {
	if cfg.Count < 0 || cfg.Years < 1 || cfg.Def == nil || cfg.Until.IsZero() {
		return nil, fmt.Errorf("seed: count, years, workflow and until are required")
	}
	g := &Generator{cfg: cfg}
	for _, u := range users {
		switch u.Role {
		case engine.RoleApplicant:
			g.applicants = append(g.applicants, u)
		case engine.RoleReviewer:
			g.reviewers = append(g.reviewers, u)
		case engine.RoleAppraiser:
			g.appraisers = append(g.appraisers, u)
		case engine.RoleAdmin:
			g.admins = append(g.admins, u)
		}
	}
	if len(g.applicants) == 0 || len(g.reviewers) == 0 || len(g.appraisers) == 0 || len(g.admins) == 0 {
		return nil, fmt.Errorf("seed: every role needs at least one user")
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 2))
	start := cfg.Until.AddDate(-cfg.Years, 0, 0)
	span := cfg.Until.Sub(start)
	g.times = make([]time.Time, cfg.Count)
	for i := range g.times {
		for {
			// More dossiers in later years: the department's load grows.
			u := math.Pow(rng.Float64(), 0.8)
			t := officeHours(rng, workingDay(start.Add(time.Duration(u*float64(span)))))
			if !t.After(cfg.Until) { // a weekend moved to Monday may pass Until: draw again
				g.times[i] = t
				break
			}
		}
	}
	slices.SortFunc(g.times, func(a, b time.Time) int { return a.Compare(b) })
	g.codes = make([]string, cfg.Count)
	seqs := map[string]int64{}
	for i, t := range g.times {
		day := t.In(engine.VietnamTime).Format(time.DateOnly)
		if _, ok := seqs[day]; !ok {
			seqs[day] = lastSeq(day)
		}
		seqs[day]++
		g.codes[i] = engine.DossierCode(cfg.Unit, t, seqs[day])
	}
	return g, nil
}

// Batches is the number of batches.
func (g *Generator) Batches() int { return (g.cfg.Count + BatchSize - 1) / BatchSize }

// Batch makes batch i: its appraisals in submission order, each with its
// trail, hashed exactly as the API hashes them.
func (g *Generator) Batch(i int) []engine.Trail {
	rng := rand.New(rand.NewPCG(g.cfg.Seed, uint64(1000+i)))
	lo, hi := i*BatchSize, min((i+1)*BatchSize, g.cfg.Count)
	out := make([]engine.Trail, 0, hi-lo)
	for k := lo; k < hi; k++ {
		out = append(out, g.life(rng, g.times[k], g.codes[k]))
	}
	return out
}

// life simulates one dossier from submission to wherever it stands at Until.
func (g *Generator) life(rng *rand.Rand, at time.Time, code string) engine.Trail {
	owner := pick(rng, g.applicants)
	a := &engine.Appraisal{Code: code, Workflow: g.cfg.Def.Ref(), State: g.cfg.Def.Initial,
		Dossier: g.dossier(rng), ApplicantID: owner.ID, ApplicantName: owner.Name,
		SubmittedAt: engine.Timestamp(at)}
	tr := engine.Trail{Appraisal: a}
	g.add(&tr, at, owner, "submit", engine.Input{})

	// step fires trigger after some working days, unless that is past Until.
	step := func(minDays, maxDays int, actor engine.Actor, trigger string, in engine.Input) bool {
		last := tr.Events[len(tr.Events)-1].At
		t := officeHours(rng, addWorkingDays(last, minDays+rng.IntN(maxDays-minDays+1)))
		if !t.After(last) {
			t = last.Add(time.Minute)
		}
		if t.After(g.cfg.Until) {
			return false
		}
		g.add(&tr, t, actor, trigger, in)
		return true
	}
	reviewer, appraiser := pick(rng, g.reviewers), pick(rng, g.appraisers)
	supplementRounds := 0
	for a.State == "submitted" {
		r := rng.Float64()
		switch {
		case r < 0.04:
			step(1, 10, owner, "withdraw", engine.Input{})
		case r < 0.10:
			step(2, 10, reviewer, "reject", engine.Input{Comment: pick(rng, rejectComments)})
		case r < 0.28 && supplementRounds < 2:
			supplementRounds++
			if !step(1, 3, reviewer, "request_supplement", engine.Input{Comment: pick(rng, returnComments)}) {
				break
			}
			if rng.Float64() < 0.06 {
				step(2, 20, owner, "withdraw", engine.Input{})
			} else {
				step(3, 25, owner, "resubmit", engine.Input{})
			}
			continue
		default:
			if step(2, 8, reviewer, "review", engine.Input{}) {
				step(4, 16, appraiser, "appraise", g.conclusion(rng))
			}
		}
		break
	}
	switch a.State {
	case "appraised", "rejected", "withdrawn":
		if rng.Float64() < 0.9 {
			archiver := reviewer
			if rng.Float64() < 0.1 {
				archiver = pick(rng, g.admins)
			}
			step(5, 40, archiver, "archive", engine.Input{})
		}
	}
	return tr
}

func (g *Generator) conclusion(rng *rand.Rand) engine.Input {
	switch r := rng.Float64(); {
	case r < 0.70:
		return engine.Input{Outcome: "approved"}
	case r < 0.92:
		return engine.Input{Outcome: "approved_with_conditions", Comment: pick(rng, conditionComments)}
	default:
		return engine.Input{Outcome: "not_approved", Comment: pick(rng, notApprovedComments)}
	}
}

// add appends an event for trigger at t and moves the appraisal, as the
// API's transition does: same state changes, same hash.
func (g *Generator) add(tr *engine.Trail, t time.Time, actor engine.Actor, trigger string, in engine.Input) {
	a := tr.Appraisal
	t = engine.Timestamp(t)
	ev := engine.Event{Seq: len(tr.Events) + 1, At: t, Actor: actor, Trigger: trigger,
		Comment: in.Comment, Outcome: in.Outcome, PrevHash: engine.GenesisHash}
	if n := len(tr.Events); n > 0 {
		ev.PrevHash, ev.FromState = tr.Events[n-1].Hash, a.State
	}
	ev.ToState = g.cfg.Def.Trigger(trigger).To
	ev.Hash = engine.ComputeHash(a, &ev)
	tr.Events = append(tr.Events, ev)
	a.State, a.Version, a.UpdatedAt = ev.ToState, ev.Seq, t
	if in.Outcome != "" {
		a.Outcome, a.AppraisedAt = in.Outcome, t
	}
}

// Weighted choices of the dossier's fields.
type weighted[T any] struct {
	v T
	w float64
}

func choose[T any](rng *rand.Rand, xs []weighted[T]) T {
	total := 0.0
	for _, x := range xs {
		total += x.w
	}
	r := rng.Float64() * total
	for _, x := range xs {
		if r -= x.w; r < 0 {
			return x.v
		}
	}
	return xs[len(xs)-1].v
}

var (
	stageMix     = []weighted[string]{{"decision", 65}, {"policy", 35}}
	groupMix     = []weighted[string]{{"national", 2}, {"A", 10}, {"B", 35}, {"C", 53}}
	ownershipMix = []weighted[string]{{"state", 18}, {"non_state", 50}, {"foreign_invested", 32}}
	sectorMix    = []weighted[string]{
		{"C10", 6}, {"C11", 2}, {"C13", 3}, {"C20", 4}, {"C21", 2}, {"C22", 4}, {"C23", 3}, {"C24", 3},
		{"C25", 5}, {"C26", 9}, {"C27", 5}, {"C28", 5}, {"C29", 3}, {"C", 4},
		{"D", 8}, {"E", 6}, {"F", 7}, {"A", 4}, {"B", 1}, {"G", 2}, {"H", 4}, {"I", 1}, {"J", 4},
		{"K", 0.5}, {"L", 1}, {"M", 2}, {"N", 0.5}, {"P", 0.5}, {"Q", 1.5}, {"R", 0.5}, {"S", 0.5},
	}
	foreignMix = []weighted[string]{{"KR", 30}, {"JP", 20}, {"CN", 16}, {"SG", 10}, {"TW", 8}, {"HK", 5},
		{"US", 4}, {"DE", 3}, {"TH", 2}, {"FR", 2}}
	originMix = []weighted[string]{{"JP", 22}, {"DE", 15}, {"KR", 15}, {"CN", 15}, {"VN", 12}, {"US", 8},
		{"TW", 5}, {"IT", 4}, {"CH", 2}, {"FI", 2}}
)

func (g *Generator) dossier(rng *rand.Rand) engine.Dossier {
	d := engine.Dossier{
		Stage:      choose(rng, stageMix),
		Ownership:  choose(rng, ownershipMix),
		Sector:     choose(rng, sectorMix),
		Technology: pick(rng, technologies),
		Locality:   pick(rng, localities),
	}
	if d.Stage == "decision" || rng.Float64() < 0.5 {
		d.ProjectGroup = choose(rng, groupMix)
	}
	if rng.Float64() < 0.85 {
		d.TechnologyOrigin = choose(rng, originMix)
	}
	if d.Ownership == "foreign_invested" {
		d.InvestorCountry = choose(rng, foreignMix)
		stem := pick(rng, foreignStems[d.InvestorCountry])
		d.Investor = "Công ty TNHH " + stem + " Việt Nam"
	} else {
		d.InvestorCountry = "VN"
		kind := "Công ty Cổ phần "
		if d.Ownership == "state" {
			kind = "Tổng công ty "
		} else if rng.Float64() < 0.4 {
			kind = "Công ty TNHH "
		}
		d.Investor = kind + pick(rng, companyStems)
	}
	if names, ok := otherProjects[d.Sector[:1]]; ok {
		d.ProjectName = pick(rng, names) + " " + pick(rng, placeWords)
	} else {
		d.ProjectName = pick(rng, facilityWords) + " " + pick(rng, productWords) + " " + pick(rng, placeWords)
	}
	// Capital in VND, log-normal around a size typical of the group.
	median := map[string]float64{"national": 20e12, "A": 3e12, "B": 600e9, "C": 80e9, "": 200e9}[d.ProjectGroup]
	d.CapitalVND = int64(median*math.Exp(rng.NormFloat64()*0.6)) / 1e6 * 1e6
	return d
}

// workingDay moves a weekend time to the next Monday, in Vietnam time.
func workingDay(t time.Time) time.Time {
	local := t.In(engine.VietnamTime)
	switch local.Weekday() {
	case time.Saturday:
		return t.AddDate(0, 0, 2)
	case time.Sunday:
		return t.AddDate(0, 0, 1)
	}
	return t
}

// addWorkingDays adds n days that are not weekends.
func addWorkingDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.In(engine.VietnamTime).Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}

// officeHours sets t's time of day to a random moment between 08:00 and
// 17:00 Vietnam time, keeping its day.
func officeHours(rng *rand.Rand, t time.Time) time.Time {
	local := t.In(engine.VietnamTime)
	day := time.Date(local.Year(), local.Month(), local.Day(), 8, 0, 0, 0, engine.VietnamTime)
	return day.Add(time.Duration(rng.Int64N(int64(9 * time.Hour)))).UTC()
}
