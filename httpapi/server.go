// Package httpapi serves the HTTP API on gorilla/mux: routing, auth, JSON
// and problem documents. Every route is listed in routes.
package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/workflows"
)

// Store is what the API needs of persistence; package db implements it.
type Store interface {
	ActorByTokenHash(ctx context.Context, hash string) (engine.Actor, error)
	CreateAppraisal(ctx context.Context, def *engine.Definition, cal *engine.Calendar, unit string, actor engine.Actor, d engine.Dossier) (*engine.Appraisal, error)
	CreateAppraisalOnce(ctx context.Context, def *engine.Definition, cal *engine.Calendar, unit string, actor engine.Actor, d engine.Dossier, key engine.IdempotencyKey) (a *engine.Appraisal, replayed bool, err error)
	Appraisal(ctx context.Context, id int64) (*engine.Appraisal, error)
	Appraisals(ctx context.Context, f engine.ListFilter) ([]*engine.Appraisal, error)
	Transition(ctx context.Context, catalog engine.Catalog, req engine.TransitionRequest) (*engine.Appraisal, error)
	// TransitionAs is Transition for the holder of a token, looked up with the appraisal.
	TransitionAs(ctx context.Context, catalog engine.Catalog, tokenHash string, req engine.TransitionRequest) (*engine.Appraisal, engine.Actor, error)
	Events(ctx context.Context, appraisalID int64) ([]engine.Event, error)
	Counts(ctx context.Context, q engine.CountsQuery) ([]engine.Count, error)
	Form07(ctx context.Context, p engine.Period) (*engine.Form07, error)
	CalendarStore
	PingContext(ctx context.Context) error
}

// Config wires a Server.
type Config struct {
	Store   Store
	Catalog *workflows.Catalog
	// UnitCode is the receiving unit's code, the first part of dossier codes.
	UnitCode string
	Logger   *slog.Logger
	// TrustedProxies are the proxies whose X-Forwarded-For names the
	// client; any other peer is the client itself. None by default.
	TrustedProxies []netip.Prefix
	// Now is the server's clock: what is overdue today, and the slowing of
	// failed authentication; nil is time.Now.
	Now func() time.Time
	// Pages, when set, are the web pages, mounted beside the API.
	Pages Pages
}

// Server is the HTTP API.
type Server struct {
	store    Store
	catalog  *workflows.Catalog
	unitCode string
	log      *slog.Logger
	now      func() time.Time
	router   *mux.Router
	metrics  *metrics
	graphs   *graphRenderer
	// clients and authFailures slow repeated failed authentication.
	clients      clientResolver
	authFailures *authFailures
	pages        Pages
}

var unitCodePattern = regexp.MustCompile(`^[A-Z0-9]{2,20}$`)

// CheckUnitCode reports whether code can start dossier codes.
func CheckUnitCode(code string) error {
	if !unitCodePattern.MatchString(code) {
		return fmt.Errorf("unit code %q: 2 to 20 capital letters or digits, as in SKHCN", code)
	}
	return nil
}

