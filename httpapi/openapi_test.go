package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/appraisal/appraisal/db"
	"github.com/appraisal/appraisal/db/dbtest"
	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/httpapi"
	"github.com/appraisal/appraisal/workflows"
)

// apiChecker checks real responses against the OpenAPI document
// (httpapi.OpenAPI): the operation must be documented, the status
// documented for it, and the content type, body and headers must match.
// Requests are never validated, so tests may send malformed ones on
// purpose. Safe for concurrent use.
type apiChecker struct {
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options

	mu   sync.Mutex
	keys map[string]bool
}

// openAPILoad parses and validates httpapi.OpenAPI. As a 3.1 document its
// schemas are validated as JSON Schema 2020-12 (kin-openapi switches that on
// for 3.1 documents, in Validate and in openapi3filter).
func openAPILoad() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("loading the OpenAPI document: %w", err)
	}
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		return nil, fmt.Errorf("the OpenAPI document is version %q, want 3.1.0", doc.OpenAPI)
	}
	err = doc.Validate(loader.Context,
		openapi3.EnableSchemaFormatValidation(), // unknown formats are errors
		openapi3.EnableSchemaPatternValidation(),
		openapi3.EnableSchemaDefaultsValidation(),
		openapi3.EnableExamplesValidation())
	if err != nil {
		return nil, fmt.Errorf("validating the OpenAPI document: %w", err)
	}
	return doc, nil
}

// newAPIChecker loads and validates the document and routes requests by it.
func newAPIChecker(t testing.TB) *apiChecker {
	t.Helper()
	doc, err := openAPILoad()
	if err != nil {
		t.Fatal(err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("routing by the OpenAPI document: %v", err)
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true, // an undocumented status is an error
		MultiError:            true,
		ExcludeRequestBody:    true,
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
	}
	// Say where and why, without dumping the whole schema.
	opts.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		return fmt.Sprintf("at %q: %s (value %s)", "/"+strings.Join(err.JSONPointer(), "/"), err.Reason, apiCheckerValue(err.Value))
	})
	return &apiChecker{doc: doc, router: router, opts: opts, keys: map[string]bool{}}
}

func apiCheckerValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return apiCheckerClip(b)
}

// check fails t unless resp, whose body is respBody, is what the document
// says req may be answered with. reqBody only makes the failure readable.
func (c *apiChecker) check(t testing.TB, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	t.Helper()
	if err := c.validate(req, resp, respBody); err != nil {
		msg := fmt.Sprintf("OpenAPI: %s %s -> %d does not match the document: %v\nresponse body: %s",
			req.Method, req.URL.RequestURI(), resp.StatusCode, err, apiCheckerClip(respBody))
		if len(reqBody) > 0 {
			msg += "\nrequest body: " + apiCheckerClip(reqBody)
		}
		t.Errorf("%s", msg)
	}
}

// seen returns the "METHOD /template STATUS" of every response checked so
// far on a documented path, such as "GET /api/v1/appraisals/{id} 404".
func (c *apiChecker) seen() map[string]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]bool, len(c.keys))
	for k := range c.keys {
		out[k] = true
	}
	return out
}

// validate is check returning the mismatch instead of failing a test.
func (c *apiChecker) validate(req *http.Request, resp *http.Response, body []byte) error {
	// The router and the schemas are not documented as safe for
	// concurrent use: one check at a time.
	c.mu.Lock()
	defer c.mu.Unlock()
	route, params, err := c.router.FindRoute(req)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		if route, params, err = c.methodNotAllowed(req); err != nil {
			return err
		}
		if resp.StatusCode != http.StatusMethodNotAllowed {
			c.keys[req.Method+" "+route.Path+" "+strconv.Itoa(resp.StatusCode)] = true
			return fmt.Errorf("%s is not documented on %s, so only a 405 is expected, not %d",
				req.Method, route.Path, resp.StatusCode)
		}
	case err != nil:
		return fmt.Errorf("no documented operation for %s %s: %v", req.Method, req.URL.Path, err)
	}
	c.keys[req.Method+" "+route.Path+" "+strconv.Itoa(resp.StatusCode)] = true
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route, Options: c.opts,
		},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: c.opts,
	})
	if err != nil {
		return err
	}
	// A documented response without content must come without a body.
	if ref := route.Operation.Responses.Status(resp.StatusCode); ref != nil && ref.Value != nil &&
		len(ref.Value.Content) == 0 && len(bytes.TrimSpace(body)) > 0 {
		return fmt.Errorf("status %d is documented without a body, got %d bytes", resp.StatusCode, len(body))
	}
	return nil
}

