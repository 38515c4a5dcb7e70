package engine

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Actor is who fires a trigger.
type Actor struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// Stages of an investment project (Law on Investment): the policy stage gets
// an opinion on technology, the decision stage an appraisal.
const (
	StagePolicy   = "policy"
	StageDecision = "decision"
)

var (
	stages        = []string{StagePolicy, StageDecision}
	projectGroups = []string{"national", "A", "B", "C"}
	ownerships    = []string{"state", "non_state", "foreign_invested"}
)

// Dossier is what an applicant submits: the fields of the Law on Technology
// Transfer 2017 (articles 13-18) and of the provincial statistics form.
// Optional fields are empty when absent.
type Dossier struct {
	ProjectName      string `json:"project_name"`
	Investor         string `json:"investor"`
	Technology       string `json:"technology"`
	Stage            string `json:"stage"`
	ProjectGroup     string `json:"project_group"`
	Ownership        string `json:"ownership"`
	Sector           string `json:"sector"`
	CapitalVND       int64  `json:"capital_vnd"`
	InvestorCountry  string `json:"investor_country"`
	TechnologyOrigin string `json:"technology_origin"`
	Locality         string `json:"locality"`
}

// Limits on text fields, in characters.
const (
	MaxNameLen       = 500
	MaxTechnologyLen = 4000
	MaxLocalityLen   = 200
	MaxCommentLen    = 4000
)

// Normalize trims text fields and upper-cases country codes, in place.
func (d *Dossier) Normalize() {
	for _, s := range []*string{&d.ProjectName, &d.Investor, &d.Technology, &d.Stage,
		&d.ProjectGroup, &d.Ownership, &d.Sector, &d.Locality} {
		*s = strings.TrimSpace(*s)
	}
	d.InvestorCountry = strings.ToUpper(strings.TrimSpace(d.InvestorCountry))
	d.TechnologyOrigin = strings.ToUpper(strings.TrimSpace(d.TechnologyOrigin))
}

// Validate returns an EINVALID *Error naming the first bad field. Call
// Normalize first.
func (d *Dossier) Validate() error {
	if err := checkText("project_name", d.ProjectName, true, MaxNameLen, false); err != nil {
		return err
	}
	if err := checkText("investor", d.Investor, true, MaxNameLen, false); err != nil {
		return err
	}
	if err := checkText("technology", d.Technology, true, MaxTechnologyLen, true); err != nil {
		return err
	}
	if err := checkOneOf("stage", d.Stage, stages, true); err != nil {
		return err
	}
	if err := checkOneOf("project_group", d.ProjectGroup, projectGroups, d.Stage == StageDecision); err != nil {
		return err
	}
	if err := checkOneOf("ownership", d.Ownership, ownerships, true); err != nil {
		return err
	}
	if err := CheckSector(d.Sector); err != nil {
		return err
	}
	if d.CapitalVND < 0 {
		return FieldErrorf("capital_vnd", "capital_vnd must be an integer of at least 0")
	}
	if err := checkCountry("investor_country", d.InvestorCountry); err != nil {
		return err
	}
	if err := checkCountry("technology_origin", d.TechnologyOrigin); err != nil {
		return err
	}
	return checkText("locality", d.Locality, false, MaxLocalityLen, false)
}

// Field returns the value of the dossier field named as in JSON, and
// whether there is such a field that workflow rules may test.
func (d *Dossier) Field(name string) (string, bool) {
	switch name {
	case "stage":
		return d.Stage, true
	case "project_group":
		return d.ProjectGroup, true
	case "ownership":
		return d.Ownership, true
	case "sector":
		return d.Sector, true
	case "investor_country":
		return d.InvestorCountry, true
	case "technology_origin":
		return d.TechnologyOrigin, true
	}
	return "", false
}

// RuleFields are the dossier fields workflow rules (applies_to, deadline
// rules) may test.
var RuleFields = []string{"stage", "project_group", "ownership", "sector", "investor_country", "technology_origin"}

// Matches reports whether every field named in when has the given value.
func (d *Dossier) Matches(when map[string]string) bool {
	for k, v := range when {
		if got, ok := d.Field(k); !ok || got != v {
			return false
		}
	}
	return true
}

