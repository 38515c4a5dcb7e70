package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// GenesisHash is the prev_hash of an appraisal's first event.
var GenesisHash = strings.Repeat("0", 64)

// Event is one entry of an appraisal's audit trail.
type Event struct {
	AppraisalID int64
	Seq         int
	At          time.Time
	Actor       Actor
	Trigger     string
	FromState   string // empty for the first event
	ToState     string
	Comment     string
	Outcome     string
	// DueOn is the new due day an extension set; "" otherwise.
	DueOn    string
	PrevHash string
	Hash     string
}

// canonicalEvent fixes the order and form of what is hashed. The dossier
// code (unique) ties an event to its appraisal without needing the row id,
// so the first event's hash is known before the row is inserted. The first
// event also covers the dossier, so a dossier changed behind the API's back
// breaks the chain too.
type canonicalEvent struct {
	Code        string      `json:"code"`
	Workflow    WorkflowRef `json:"workflow"`
	Seq         int         `json:"seq"`
	At          string      `json:"at"`
	Actor       Actor       `json:"actor"`
	Trigger     string      `json:"trigger"`
	FromState   string      `json:"from_state"`
	ToState     string      `json:"to_state"`
	Comment     string      `json:"comment"`
	Outcome     string      `json:"outcome"`
	DueOn       string      `json:"due_on,omitempty"`
	Dossier     *Dossier    `json:"dossier,omitempty"`
	ApplicantID int64       `json:"applicant_id,omitempty"`
}

// ComputeHash returns the hex SHA-256 over e.PrevHash and e's canonical
// content; a is the appraisal e belongs to.
func ComputeHash(a *Appraisal, e *Event) string {
	c := canonicalEvent{
		Code: a.Code, Workflow: a.Workflow,
		Seq: e.Seq, At: Timestamp(e.At).Format(time.RFC3339Nano), Actor: e.Actor,
		Trigger: e.Trigger, FromState: e.FromState, ToState: e.ToState,
		Comment: e.Comment, Outcome: e.Outcome, DueOn: e.DueOn,
	}
	if e.Seq == 1 {
		c.Dossier, c.ApplicantID = &a.Dossier, a.ApplicantID
	}
	body, _ := json.Marshal(c) // plain strings and numbers: cannot fail
	h := sha256.New()
	h.Write([]byte(e.PrevHash))
	h.Write([]byte{'\n'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// VerifyChain checks events, in order, against a: sequence, links, hashes,
// and that a's state, version and outcome are what the trail says. It
// returns the seq of the first bad event (0 for the appraisal row itself)
// and what is wrong, or 0 and "" when all holds.
func VerifyChain(a *Appraisal, events []Event) (int, string) {
	prev := GenesisHash
	outcome := ""
	extensions := 0
	var appraisedAt time.Time
	for i := range events {
		e := &events[i]
		switch {
		case e.Seq != i+1:
			return e.Seq, "sequence gap: expected seq " + itoa(i+1)
		case e.PrevHash != prev:
			return e.Seq, "prev_hash does not match the previous event's hash"
		case ComputeHash(a, e) != e.Hash:
			return e.Seq, "hash does not match the event's content"
		}
		prev = e.Hash
		if e.DueOn != "" {
			extensions++
		}
		if e.Outcome != "" {
			outcome, appraisedAt = e.Outcome, e.At
		}
	}
	if len(events) == 0 {
		return 0, "appraisal has no events"
	}
	last := events[len(events)-1]
	switch {
	case a.Version != last.Seq:
		return 0, "appraisal version " + itoa(a.Version) + " but the trail ends at seq " + itoa(last.Seq)
	case a.State != last.ToState:
		return 0, "appraisal state " + a.State + " but the trail ends in " + last.ToState
	case a.Outcome != outcome:
		return 0, "appraisal outcome does not match the trail"
	case !Timestamp(a.AppraisedAt).Equal(Timestamp(appraisedAt)):
		return 0, "appraisal appraised_at does not match the time of the outcome in the trail"
	case a.Extensions != extensions:
		return 0, "appraisal extensions " + itoa(a.Extensions) + " but the trail has " + itoa(extensions)
	}
	return 0, ""
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// Trail is an appraisal with its whole audit trail.
type Trail struct {
	Appraisal *Appraisal
	Events    []Event
}