// methodNotAllowed returns a route for req's path, whose method the path
// does not have, that documents the one answer to it: the shared 405.
func (c *apiChecker) methodNotAllowed(req *http.Request) (*routers.Route, map[string]string, error) {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		other := req.Clone(req.Context())
		other.Method = m
		route, params, err := c.router.FindRoute(other)
		if err != nil {
			continue
		}
		resp405 := c.doc.Components.Responses["MethodNotAllowed"]
		if resp405 == nil {
			return nil, nil, fmt.Errorf("the document has no components.responses.MethodNotAllowed")
		}
		r := *route
		r.Method = req.Method
		r.Operation = &openapi3.Operation{
			Responses: openapi3.NewResponses(openapi3.WithStatus(http.StatusMethodNotAllowed, resp405)),
		}
		return &r, params, nil
	}
	return nil, nil, fmt.Errorf("no documented operation for %s %s", req.Method, req.URL.Path)
}

func apiCheckerClip(b []byte) string {
	n := 2000
	if len(b) <= n {
		return string(b)
	}
	for n > 0 && !utf8.RuneStart(b[n]) {
		n--
	}
	return string(b[:n]) + fmt.Sprintf("... (%d bytes)", len(b))
}

// openAPIOperations lists every route of server.go, as the document must.
var openAPIOperations = []string{
	"GET /healthz",
	"GET /readyz",
	"GET /metrics",
	"GET /api/v1/openapi.json",
	"GET /api/v1/appraisals",
	"POST /api/v1/appraisals",
	"GET /api/v1/appraisals/{id}",
	"POST /api/v1/appraisals/{id}/transitions",
	"GET /api/v1/appraisals/{id}/events",
	"GET /api/v1/workflows",
	"GET /api/v1/workflows/{name}",
	"GET /api/v1/workflows/{name}/graph",
	"GET /api/v1/workflows/{name}/versions/{version}",
	"GET /api/v1/workflows/{name}/versions/{version}/graph",
	"GET /api/v1/appraisals/{id}/graph",
	"GET /api/v1/calendar",
	"POST /api/v1/calendar/days",
	"GET /api/v1/reports/counts",
	"GET /api/v1/reports/form07",
}

func TestOpenAPIDocument(t *testing.T) {
	doc, err := openAPILoad()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gorillamux.NewRouter(doc); err != nil {
		t.Fatalf("routing by the document: %v", err)
	}
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			key := method + " " + path
			ops = append(ops, key)
			if op.OperationID == "" || op.Summary == "" || op.Description == "" {
				t.Errorf("%s: needs an operationId, a summary and a description", key)
			}
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			authed := len(security) > 0
			if want := strings.HasPrefix(path, "/api/v1/") && path != "/api/v1/openapi.json"; authed != want {
				t.Errorf("%s: needs a bearer token: %v, want %v", key, authed, want)
			}
			statuses := op.Responses.Map()
			if statuses["500"] == nil {
				t.Errorf("%s: does not document 500", key)
			}
			if authed && statuses["401"] == nil {
				t.Errorf("%s: needs a token but does not document 401", key)
			}
			if !authed && statuses["401"] != nil {
				t.Errorf("%s: needs no token but documents 401", key)
			}
			for status, ref := range statuses {
				resp := ref.Value
				if resp.Headers["X-Request-Id"] == nil {
					t.Errorf("%s %s: no X-Request-Id header", key, status)
				}
				isError := status >= "400"
				if isError && !(key == "GET /metrics" && status == "500") &&
					(len(resp.Content) != 1 || resp.Content["application/problem+json"] == nil) {
					t.Errorf("%s %s: an error must be application/problem+json only", key, status)
				}
			}
		}
	}
	slices.Sort(ops)
	want := slices.Clone(openAPIOperations)
	slices.Sort(want)
	if !slices.Equal(ops, want) {
		t.Errorf("documented operations:\n  %s\nserver.go's routes:\n  %s", strings.Join(ops, "\n  "), strings.Join(want, "\n  "))
	}
	// kin-openapi does not check the examples of 3.1 schemas: check them here.
	for name, ref := range doc.Components.Schemas {
		openAPICheckExamples(t, "components.schemas."+name, ref)
	}
	for name, ref := range doc.Components.Parameters {
		openAPICheckExamples(t, "components.parameters."+name, ref.Value.Schema)
	}
	if doc.Components.Responses["MethodNotAllowed"] == nil || doc.Components.SecuritySchemes["bearer"] == nil {
		t.Errorf("components need responses.MethodNotAllowed and securitySchemes.bearer")
	}
}