func checkText(field, s string, required bool, max int, multiline bool) error {
	if s == "" {
		if required {
			return FieldErrorf(field, "%s is required", field)
		}
		return nil
	}
	if !utf8.ValidString(s) {
		return FieldErrorf(field, "%s is not valid UTF-8", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return FieldErrorf(field, "%s is %d characters long; at most %d", field, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			return FieldErrorf(field, "%s contains a control character (U+%04X)", field, r)
		}
	}
	return nil
}

// CheckComment validates a transition's comment.
func CheckComment(s string) error { return checkText(FieldComment, s, false, MaxCommentLen, true) }

func checkOneOf(field, s string, allowed []string, required bool) error {
	if s == "" {
		if required {
			return FieldErrorf(field, "%s is required, one of %s", field, strings.Join(allowed, ", "))
		}
		return nil
	}
	for _, a := range allowed {
		if s == a {
			return nil
		}
	}
	return FieldErrorf(field, "%s %q is not one of %s", field, s, strings.Join(allowed, ", "))
}

// vsicDivisions gives each VSIC 2018 section's range of two-digit divisions.
var vsicDivisions = map[byte][2]int{
	'A': {1, 3}, 'B': {5, 9}, 'C': {10, 33}, 'D': {35, 35}, 'E': {36, 39},
	'F': {41, 43}, 'G': {45, 47}, 'H': {49, 53}, 'I': {55, 56}, 'J': {58, 63},
	'K': {64, 66}, 'L': {68, 68}, 'M': {69, 75}, 'N': {77, 82}, 'O': {84, 84},
	'P': {85, 85}, 'Q': {86, 88}, 'R': {90, 93}, 'S': {94, 96}, 'T': {97, 98},
	'U': {99, 99},
}

// CheckSector accepts a VSIC 2018 section letter (A..U), optionally followed
// by a two-digit division of that section (C26).
func CheckSector(s string) error {
	bad := FieldErrorf("sector", "sector %q is not a VSIC section letter A..U, optionally with a division of it such as C26", s)
	if s == "" {
		return FieldErrorf("sector", "sector is required: a VSIC section letter A..U, optionally with a division such as C26")
	}
	span, ok := vsicDivisions[s[0]]
	if !ok || (len(s) != 1 && len(s) != 3) {
		return bad
	}
	if len(s) == 3 {
		if s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9' {
			return bad
		}
		div := int(s[1]-'0')*10 + int(s[2]-'0')
		if div < span[0] || div > span[1] {
			return FieldErrorf("sector", "division %02d is not in VSIC section %c (divisions %02d-%02d)", div, s[0], span[0], span[1])
		}
	}
	return nil
}

func checkCountry(field, s string) error {
	if s == "" {
		return nil
	}
	if IsCountry(s) {
		return nil
	}
	return FieldErrorf(field, "%s %q is not an ISO 3166 alpha-2 country code", field, s)
}

// Appraisal is one dossier and where it stands in its workflow.
type Appraisal struct {
	ID            int64
	Code          string
	Workflow      WorkflowRef
	State         string
	Version       int
	Dossier       Dossier
	ApplicantID   int64
	ApplicantName string
	Outcome       string
	SubmittedAt   time.Time
	UpdatedAt     time.Time
	// AppraisedAt is when the outcome was recorded; zero until then.
	AppraisedAt time.Time
	Clock
}

// Subject returns what a machine on def needs of a, on the Vietnam day
// today: the deadline may be extended while it runs, before it has passed,
// as often as def allows.
func (a *Appraisal) Subject(def *Definition, today string) Subject {
	s := Subject{State: a.State, OwnerID: a.ApplicantID}
	if def.Deadline != nil {
		c := &a.Clock
		s.Extendable = c.Running() && !c.Overdue(today) && c.Extensions < def.Deadline.MaxExtensions
	}
	return s
}

// VisibleTo reports whether actor may see a: staff see all, applicants their own.
func (a *Appraisal) VisibleTo(actor Actor) bool {
	return actor.Role != RoleApplicant || a.ApplicantID == actor.ID
}

// Timestamp truncates t to the microsecond precision both databases keep,
// in UTC, so a time hashes the same before it is stored and after.
func Timestamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// VietnamTime is the zone of the receiving units (UTC+7, no daylight saving).
var VietnamTime = time.FixedZone("ICT", 7*60*60)

// DossierCode formats the one-stop system's dossier code UNIT-YYMMDD-NNNN.
func DossierCode(unit string, day time.Time, seq int64) string {
	return fmt.Sprintf("%s-%s-%04d", unit, day.In(VietnamTime).Format("060102"), seq)
}

// ListFilter selects appraisals, newest first.
type ListFilter struct {
	State, Stage, Sector, Ownership string
	// StateLeads says State is a state where work waits (not a final one):
	// few appraisals are in it, so the listing walks that state's index
	// and tests the other filters on its rows.
	StateLeads bool
	// Q matches a substring of the code, project name, investor or
	// technology, ignoring case and diacritics.
	Q string
	// Overdue keeps the appraisals whose clock runs and whose due day is
	// before Today; DueBefore those whose clock runs and is due before it.
	Overdue   bool
	DueBefore string
	// Today is the Vietnam day Overdue compares with.
	Today string
	// ApplicantID, when set, keeps only that applicant's appraisals.
	ApplicantID int64
	// BeforeID, when set, keeps appraisals older than that one (keyset paging).
	BeforeID int64
	Limit    int
}

// TransitionRequest asks to fire Trigger on one appraisal.
type TransitionRequest struct {
	AppraisalID int64
	Actor       Actor
	// TokenHash, when set instead of Actor, names the actor by the hash of
	// its API token, for a store that resolves it with the appraisal.
	TokenHash string
	Trigger   string
	Input     Input
	// IfVersion, when non-zero, is the version the caller expects (If-Match).
	IfVersion int
}

// ValidOwnership reports whether s is an ownership value.
func ValidOwnership(s string) bool { return checkOneOf("ownership", s, ownerships, true) == nil }

// CheckText validates optional single-line text, such as a search query.
func CheckText(field, s string, max int) error { return checkText(field, s, false, max, false) }
