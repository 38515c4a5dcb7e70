package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/httpapi"
	"github.com/appraisal/appraisal/workflows"
)

// The request decoders are fuzzed through the real handler: whatever the
// body, the answer is never a 5xx, and a refusal writes nothing.

// fuzzAPI is the API on one fresh database, with a user of every role.
type fuzzAPI struct {
	engine  db.Engine
	d       *db.DB
	handler http.Handler
	// users: the owning applicant, another applicant, a reviewer, an
	// appraiser and an admin; a fuzzed byte picks one.
	users  []engine.Actor
	tokens []string
}

// fuzzEngines are the engines a fuzz target runs on. Its seeds, run by go
// test, run on both. Fuzzing runs each worker in a process of its own that
// may be killed, which would leave its PostgreSQL schema behind, so it
// runs on SQLite only, in a temporary file.
func fuzzEngines() []db.Engine {
	if f := flag.Lookup("test.fuzz"); f != nil && f.Value.String() != "" {
		return []db.Engine{db.SQLite}
	}
	return dbtest.Engines
}

func newFuzzAPIs(f *testing.F) []*fuzzAPI {
	f.Helper()
	var apis []*fuzzAPI
	for _, eng := range fuzzEngines() {
		d := dbtest.Open(f, eng)
		api, err := httpapi.New(httpapi.Config{Store: d, Catalog: workflows.Embedded(), UnitCode: "SKHCN",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			f.Fatal(err)
		}
		a := &fuzzAPI{engine: eng, d: d, handler: api}
		for _, u := range []struct {
			name string
			role engine.Role
		}{
			{"Nguyễn Thị Hoa", engine.RoleApplicant}, {"Trần Văn Bình", engine.RoleApplicant},
			{"Lê Reviewer", engine.RoleReviewer}, {"Phạm Appraiser", engine.RoleAppraiser}, {"Admin", engine.RoleAdmin},
		} {
			token, hash := engine.NewToken()
			actor, err := d.CreateUser(context.Background(), u.name, u.role, hash)
			if err != nil {
				f.Fatal(err)
			}
			a.users, a.tokens = append(a.users, actor), append(a.tokens, token)
		}
		apis = append(apis, a)
	}
	return apis
}

// serve sends one request straight to the handler.
func (a *fuzzAPI) serve(method, path string, body []byte, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec
}

// checkAnswer fails t for a 5xx, and for a refusal that is not a problem
// document or that wrote something.
func (a *fuzzAPI) checkAnswer(t *testing.T, rec *httptest.ResponseRecorder, before, after hostileTally) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s: a server error: %d %s", a.engine, rec.Code, rec.Body)
	}
	if rec.Code >= 300 {
		if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Fatalf("%s: %d answered as %q, not a problem document: %s", a.engine, rec.Code, ct, rec.Body)
		}
		if after != before {
			t.Fatalf("%s: %d, yet it wrote: %+v, before %+v", a.engine, rec.Code, after, before)
		}
	}
}

func FuzzCreateAppraisal(f *testing.F) {
	apis := newFuzzAPIs(f)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		for _, a := range apis {
			before := hostileTallyOf(t, a.d)
			headers := []string{"Authorization", "Bearer " + a.tokens[0]}
			if contentType != "" {
				headers = append(headers, "Content-Type", contentType)
			}
			rec := a.serve("POST", "/api/v1/appraisals", body, headers...)
			after := hostileTallyOf(t, a.d)
			a.checkAnswer(t, rec, before, after)
			if rec.Code == http.StatusCreated {
				var created struct{ ID int64 }
				if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil || created.ID == 0 {
					t.Fatalf("%s: 201 without an appraisal: %v %s", a.engine, err, rec.Body)
				}
				if after.Appraisals != before.Appraisals+1 || after.Events != before.Events+1 {
					t.Fatalf("%s: one submission wrote %+v, before %+v", a.engine, after, before)
				}
			}
		}
	})
}

func FuzzTransition(f *testing.F) {
	apis := newFuzzAPIs(f)
	catalog := workflows.Embedded()
	def, err := catalog.Latest(workflows.TechnologyAppraisal)
	if err != nil {
		f.Fatal(err)
	}
	var valid engine.Dossier
	if raw, err := json.Marshal(dossier()); err != nil || json.Unmarshal(raw, &valid) != nil {
		f.Fatal("the test dossier does not round-trip")
	}
	// untouched holds, per API, an appraisal submitted (false) and one
	// reviewed (true) that no input has changed yet; an input that fires
	// its trigger uses its appraisal up. So each input meets the same
	// appraisal, and a refusal, the common case, costs no write.
	untouched := make([]map[bool]*engine.Appraisal, len(apis))
	for i := range untouched {
		untouched[i] = map[bool]*engine.Appraisal{}
	}
	f.Fuzz(func(t *testing.T, body []byte, ifMatch string, user uint8, reviewed bool) {
		for i, a := range apis {
			ctx := context.Background()
			ap := untouched[i][reviewed]
			if ap == nil {
				var err error
				if ap, err = a.d.CreateAppraisal(ctx, def, workflows.MustCalendar(), "SKHCN", a.users[0], valid); err != nil {
					t.Fatal(err)
				}
				if reviewed {
					if ap, err = a.d.Transition(ctx, catalog, engine.TransitionRequest{
						AppraisalID: ap.ID, Actor: a.users[2], Trigger: "review"}); err != nil {
						t.Fatal(err)
					}
				}
				untouched[i][reviewed] = ap
			}
			who := int(user) % len(a.users)
			headers := []string{"Authorization", "Bearer " + a.tokens[who], "Content-Type", "application/json"}
			if ifMatch != "" {
				headers = append(headers, "If-Match", ifMatch)
			}
			before := hostileTallyOf(t, a.d)
			rec := a.serve("POST", fmt.Sprintf("/api/v1/appraisals/%d/transitions", ap.ID), body, headers...)
			after := hostileTallyOf(t, a.d)
			if after != before {
				untouched[i][reviewed] = nil
			}
			a.checkAnswer(t, rec, before, after)
			if rec.Code == http.StatusOK {
				var moved struct{ Version int }
				if err := json.Unmarshal(rec.Body.Bytes(), &moved); err != nil || moved.Version != ap.Version+1 {
					t.Fatalf("%s: 200 at version %d from %d: %v %s", a.engine, moved.Version, ap.Version, err, rec.Body)
				}
				if after.Events != before.Events+1 || after.Appraisals != before.Appraisals {
					t.Fatalf("%s: one transition wrote %+v, before %+v", a.engine, after, before)
				}
			}
		}
	})
}