// openAPICheckExamples fails t for every example of ref or of its
// properties and items that does not match its schema.
func openAPICheckExamples(t *testing.T, where string, ref *openapi3.SchemaRef) {
	t.Helper()
	if ref == nil || ref.Value == nil || ref.Ref != "" {
		return // a $ref is checked where it is defined
	}
	s := ref.Value
	for i, example := range s.Examples {
		if err := s.VisitJSON(example, openapi3.EnableJSONSchema2020(), openapi3.EnableFormatValidation()); err != nil {
			t.Errorf("%s: example %d does not match its schema: %v", where, i, err)
		}
	}
	for name, p := range s.Properties {
		openAPICheckExamples(t, where+".properties."+name, p)
	}
	if s.Items != nil {
		openAPICheckExamples(t, where+".items", s.Items)
	}
}

// openAPIClient sends requests to a test server and checks every answer.
type openAPIClient struct {
	t       *testing.T
	base    string
	checker *apiChecker
}

// do sends a request with token (none if empty) and extra headers given as
// name, value pairs, and returns the checked response and its body.
func (c *openAPIClient) do(method, path, token string, body []byte, header ...string) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	c.checker.check(c.t, req, body, resp, respBody)
	return resp, respBody
}

// want does a request and fails the test unless it is answered status.
func (c *openAPIClient) want(status int, method, path, token string, body []byte, header ...string) (*http.Response, []byte) {
	c.t.Helper()
	resp, respBody := c.do(method, path, token, body, header...)
	if resp.StatusCode != status {
		c.t.Errorf("%s %s: status %d, want %d; body: %s", method, path, resp.StatusCode, status, apiCheckerClip(respBody))
	}
	return resp, respBody
}

