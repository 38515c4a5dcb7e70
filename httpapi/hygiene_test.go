package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/appraisal/appraisal/httpapi"
	"github.com/appraisal/appraisal/workflows"
)

// getRoutes are every GET route, for the rule that a GET takes no body.
var getRoutes = []string{
	"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json",
	"/api/v1/appraisals", "/api/v1/appraisals/%d", "/api/v1/appraisals/%d/events",
	"/api/v1/workflows", "/api/v1/workflows/technology-appraisal", "/api/v1/workflows/technology-appraisal/graph",
	"/api/v1/reports/counts?by=state", "/api/v1/reports/form07",
}

// chunked is a body of unknown length: net/http sends it chunked.
type chunked struct{ io.Reader }

func (e *env) getWithBody(t *testing.T, path, user string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest("GET", e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if user != anonymous {
		req.Header.Set("Authorization", "Bearer "+e.tokens[user])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	e.check(t, req, nil, resp, data)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// padded is body with spaces after it (still one JSON value) to n bytes.
func padded(t *testing.T, body string, n int) string {
	t.Helper()
	if len(body) > n {
		t.Fatalf("the body is %d bytes already, more than %d", len(body), n)
	}
	return body + strings.Repeat(" ", n-len(body))
}

// escaped writes s as a JSON string with every character \u-escaped, as
// ASCII-only encoders (Python's json.dumps by default) do.
func escaped(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	b.WriteByte('"')
	return b.String()
}

func TestBodyLimits(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		id := e.submit(t, hoa)
		before := e.written(t, id)

		// A GET with a body is refused before anything else, with or without
		// a token, whether its length is declared or not; an empty one is fine.
		for _, route := range getRoutes {
			if strings.Contains(route, "%d") {
				route = fmt.Sprintf(route, id)
			}
			for _, user := range []string{reviewer, anonymous} {
				m := expect(t, e.getWithBody(t, route, user, strings.NewReader(`{"q":"x"}`)), http.StatusRequestEntityTooLarge)
				if !strings.Contains(m["detail"].(string), "takes no body") {
					t.Errorf("GET %s with a body: detail %q", route, m["detail"])
				}
				expect(t, e.getWithBody(t, route, user, chunked{strings.NewReader("x")}), http.StatusRequestEntityTooLarge)
			}
			if r := e.getWithBody(t, route, reviewer, chunked{strings.NewReader("")}); r.status != http.StatusOK {
				t.Errorf("GET %s with an empty chunked body: %d %s", route, r.status, r.body)
			}
		}

		// A transition takes 32 KiB: the longest comment fits even escaped.
		const transitionLimit = 32 << 10
		tr := fmt.Sprintf("/api/v1/appraisals/%d/transitions", id)
		comment := strings.Repeat("Thiếu hồ sơ công nghệ. ", 4000/len([]rune("Thiếu hồ sơ công nghệ. ")))
		comment += strings.Repeat("ệ", 4000-len([]rune(comment)))
		longest := `{"trigger":"request_supplement","comment":` + escaped(comment) + `}`
		over := padded(t, `{"trigger":"review"}`, transitionLimit+1)
		m := expect(t, e.request(t, "POST", tr, reviewer, over), http.StatusRequestEntityTooLarge)
		if !strings.Contains(m["detail"].(string), fmt.Sprint(transitionLimit)) {
			t.Errorf("413 detail %q does not name the limit %d", m["detail"], transitionLimit)
		}
		expect(t, e.request(t, "POST", tr, reviewer, padded(t, longest, transitionLimit+1)), http.StatusRequestEntityTooLarge)
		if after := e.written(t, id); after != before {
			t.Fatalf("refused bodies wrote: %+v, before %+v", after, before)
		}
		m = expect(t, e.request(t, "POST", tr, reviewer, padded(t, longest, transitionLimit)), http.StatusOK)
		if m["state"] != "returned" {
			t.Errorf("the longest comment, escaped: state %v", m["state"])
		}

		// A dossier keeps 64 KiB.
		const dossierLimit = 64 << 10
		d := dossier()
		d["technology"] = comment
		raw, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		m = expect(t, e.request(t, "POST", "/api/v1/appraisals", hoa, padded(t, string(raw), dossierLimit+1)), http.StatusRequestEntityTooLarge)
		if !strings.Contains(m["detail"].(string), fmt.Sprint(dossierLimit)) {
			t.Errorf("413 detail %q does not name the limit %d", m["detail"], dossierLimit)
		}
		expect(t, e.request(t, "POST", "/api/v1/appraisals", hoa, padded(t, string(raw), dossierLimit)), http.StatusCreated)
	})
}

// hygieneServer serves api through HTTPServer on a real listener, as
// `appraisal serve` does; change adjusts the server before it starts.
func hygieneServer(t *testing.T, change func(srv *http.Server)) string {
	t.Helper()
	api, err := httpapi.New(httpapi.Config{Catalog: workflows.Embedded(), UnitCode: "SKHCN",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := api.HTTPServer("127.0.0.1:0")
	if srv.ReadHeaderTimeout <= 0 || srv.ReadHeaderTimeout > 10*time.Second || srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 64<<10 {
		t.Fatalf("HTTPServer: ReadHeaderTimeout %s, MaxHeaderBytes %d; want both set and small", srv.ReadHeaderTimeout, srv.MaxHeaderBytes)
	}
	change(srv)
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// rawExchange writes request on a fresh connection and reads the answer.
func rawExchange(t *testing.T, addr, request string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, request); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestOversizedHeaderIs431(t *testing.T) {
	t.Parallel()
	addr := hygieneServer(t, func(*http.Server) {})
	resp, _ := rawExchange(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: "+strings.Repeat("a", 8<<10)+"\r\nConnection: close\r\n\r\n")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("an 8 KiB header: %d, want 200", resp.StatusCode)
	}
	resp, body := rawExchange(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: "+strings.Repeat("a", 64<<10)+"\r\n\r\n")
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("a 64 KiB header: %d %s, want 431", resp.StatusCode, body)
	}
	leakFree(t, "431", body)
	resp, body = rawExchange(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nBroken header\r\n\r\n")
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a malformed header: %d %s, want 400", resp.StatusCode, body)
	}
	leakFree(t, "400 from net/http", body)
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	const timeout = 300 * time.Millisecond
	addr := hygieneServer(t, func(srv *http.Server) { srv.ReadHeaderTimeout = timeout })
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	// A slowloris client: a header line now and then, never the end.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := fmt.Fprintf(conn, "X-Slow-%d: still here\r\n", i); err != nil {
				return
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := conn.Read(make([]byte, 1024))
	took := time.Since(start)
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		t.Fatalf("the connection was still open after %s, with a header timeout of %s", took, timeout)
	}
	if n > 0 || err == nil {
		t.Fatalf("the server answered %d bytes instead of closing the connection", n)
	}
	if took < timeout-50*time.Millisecond || took > timeout+5*time.Second {
		t.Errorf("the connection was closed after %s, want about %s", took, timeout)
	}
	// A client that sends its header in time is answered.
	if resp, _ := rawExchange(t, addr, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); resp.StatusCode != http.StatusOK {
		t.Errorf("a prompt request: %d", resp.StatusCode)
	}
}

// leaks are what an error body must never show: a stack trace, a source
// position, SQL, or the database driver's words.
var leaks = []string{"goroutine", ".go:", "SELECT", "INSERT", "UPDATE ", "pq:", "sqlite", "relation", "no such table"}

func leakFree(t *testing.T, what string, body []byte) {
	t.Helper()
	for _, l := range leaks {
		if bytes.Contains(bytes.ToLower(body), bytes.ToLower([]byte(l))) {
			t.Errorf("%s: the body shows %q: %s", what, l, body)
		}
	}
}

func TestErrorBodiesLeakNothing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		id := e.submit(t, hoa)
		path := fmt.Sprintf("/api/v1/appraisals/%d", id)
		tr := path + "/transitions"
		seen := map[int]bool{}
		try := func(r response, what string) {
			t.Helper()
			if r.status < 400 {
				t.Errorf("%s: %d, want an error", what, r.status)
				return
			}
			seen[r.status] = true
			expect(t, r, r.status)
			leakFree(t, fmt.Sprintf("%s (%d)", what, r.status), r.body)
		}
		// The client's mistakes.
		try(e.request(t, "POST", tr, reviewer, `{"trigger": "review"`), "malformed JSON")
		try(e.request(t, "POST", tr, reviewer, `{"trigger": 7}`), "wrong type")
		try(e.request(t, "POST", tr, reviewer, `{"trigger": "review", "approve": true}`), "unknown field")
		try(e.request(t, "POST", tr, reviewer, "{\"trigger\":\"review\",\"comment\":\"\xff\"}"), "invalid UTF-8")
		try(e.request(t, "GET", path, anonymous, nil, "Authorization", "Bearer apr_nope"), "bad token")
		try(e.request(t, "POST", tr, appraiser, trig("review")), "role")
		try(e.request(t, "GET", path, binh, nil), "another's")
		try(e.request(t, "GET", "/api/v1/appraisals/99999999999999999999", reviewer, nil), "id too large")
		try(e.request(t, "DELETE", path, reviewer, nil), "method")
		try(e.request(t, "POST", tr, hoa, trig("resubmit")), "state")
		try(e.request(t, "POST", tr, reviewer, trig("review"), "If-Match", `"9"`), "If-Match")
		try(e.request(t, "POST", tr, reviewer, `{"trigger":"review","comment":"`+strings.Repeat("x", 40<<10)+`"}`), "body too large")
		try(e.getWithBody(t, path, reviewer, strings.NewReader("{}")), "GET with a body")
		try(e.request(t, "POST", tr, reviewer, "trigger=review", "Content-Type", "application/x-www-form-urlencoded"), "content type")
		try(e.request(t, "POST", tr, reviewer, trig("request_supplement")), "missing comment")
		try(e.request(t, "POST", "/api/v1/appraisals", hoa, with(dossier(), "sector", "Z9")), "invalid dossier")
		try(e.request(t, "GET", "/api/v1/appraisals?cursor=bm9wZQ", reviewer, nil), "bad cursor")
		try(e.request(t, "GET", "/api/v1/reports/counts?by=state&from=2026-13-01", reviewer, nil), "bad date")
		elsewhere := from(t, "127.0.0.2")
		for range httpapi.AuthFailureLimit {
			e.via(t, elsewhere, "/api/v1/workflows", "Authorization", "Bearer apr_nope")
		}
		try(e.via(t, elsewhere, "/api/v1/workflows", "Authorization", "Bearer "+e.tokens[reviewer]), "slowed")

		// The server's failures: the database loses its tables, then itself.
		ctx := context.Background()
		for _, table := range []string{"events", "report_counts", "report_deltas", "appraisals"} {
			if _, err := e.d.ExecContext(ctx, `ALTER TABLE `+table+` RENAME TO gone_`+table); err != nil {
				t.Fatal(err)
			}
		}
		try(e.request(t, "GET", path+"/events", reviewer, nil), "events without their table")
		try(e.request(t, "GET", path, reviewer, nil), "appraisal without its table")
		try(e.request(t, "GET", "/api/v1/appraisals", reviewer, nil), "listing without its table")
		try(e.request(t, "POST", tr, reviewer, trig("review")), "transition without its table")
		try(e.request(t, "POST", "/api/v1/appraisals", hoa, dossier()), "submission without its table")
		try(e.request(t, "GET", "/api/v1/reports/counts?by=state", reviewer, nil), "counts without their table")
		try(e.request(t, "GET", "/api/v1/reports/form07", reviewer, nil), "form 07 without its table")
		e.d.Close()
		try(e.request(t, "GET", path, reviewer, nil), "no database")
		try(e.request(t, "GET", "/readyz", anonymous, nil), "not ready")

		for _, status := range []int{400, 401, 403, 404, 405, 409, 412, 413, 415, 422, 429} {
			if !seen[status] {
				t.Errorf("no %d was checked", status)
			}
		}
		if !seen[500] && !seen[503] {
			t.Error("no 5xx was checked")
		}
	})
}