// New returns the API with every route.
func New(cfg Config) (*Server, error) {
	if err := CheckUnitCode(cfg.UnitCode); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{store: cfg.Store, catalog: cfg.Catalog, unitCode: cfg.UnitCode, log: cfg.Logger, now: cfg.Now,
		router: mux.NewRouter(), metrics: newMetrics(), graphs: sharedGraphRenderer,
		clients:      clientResolver{trusted: cfg.TrustedProxies},
		authFailures: newAuthFailures(AuthFailureLimit, AuthFailureWindow, authClientsTracked, cfg.Now),
		pages:        cfg.Pages}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	r := s.router
	// Match the path as sent: no cleaning of dot segments or double slashes
	// (mux would answer them with a bare redirect), and %2F stays part of a
	// segment instead of becoming a separator.
	r.SkipClean(true)
	r.UseEncodedPath()
	r.Use(s.requestIDs, s.recoverPanics, s.observe, securityHeaders, s.limitBodies)
	// mux runs middleware only on matched routes; these two get the chain by hand.
	r.NotFoundHandler = s.withMiddleware(s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return engine.Errorf(engine.ENOTFOUND, "no such resource: %s", r.URL.Path)
	}))
	r.MethodNotAllowedHandler = s.withMiddleware(s.wrap(func(w http.ResponseWriter, req *http.Request) error {
		w.Header().Set("Allow", strings.Join(s.allowedMethods(req), ", "))
		return &httpError{http.StatusMethodNotAllowed, req.Method + " is not allowed on " + req.URL.Path}
	}))

	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet)
	r.Handle("/metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})).Methods(http.MethodGet)
	r.HandleFunc("/api/v1/openapi.json", serveOpenAPI).Methods(http.MethodGet)

	// Everything else needs a bearer token.
	authed := func(method, path string, h handlerFunc) {
		r.Handle(path, s.authenticate(s.wrap(h))).Methods(method)
	}
	authed(http.MethodPost, "/api/v1/appraisals", s.createAppraisal)
	authed(http.MethodGet, "/api/v1/appraisals", s.listAppraisals)
	authed(http.MethodGet, "/api/v1/appraisals/{id:[0-9]+}", s.getAppraisal)
	// The hot path: the token is read with the appraisal, in one round trip.
	r.Handle("/api/v1/appraisals/{id:[0-9]+}/transitions", s.authenticateInStore(s.wrap(s.transition))).Methods(http.MethodPost)
	authed(http.MethodGet, "/api/v1/appraisals/{id:[0-9]+}/events", s.listEvents)
	authed(http.MethodGet, "/api/v1/workflows", s.listWorkflows)
	authed(http.MethodGet, "/api/v1/workflows/{name}", s.getWorkflow)
	authed(http.MethodGet, "/api/v1/workflows/{name}/graph", s.workflowGraph)
	authed(http.MethodGet, "/api/v1/workflows/{name}/versions/{version:[0-9]+}", s.workflowVersion)
	authed(http.MethodGet, "/api/v1/workflows/{name}/versions/{version:[0-9]+}/graph", s.workflowGraph)
	authed(http.MethodGet, "/api/v1/appraisals/{id:[0-9]+}/graph", s.appraisalGraph)
	authed(http.MethodGet, "/api/v1/calendar", s.getCalendar)
	authed(http.MethodPost, "/api/v1/calendar/days", s.addCalendarDays)
	authed(http.MethodGet, "/api/v1/reports/counts", s.reportCounts)
	authed(http.MethodGet, "/api/v1/reports/form07", s.reportForm07)

	if s.pages != nil {
		s.pages.Routes(r, s)
	}
}

// allowedMethods lists the methods some route serves on req's path.
func (s *Server) allowedMethods(req *http.Request) []string {
	var methods []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		probe := req.Clone(req.Context())
		probe.Method = m
		var match mux.RouteMatch
		if s.router.Match(probe, &match) && match.MatchErr == nil {
			methods = append(methods, m)
		}
	}
	return methods
}

func (s *Server) withMiddleware(h http.Handler) http.Handler {
	return s.requestIDs(s.recoverPanics(s.observe(securityHeaders(h))))
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// HTTPServer returns a server for addr with timeouts and header limits, so
// a slow or hostile client cannot hold connections or memory.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// handlerFunc is a handler that returns its failure, answered by wrap.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

type ctxKey int

const (
	requestIDKey ctxKey = iota
	actorKey
	pendingKey
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestIDs takes a sane X-Request-Id from a proxy or makes one, and
// returns it in the response, in problem documents and in logs.
func (s *Server) requestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			b := make([]byte, 8)
			rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "panic", append(logAttrs(r), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))...)
				s.writeError(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// observe logs each request and counts it by route template, never by raw
// path, so metrics stay bounded whatever paths clients send.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := "unmatched"
		if cr := mux.CurrentRoute(r); cr != nil {
			if tpl, err := cr.GetPathTemplate(); err == nil {
				route = tpl
			}
		}
		took := time.Since(start)
		s.metrics.requests.WithLabelValues(r.Method, route, strconv.Itoa(sw.status)).Inc()
		s.metrics.duration.WithLabelValues(r.Method, route).Observe(took.Seconds())
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(r.Context(), level, "request", append(logAttrs(r), "method", r.Method, "route", route,
			"status", sw.status, "took", took)...)
	})
}

type metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	transitions *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "appraisal_http_requests_total", Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "appraisal_http_request_duration_seconds", Help: "HTTP request latency by method and route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "appraisal_transitions_total", Help: "Committed transitions by workflow, trigger and new state.",
		}, []string{"workflow", "trigger", "to_state"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.transitions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", map[string]string{"status": "ok"})
}

// readyz answers 503 while the database cannot be reached.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.PingContext(ctx); err != nil {
		s.log.WarnContext(ctx, "not ready", append(logAttrs(r), "err", err)...)
		w.Header().Set("Retry-After", retryAfter)
		writeJSON(w, http.StatusServiceUnavailable, "application/problem+json", problem{
			Type: "urn:appraisal:problem:service-unavailable", Title: http.StatusText(http.StatusServiceUnavailable),
			Status: http.StatusServiceUnavailable, Detail: "the database cannot be reached", RequestID: requestID(r.Context())})
		return
	}
	writeJSON(w, http.StatusOK, "application/json", map[string]string{"status": "ready"})
}
