package httpapi_test

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/httpapi"
	"github.com/appraisal/appraisal/workflows"
)

// TestOpenAPIUnavailable serves the API on a PostgreSQL store whose server
// refuses connections (the real driver, nothing listening): every
// operation that needs the database answers the documented 503 with
// Retry-After, /readyz too, and /healthz stays 200. The outage under load,
// and the recovery, are TestPostgresOutage in cmd/appraisal.
func TestOpenAPIUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connecting is refused
	x, err := sqlx.Open("postgres", "postgres://postgres@"+addr+"/appraisal?sslmode=disable&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	store := &db.DB{DB: x, Engine: db.Postgres, Now: time.Now}
	api, err := httpapi.New(httpapi.Config{Store: store, Catalog: workflows.Embedded(), UnitCode: "SKHCN",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	checker := newAPIChecker(t)
	c := &openAPIClient{t: t, base: srv.URL, checker: checker}

	c.want(http.StatusOK, "GET", "/healthz", "", nil)
	resp, _ := c.want(http.StatusServiceUnavailable, "GET", "/readyz", "", nil)
	if resp.Header.Get("Retry-After") == "" {
		t.Error("/readyz answered 503 without Retry-After")
	}
	// Every route of the API that needs a token, concretely.
	bodies := map[string]string{
		"POST /api/v1/appraisals": `{"project_name":"Dự án","investor":"X","technology":"Y","stage":"policy",
			"ownership":"state","sector":"J","capital_vnd":0}`,
		"POST /api/v1/appraisals/{id}/transitions": `{"trigger":"review"}`,
	}
	asked := 0
	for _, op := range openAPIOperations {
		method, path, _ := strings.Cut(op, " ")
		if !strings.HasPrefix(path, "/api/v1/") || path == "/api/v1/openapi.json" {
			continue
		}
		concrete := strings.NewReplacer("{id}", "1", "{name}", workflows.TechnologyAppraisal, "{version}", "1").Replace(path)
		if strings.HasPrefix(path, "/api/v1/reports/counts") {
			concrete += "?by=state"
		}
		var body []byte
		if b, ok := bodies[op]; ok {
			body = []byte(b)
		}
		resp, _ := c.want(http.StatusServiceUnavailable, method, concrete, "apr_any-token-the-database-would-look-up", body)
		if resp.Header.Get("Retry-After") != "1" {
			t.Errorf("%s: 503 with Retry-After %q, want 1", op, resp.Header.Get("Retry-After"))
		}
		asked++
	}
	if asked < 10 {
		t.Errorf("asked %d operations, want every one behind a token (10 or more)", asked)
	}
}