func TestOpenAPIChecksRealResponses(t *testing.T) {
	ctx := context.Background()
	d := dbtest.Open(t, db.SQLite)
	api, err := httpapi.New(httpapi.Config{Store: d, Catalog: workflows.Embedded(), UnitCode: "SKHCN"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api)
	defer srv.Close()
	token := func(name string, role engine.Role) string {
		tok, hash := engine.NewToken()
		if _, err := d.CreateUser(ctx, name, role, hash); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	owner := token("Nguyễn Văn An", engine.RoleApplicant)
	other := token("Trần Thị Bình", engine.RoleApplicant)
	reviewer := token("Lê Văn Cường", engine.RoleReviewer)
	appraiser := token("Phạm Thị Dung", engine.RoleAppraiser)
	admin := token("Hoàng Văn Em", engine.RoleAdmin)

	checker := newAPIChecker(t)
	c := &openAPIClient{t: t, base: srv.URL, checker: checker}
	j := func(s string) []byte { return []byte(s) }

	// Operations.
	c.want(200, "GET", "/healthz", "", nil)
	c.want(200, "GET", "/readyz", "", nil)
	if _, body := c.want(200, "GET", "/api/v1/openapi.json", "", nil); !bytes.Equal(body, httpapi.OpenAPI) {
		t.Errorf("GET /api/v1/openapi.json is not httpapi.OpenAPI")
	}
	c.want(405, "POST", "/healthz", "", nil)
	c.want(405, "HEAD", "/readyz", "", nil)

	// Creating.
	dossier := `{"project_name":"  Nhà máy sản xuất linh kiện điện tử  ","investor":"Công ty TNHH Linh kiện Hà Nội",
		"technology":"Dây chuyền SMT tự động\nvà kiểm tra quang học","stage":"decision","project_group":"B",
		"ownership":"foreign_invested","sector":"C26","capital_vnd":120000000000,
		"investor_country":"jp","technology_origin":"JP","locality":"Phường Phúc Lợi"}`
	resp, body := c.want(201, "POST", "/api/v1/appraisals", owner, j(dossier))
	var created struct {
		ID      int64  `json:"id"`
		Country string `json:"investor_country"`
	}
	if err := json.Unmarshal(body, &created); err != nil || created.ID == 0 {
		t.Fatalf("created appraisal: %v, %s", err, body)
	}
	if created.Country != "JP" {
		t.Errorf("investor_country %q, want JP", created.Country)
	}
	id := "/api/v1/appraisals/" + strconv.FormatInt(created.ID, 10)
	if loc := resp.Header.Get("Location"); loc != id {
		t.Errorf("Location %q, want %q", loc, id)
	}
	minimal := `{"project_name":"Dự án B","investor":"X","technology":"Y","stage":"policy","ownership":"state","sector":"J","capital_vnd":0}`
	_, body = c.want(201, "POST", "/api/v1/appraisals", owner, j(minimal))
	var second struct{ ID int64 }
	json.Unmarshal(body, &second)
	c.want(201, "POST", "/api/v1/appraisals", other, j(minimal))
	c.want(400, "POST", "/api/v1/appraisals", owner, j(`{"project_name":`))
	c.want(400, "POST", "/api/v1/appraisals", owner, j(`{"colour":"red"}`))
	c.want(400, "POST", "/api/v1/appraisals", owner, j(`{"capital_vnd":"lots"}`))
	c.want(401, "POST", "/api/v1/appraisals", "", j(minimal))
	c.want(401, "POST", "/api/v1/appraisals", "apr_not-a-token", j(minimal))
	c.want(403, "POST", "/api/v1/appraisals", reviewer, j(minimal))
	c.want(413, "POST", "/api/v1/appraisals", owner, j(`{"locality":"`+strings.Repeat("x", 70<<10)+`"}`))
	c.want(415, "POST", "/api/v1/appraisals", owner, j(minimal), "Content-Type", "text/plain")
	c.want(422, "POST", "/api/v1/appraisals", owner, j(`{"project_name":"A","investor":"B","technology":"C","stage":"decision","ownership":"state","sector":"C26","capital_vnd":1}`))
	c.want(422, "POST", "/api/v1/appraisals", owner, j(`{"project_name":"A"}`))

	// Reading.
	c.want(200, "GET", id, owner, nil)
	c.want(200, "GET", id, reviewer, nil)
	c.want(404, "GET", id, other, nil)
	c.want(404, "GET", "/api/v1/appraisals/99999", owner, nil)
	c.want(404, "GET", "/api/v1/appraisals/99999999999999999999", owner, nil)
	c.want(401, "GET", id, "", nil)
	c.want(405, "DELETE", id, owner, nil)
	_, body = c.want(200, "GET", "/api/v1/appraisals?limit=1", owner, nil)
	var page struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
		Next *string `json:"next_cursor"`
	}
	if err := json.Unmarshal(body, &page); err != nil || len(page.Items) != 1 || page.Items[0].ID != second.ID || page.Next == nil {
		t.Fatalf("first page of one: %v, %s", err, body)
	}
	_, body = c.want(200, "GET", "/api/v1/appraisals?limit=1&cursor="+*page.Next, owner, nil)
	if err := json.Unmarshal(body, &page); err != nil || len(page.Items) != 1 || page.Items[0].ID != created.ID {
		t.Errorf("second page: %v, %s", err, body)
	}
	c.want(200, "GET", "/api/v1/appraisals?state=submitted&stage=decision&sector=C26&ownership=foreign_invested&q=linh+ki%E1%BB%87n", reviewer, nil)
	c.want(422, "GET", "/api/v1/appraisals?colour=red", owner, nil)
	c.want(422, "GET", "/api/v1/appraisals?limit=201", owner, nil)
	c.want(422, "GET", "/api/v1/appraisals?cursor=nonsense", owner, nil)
	c.want(401, "GET", "/api/v1/appraisals", "", nil)

	// Transitions, with If-Match.
	tr := id + "/transitions"
	resp, _ = c.want(200, "POST", tr, reviewer, j(`{"trigger":"review"}`), "If-Match", `"1"`)
	if tag := resp.Header.Get("ETag"); tag != `"2"` {
		t.Errorf("ETag after review %q, want \"2\"", tag)
	}
	c.want(412, "POST", tr, appraiser, j(`{"trigger":"appraise","outcome":"approved"}`), "If-Match", `"1"`)
	c.want(412, "POST", tr, appraiser, j(`{"trigger":"appraise","outcome":"approved"}`), "If-Match", `"2", "3"`)
	c.want(412, "POST", tr, appraiser, j(`{"trigger":"appraise","outcome":"approved"}`), "If-Match", `W/"2"`)
	c.want(400, "POST", tr, appraiser, j(`{"trigger":"appraise","outcome":"approved"}`), "If-Match", `2`)
	c.want(400, "POST", tr, appraiser, j(`{"trigger":"appraise","outcome":"approved"`))
	c.want(400, "POST", tr, appraiser, j(`{"trigger":"appraise","outcome":"approved","extra":1}`))
	c.want(415, "POST", tr, appraiser, j(`{"trigger":"appraise"}`), "Content-Type", "application/xml")
	c.want(413, "POST", tr, appraiser, j(`{"trigger":"appraise","comment":"`+strings.Repeat("x", 70<<10)+`"}`))
	c.want(401, "POST", tr, "", j(`{"trigger":"appraise"}`))
	c.want(403, "POST", tr, owner, j(`{"trigger":"review"}`))
	c.want(404, "POST", tr, other, j(`{"trigger":"withdraw"}`))
	_, body = c.want(409, "POST", tr, reviewer, j(`{"trigger":"review"}`))
	if !strings.Contains(string(body), `"permitted_triggers":["extend"]`) {
		t.Errorf("409 to a reviewer on a reviewed appraisal should permit only extend: %s", body)
	}
	_, body = c.want(409, "POST", tr, owner, j(`{"trigger":"withdraw"}`))
	if !strings.Contains(string(body), `"permitted_triggers":[]`) {
		t.Errorf("409 to the owner of a reviewed appraisal should permit nothing: %s", body)
	}
	c.want(422, "POST", tr, appraiser, j(`{"trigger":"approve"}`))
	c.want(422, "POST", tr, appraiser, j(`{"comment":"no trigger"}`))
	c.want(422, "POST", tr, appraiser, j(`{"trigger":"appraise","outcome":"not_approved"}`))
	c.want(200, "POST", tr, appraiser, j(`{"trigger":"appraise","outcome":"approved_with_conditions","comment":"Bổ sung phương án xử lý chất thải."}`), "If-Match", `"2"`)
	c.want(200, "POST", tr, admin, j(`{"trigger":"archive"}`), "If-Match", "*")
	c.want(405, "GET", tr, owner, nil)

	// The audit trail.
	_, body = c.want(200, "GET", id+"/events", owner, nil)
	var events struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(body, &events); err != nil || len(events.Items) != 4 {
		t.Errorf("events: %v, %s", err, body)
	}
	c.want(404, "GET", id+"/events", other, nil)
	c.want(401, "GET", id+"/events", "", nil)

	// Workflows.
	c.want(200, "GET", "/api/v1/workflows", other, nil)
	c.want(401, "GET", "/api/v1/workflows", "", nil)
	c.want(200, "GET", "/api/v1/workflows/technology-appraisal", appraiser, nil)
	c.want(404, "GET", "/api/v1/workflows/no-such-workflow", appraiser, nil)
	c.want(401, "GET", "/api/v1/workflows/technology-appraisal", "", nil)
	resp, _ = c.want(200, "GET", "/api/v1/workflows/technology-appraisal/graph", reviewer, nil)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/vnd.graphviz") {
		t.Errorf("graph Content-Type %q, want DOT", ct)
	}
	resp, _ = c.want(200, "GET", "/api/v1/workflows/technology-appraisal/graph", reviewer, nil, "Accept", "image/svg+xml")
	if ct := resp.Header.Get("Content-Type"); ct != "image/svg+xml" {
		t.Errorf("graph Content-Type %q, want SVG", ct)
	}
	c.want(404, "GET", "/api/v1/workflows/no-such-workflow/graph", reviewer, nil)
	c.want(401, "GET", "/api/v1/workflows/technology-appraisal/graph", "", nil)
	c.want(200, "GET", "/api/v1/workflows/technology-appraisal/versions/1", owner, nil)
	c.want(200, "GET", "/api/v1/workflows/technology-opinion/versions/1", owner, nil)
	c.want(404, "GET", "/api/v1/workflows/technology-appraisal/versions/9", owner, nil)
	c.want(404, "GET", "/api/v1/workflows/technology-appraisal/versions/01", owner, nil)
	c.want(200, "GET", "/api/v1/workflows/technology-appraisal/versions/2/graph", owner, nil, "Accept", "image/svg+xml")
	c.want(200, "GET", id+"/graph", owner, nil)
	c.want(200, "GET", id+"/graph", reviewer, nil, "Accept", "image/svg+xml")
	c.want(404, "GET", id+"/graph", other, nil)

	// The calendar.
	c.want(200, "GET", "/api/v1/calendar", other, nil)
	c.want(200, "GET", "/api/v1/calendar?year=2026", reviewer, nil)
	c.want(422, "GET", "/api/v1/calendar?year=twenty", reviewer, nil)
	c.want(204, "POST", "/api/v1/calendar/days", admin, j(`{"holidays":[{"day":"2027-02-08","name":"Tết Nguyên đán"}]}`))
	c.want(204, "POST", "/api/v1/calendar/days", admin, j(`{"holidays":[{"day":"2027-02-08","name":"Tết Nguyên đán"}]}`))
	c.want(422, "POST", "/api/v1/calendar/days", admin, j(`{"holidays":[{"day":"2027-02-08","name":"Another name"}]}`))
	c.want(422, "POST", "/api/v1/calendar/days", admin, j(`{"working_weekends":[{"day":"2027-02-08","name":"a Monday"}]}`))
	c.want(403, "POST", "/api/v1/calendar/days", reviewer, j(`{"holidays":[{"day":"2027-02-09","name":"Tết"}]}`))

	// Reports.
	const xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	for _, by := range []string{"state", "stage", "sector", "ownership", "investor_country", "outcome", "month", "quarter", "year"} {
		c.want(200, "GET", "/api/v1/reports/counts?by="+by, reviewer, nil)
	}
	c.want(200, "GET", "/api/v1/reports/counts?by=outcome&event=appraised&from=2000-01-01&to=2999-12-31", admin, nil)
	resp, _ = c.want(200, "GET", "/api/v1/reports/counts?by=month", appraiser, nil, "Accept", "text/csv")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("counts Content-Type %q, want CSV", ct)
	}
	c.want(401, "GET", "/api/v1/reports/counts?by=state", "", nil)
	c.want(403, "GET", "/api/v1/reports/counts?by=state", owner, nil)
	c.want(422, "GET", "/api/v1/reports/counts", reviewer, nil)
	c.want(422, "GET", "/api/v1/reports/counts?by=colour", reviewer, nil)
	c.want(422, "GET", "/api/v1/reports/counts?by=state&event=born", reviewer, nil)
	c.want(422, "GET", "/api/v1/reports/counts?by=state&from=2026-13-01", reviewer, nil)
	c.want(422, "GET", "/api/v1/reports/counts?by=state&year=2026", reviewer, nil)
	c.want(200, "GET", "/api/v1/reports/form07", reviewer, nil)
	c.want(200, "GET", "/api/v1/reports/form07?year=2026", admin, nil)
	c.want(200, "GET", "/api/v1/reports/form07?from=2000-01-01", admin, nil)
	resp, _ = c.want(200, "GET", "/api/v1/reports/form07", admin, nil, "Accept", "text/csv")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("form 07 Content-Type %q, want CSV", ct)
	}
	resp, _ = c.want(200, "GET", "/api/v1/reports/form07", admin, nil, "Accept", xlsx)
	if ct := resp.Header.Get("Content-Type"); ct != xlsx {
		t.Errorf("form 07 Content-Type %q, want XLSX", ct)
	}
	c.want(401, "GET", "/api/v1/reports/form07", "", nil)
	c.want(403, "GET", "/api/v1/reports/form07", other, nil)
	c.want(422, "GET", "/api/v1/reports/form07?year=2026&from=2026-01-01", admin, nil)
	c.want(422, "GET", "/api/v1/reports/form07?from=2026-02-01&to=2026-01-01", admin, nil)
	c.want(405, "POST", "/api/v1/reports/form07", admin, j(`{}`))

	// Metrics last, so they have something to say.
	c.want(200, "GET", "/metrics", "", nil)

	// Every operation was answered successfully at least once.
	seen := checker.seen()
	for _, op := range openAPIOperations {
		ok := false
		for k := range seen {
			if strings.HasPrefix(k, op+" 2") {
				ok = true
			}
		}
		if !ok {
			t.Errorf("%s: no 2xx response checked", op)
		}
	}
	for _, k := range []string{"DELETE /api/v1/appraisals/{id} 405", "POST /api/v1/appraisals/{id}/transitions 409"} {
		if !seen[k] {
			t.Errorf("seen() lacks %q", k)
		}
	}
}