func TestSecurityHeadersOnEveryKind(t *testing.T) {
	eachEngine(t, func(t *testing.T, e *env) {
		id := e.submit(t, hoa)
		path := fmt.Sprintf("/api/v1/appraisals/%d", id)
		const xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		kinds := []struct {
			name, method, path, user string
			body                     any
			headers                  []string
			status                   int
			contentType              string
		}{
			{"JSON", "GET", path, hoa, nil, nil, 200, "application/json"},
			{"JSON created", "POST", "/api/v1/appraisals", hoa, dossier(), nil, 201, "application/json"},
			{"problem 401", "GET", path, anonymous, nil, nil, 401, "application/problem+json"},
			{"problem 404", "GET", path, binh, nil, nil, 404, "application/problem+json"},
			{"problem 405", "PUT", path, hoa, nil, nil, 405, "application/problem+json"},
			{"problem 409", "POST", path + "/transitions", hoa, trig("resubmit"), nil, 409, "application/problem+json"},
			{"problem 413", "POST", path + "/transitions", hoa, `{"comment":"` + strings.Repeat("x", 40<<10) + `"}`, nil, 413, "application/problem+json"},
			{"problem 422", "GET", "/api/v1/appraisals?limit=0", hoa, nil, nil, 422, "application/problem+json"},
			{"SVG", "GET", "/api/v1/workflows/technology-appraisal/graph", hoa, nil, []string{"Accept", "image/svg+xml"}, 200, "image/svg+xml"},
			{"DOT", "GET", "/api/v1/workflows/technology-appraisal/graph", hoa, nil, nil, 200, "text/vnd.graphviz"},
			{"CSV counts", "GET", "/api/v1/reports/counts?by=state", reviewer, nil, []string{"Accept", "text/csv"}, 200, "text/csv"},
			{"CSV form 07", "GET", "/api/v1/reports/form07", reviewer, nil, []string{"Accept", "text/csv"}, 200, "text/csv"},
			{"XLSX", "GET", "/api/v1/reports/form07", reviewer, nil, []string{"Accept", xlsx}, 200, xlsx},
			{"metrics", "GET", "/metrics", anonymous, nil, nil, 200, "text/plain"},
			{"OpenAPI", "GET", "/api/v1/openapi.json", anonymous, nil, nil, 200, "application/json"},
			{"health", "GET", "/healthz", anonymous, nil, nil, 200, "application/json"},
		}
		check := func(name string, r response, status int, contentType string) {
			t.Helper()
			if r.status != status || !strings.HasPrefix(r.header.Get("Content-Type"), contentType) {
				t.Errorf("%s: %d %q, want %d %s", name, r.status, r.header.Get("Content-Type"), status, contentType)
			}
			for k, v := range map[string]string{
				"X-Content-Type-Options": "nosniff",
				"X-Frame-Options":        "DENY",
				"Referrer-Policy":        "no-referrer",
				"Cache-Control":          "no-store",
			} {
				if got := r.header.Get(k); got != v {
					t.Errorf("%s: %s %q, want %q", name, k, got, v)
				}
			}
			if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("%s: Content-Security-Policy %q", name, csp)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Errorf("%s: no X-Request-Id", name)
			}
		}
		for _, k := range kinds {
			check(k.name, e.request(t, k.method, k.path, k.user, k.body, k.headers...), k.status, k.contentType)
		}
		elsewhere := from(t, "127.0.0.2")
		for range httpapi.AuthFailureLimit {
			e.via(t, elsewhere, "/api/v1/workflows", "Authorization", "Bearer apr_nope")
		}
		check("problem 429", e.via(t, elsewhere, "/api/v1/workflows", "Authorization", "Bearer apr_nope"), 429, "application/problem+json")
		// A path the API does not have is no documented operation: unchecked.
		e.check = nil
		check("problem 404 route", e.request(t, "GET", "/api/v1/nothing", hoa, nil), 404, "application/problem+json")
	})
}
