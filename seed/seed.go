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
	// Workflows gives each dossier its workflow, and the calendar its
	// deadline counts in; workflows.Embedded() is the product's.
	Workflows Workflows
}

// Workflows is what the seed needs of a workflows.Catalog.
type Workflows interface {
	ForDossier(d *engine.Dossier) (*engine.Definition, error)
	Calendar() *engine.Calendar
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
	if cfg.Count < 0 || cfg.Years < 1 || cfg.Workflows == nil || cfg.Until.IsZero() {
		return nil, fmt.Errorf("seed: count, years, workflows and until are required")
	}
	for _, stage := range []string{engine.StagePolicy, engine.StageDecision} {
		def, err := cfg.Workflows.ForDossier(&engine.Dossier{Stage: stage})
		if err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		if _, ok := scripts[def.Name]; !ok {
			return nil, fmt.Errorf("seed: no script for workflow %s, which dossiers of stage %s start on", def.Name, stage)
		}
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
			t := officeHours(rng, workingDay(cfg.Workflows.Calendar(), engine.Day(start.Add(time.Duration(u*float64(span))))))
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

// script names the triggers of one workflow that a simulated life fires.
type script struct {
	// review sends the dossier on; its comment, if the trigger needs one.
	review, reviewComment string
	// conclude records the outcome; outcomes maps the seed's outcomes to its.
	conclude string
	outcomes map[string]string
	// reject ends the dossier without a conclusion; "" when there is none.
	reject string
}

var scripts = map[string]script{
	"technology-appraisal": {review: "review", conclude: "appraise", reject: "reject",
		outcomes: map[string]string{"approved": "approved", "approved_with_conditions": "approved_with_conditions", "not_approved": "not_approved"}},
	"technology-opinion": {review: "draft_opinion", reviewComment: "Dự thảo ý kiến về công nghệ của dự án", conclude: "give_opinion",
		outcomes: map[string]string{"approved": "agreed", "approved_with_conditions": "agreed_with_conditions", "not_approved": "not_agreed"}},
}

// lateShare is the share of dossiers whose handling overruns its time limit.
const lateShare = 0.12

// life simulates one dossier from submission to wherever it stands at Until.
func (g *Generator) life(rng *rand.Rand, at time.Time, code string) engine.Trail {
	owner := pick(rng, g.applicants)
	d := g.dossier(rng)
	def, err := g.cfg.Workflows.ForDossier(&d)
	if err != nil {
		panic(err) // New checked every stage
	}
	cal := g.cfg.Workflows.Calendar()
	sc := scripts[def.Name]
	a := &engine.Appraisal{Code: code, Workflow: def.Ref(), State: def.Initial,
		Dossier: d, ApplicantID: owner.ID, ApplicantName: owner.Name,
		SubmittedAt: engine.Timestamp(at), UpdatedAt: engine.Timestamp(at), Version: 1}
	engine.StartClock(def, cal, a, engine.Day(a.SubmittedAt))
	first := engine.Event{Seq: 1, At: a.SubmittedAt, Actor: owner, Trigger: def.CreationTrigger().Name,
		ToState: def.Initial, PrevHash: engine.GenesisHash}
	first.Hash = engine.ComputeHash(a, &first)
	tr := engine.Trail{Appraisal: a, Events: []engine.Event{first}}

	// fire fires trigger days working days after the last event, unless
	// that is past Until.
	fire := func(days int, actor engine.Actor, trigger string, in engine.Input) bool {
		last := tr.Events[len(tr.Events)-1].At
		t := officeHours(rng, cal.AddWorkingDays(engine.Day(last), max(days, 0)))
		if !t.After(last) {
			t = last.Add(time.Minute)
		}
		if t.After(g.cfg.Until) {
			return false
		}
		g.add(def, &tr, t, actor, trigger, in)
		return true
	}
	step := func(minDays, maxDays int, actor engine.Actor, trigger string, in engine.Input) bool {
		return fire(minDays+rng.IntN(maxDays-minDays+1), actor, trigger, in)
	}
	// The time the department takes, in working days: mostly within the
	// limit, lateShare of them past it; without a limit, a month or two.
	limit := def.Deadline.WorkingDaysFor(&d)
	late := rng.Float64() < lateShare
	var handling int
	switch {
	case limit == 0:
		handling = 15 + rng.IntN(45)
	case late:
		handling = limit + 1 + rng.IntN(limit/2+1)
	default:
		handling = max(2, int(float64(limit)*(0.35+0.6*rng.Float64())))
	}
	reviewDays := max(1, handling*2/5)
	reviewer, appraiser := pick(rng, g.reviewers), pick(rng, g.appraisers)
	supplementRounds := 0
	for a.State == def.Initial {
		r := rng.Float64()
		switch {
		case r < 0.04:
			step(1, 10, owner, "withdraw", engine.Input{})
		case r < 0.10 && sc.reject != "":
			step(2, min(reviewDays+2, 10), reviewer, sc.reject, engine.Input{Comment: pick(rng, rejectComments)})
		case r < 0.28 && supplementRounds < 2:
			supplementRounds++
			// Mostly within the 3 working days the law gives; now and then later.
			if !step(1, 4, reviewer, "request_supplement", engine.Input{Comment: pick(rng, returnComments)}) {
				break
			}
			if rng.Float64() < 0.06 {
				step(2, 20, owner, "withdraw", engine.Input{})
			} else {
				step(3, 25, owner, "resubmit", engine.Input{})
			}
			continue
		default:
			if !fire(reviewDays, reviewer, sc.review, engine.Input{Comment: sc.reviewComment}) {
				break
			}
			rest := handling - reviewDays
			// A third of the late ones ask for the one extension, in time,
			// and mostly make the new date.
			// (Only while the due date has not passed: the law's new date is
			// for a dossier that will be late.)
			extendOn := cal.AddWorkingDays(engine.Day(tr.Events[len(tr.Events)-1].At), 1)
			if late && a.Clock.Running() && extendOn <= a.DueOn && rng.Float64() < 0.35 {
				newDue := cal.AddWorkingDays(a.DueOn, handling-limit+rng.IntN(3))
				if fire(1, appraiser, "extend", engine.Input{Comment: pick(rng, extensionComments), DueAt: newDue}) {
					rest--
				}
			}
			fire(rest, appraiser, sc.conclude, g.conclusion(rng, sc))
		}
		break
	}
	if canArchive(def, a.State) && rng.Float64() < 0.9 {
		archiver := reviewer
		if rng.Float64() < 0.1 {
			archiver = pick(rng, g.admins)
		}
		step(5, 40, archiver, "archive", engine.Input{})
	}
	return tr
}

// canArchive reports whether def's archive trigger leaves state.
func canArchive(def *engine.Definition, state string) bool {
	t := def.Trigger("archive")
	return t != nil && slices.Contains(t.From, state)
}

func (g *Generator) conclusion(rng *rand.Rand, sc script) engine.Input {
	switch r := rng.Float64(); {
	case r < 0.70:
		return engine.Input{Outcome: sc.outcomes["approved"]}
	case r < 0.92:
		return engine.Input{Outcome: sc.outcomes["approved_with_conditions"], Comment: pick(rng, conditionComments)}
	default:
		return engine.Input{Outcome: sc.outcomes["not_approved"], Comment: pick(rng, notApprovedComments)}
	}
}

// add applies trigger at t through the engine, exactly as the API's
// transition does: same state changes, same clock, same hash (the script
// only fires what the workflow permits; TestSeedWritesWhatTheAPIWrites and
// TestTrailsAreLivesOfTheWorkflow replay it through the machine).
func (g *Generator) add(def *engine.Definition, tr *engine.Trail, t time.Time, actor engine.Actor, trigger string, in engine.Input) {
	prev := tr.Events[len(tr.Events)-1].Hash
	ev, err := engine.Replay(def, g.cfg.Workflows.Calendar(), tr.Appraisal, actor, trigger, in, engine.Timestamp(t), prev)
	if err != nil {
		panic(fmt.Sprintf("seed: %s fires %s: %v", tr.Appraisal.Code, trigger, err)) // a bug of the script
	}
	tr.Events = append(tr.Events, *ev)
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

// workingDay returns day, or the next working day when the office is
// closed on it.
func workingDay(cal *engine.Calendar, day string) string {
	if cal.IsWorkingDay(day) {
		return day
	}
	return cal.AddWorkingDays(day, 1)
}

// officeHours returns a random moment between 08:00 and 17:00 Vietnam time
// on day ("2006-01-02").
func officeHours(rng *rand.Rand, day string) time.Time {
	d, _ := time.ParseInLocation(time.DateOnly, day, engine.VietnamTime)
	return d.Add(8*time.Hour + time.Duration(rng.Int64N(int64(9*time.Hour)))).UTC()
}