// openAPIFakeTB records failures instead of failing the test.
type openAPIFakeTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (f *openAPIFakeTB) Helper() {}

func (f *openAPIFakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func TestOpenAPICheckerRejectsMismatches(t *testing.T) {
	checker := newAPIChecker(t)
	appraisal := func() map[string]any {
		return map[string]any{
			"id": 7, "code": "SKHCN-250314-0001",
			"workflow": map[string]any{"name": "technology-appraisal", "version": 1},
			"state":    "submitted", "version": 1,
			"project_name": "Nhà máy", "investor": "Công ty", "technology": "SMT",
			"stage": "decision", "project_group": "B", "ownership": "state", "sector": "C26",
			"capital_vnd": 1000, "investor_country": "VN", "technology_origin": nil, "locality": nil,
			"applicant":    map[string]any{"id": 1, "name": "An"},
			"outcome":      nil,
			"submitted_at": "2025-03-14T02:03:04.123456Z", "updated_at": "2025-03-14T02:03:04.123456Z",
			"permitted_triggers": []string{"withdraw"},
			"due_at":             "2025-04-04", "overdue": false, "on_time": nil, "clock_paused": false,
			"working_days_left": nil, "extensions": 0,
			"trigger_due": map[string]any{"trigger": "request_supplement", "due_at": "2025-03-19", "overdue": false},
		}
	}
	problem := func(status int, slug string) map[string]any {
		return map[string]any{"type": "urn:appraisal:problem:" + slug, "title": http.StatusText(status),
			"status": status, "detail": "x", "request_id": "abc123"}
	}
	type exchange struct {
		name        string
		method      string
		path        string
		status      int
		contentType string
		header      map[string]string
		body        any
	}
	ok := func() exchange {
		return exchange{name: "valid", method: "GET", path: "/api/v1/appraisals/7", status: 200,
			contentType: "application/json", header: map[string]string{"ETag": `"1"`}, body: appraisal()}
	}
	with := func(name string, change func(e *exchange)) exchange {
		e := ok()
		e.name = name
		change(&e)
		return e
	}
	field := func(name string, k string, v any) exchange {
		return with(name, func(e *exchange) { e.body.(map[string]any)[k] = v })
	}
	run := func(e exchange) (error, []string) {
		req := httptest.NewRequest(e.method, "http://api.test"+e.path, nil)
		resp := &http.Response{StatusCode: e.status, Header: http.Header{}}
		resp.Header.Set("X-Request-Id", "abc123")
		if e.contentType != "" {
			resp.Header.Set("Content-Type", e.contentType)
		}
		for k, v := range e.header {
			if v == "" {
				resp.Header.Del(k)
			} else {
				resp.Header.Set(k, v)
			}
		}
		body, err := json.Marshal(e.body)
		if err != nil {
			t.Fatal(err)
		}
		fake := &openAPIFakeTB{TB: t}
		checker.check(fake, req, nil, resp, body)
		return checker.validate(req, resp, body), fake.errors
	}

	for _, e := range []exchange{
		ok(),
		field("valid, with an outcome", "outcome", "approved"),
		{name: "valid 404", method: "GET", path: "/api/v1/appraisals/7", status: 404,
			contentType: "application/problem+json", body: problem(404, "not-found")},
		{name: "valid 405", method: "PUT", path: "/api/v1/appraisals/7", status: 405,
			contentType: "application/problem+json", header: map[string]string{"Allow": "GET"}, body: problem(405, "method-not-allowed")},
	} {
		if err, failures := run(e); err != nil || len(failures) > 0 {
			t.Errorf("%s: the checker rejects a valid response: %v %q", e.name, err, failures)
		}
	}

	conflict := problem(409, "conflict")
	for _, e := range []exchange{
		field("id is a string", "id", "7"),
		field("capital_vnd is a float", "capital_vnd", 1.5),
		field("an undocumented field", "colour", "red"),
		with("a missing field", func(e *exchange) { delete(e.body.(map[string]any), "locality") }),
		field("project_group out of its enum", "project_group", "D"),
		field("stage out of its enum", "stage", "design"),
		field("outcome out of its enum", "outcome", "maybe"),
		field("a sector that is no VSIC code", "sector", "Z9"),
		field("a lower-case country", "investor_country", "vn"),
		field("a time that is no date-time", "submitted_at", "yesterday"),
		field("null where null is not allowed", "ownership", nil),
		field("permitted_triggers null", "permitted_triggers", nil),
		with("no ETag", func(e *exchange) { e.header["ETag"] = "" }),
		with("a weak ETag", func(e *exchange) { e.header["ETag"] = `W/"1"` }),
		with("no X-Request-Id", func(e *exchange) { e.header["X-Request-Id"] = "" }),
		with("an undocumented status", func(e *exchange) { e.status = 418 }),
		with("a status not documented for the operation", func(e *exchange) {
			e.status, e.contentType, e.body = 409, "application/problem+json", conflict
		}),
		with("a wrong content type", func(e *exchange) { e.contentType = "text/html" }),
		with("a problem as application/json", func(e *exchange) {
			e.status, e.contentType, e.body = 404, "application/json", problem(404, "not-found")
		}),
		with("a problem without request_id", func(e *exchange) {
			p := problem(404, "not-found")
			delete(p, "request_id")
			e.status, e.contentType, e.body = 404, "application/problem+json", p
		}),
		with("a problem of another status", func(e *exchange) {
			e.status, e.contentType, e.body = 404, "application/problem+json", problem(400, "bad-request")
		}),
		with("a 409 without permitted_triggers", func(e *exchange) {
			e.path += "/transitions"
			e.method, e.status, e.contentType, e.body = "POST", 409, "application/problem+json", conflict
		}),
		with("an undocumented path", func(e *exchange) { e.path = "/api/v1/appraisal/7" }),
		with("an undocumented method answered 200", func(e *exchange) { e.method = "PUT" }),
	} {
		err, failures := run(e)
		if err == nil {
			t.Errorf("%s: the checker accepts it", e.name)
		}
		if len(failures) != 1 {
			t.Errorf("%s: check reported %d failures, want 1: %q", e.name, len(failures), failures)
		} else if want := "-> " + strconv.Itoa(e.status); !strings.Contains(failures[0], e.method+" "+e.path) || !strings.Contains(failures[0], want) {
			t.Errorf("%s: the failure does not name the method, path and status: %s", e.name, failures[0])
		}
	}
}
