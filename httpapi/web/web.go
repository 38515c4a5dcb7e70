// Package web serves the web pages of the appraisal service: server-side
// rendered HTML in Vietnamese (default) and English, for applicants,
// reviewers, appraisers and administrators. The pages sit beside the API
// on its router and use the same Store and workflow engine; people sign in
// with email and password, and their sessions live in the database.
package web

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/appraisal/appraisal/engine"
	"github.com/appraisal/appraisal/httpapi"
	"github.com/appraisal/appraisal/workflows"
)

// Store is what the pages need of persistence: the API's Store, sign-in
// and sessions, and accounts. Package db implements it.
type Store interface {
	httpapi.Store
	Credentials(ctx context.Context, email string) (engine.Actor, string, error)
	CreateSession(ctx context.Context, userID int64, tokenHash string, ttl time.Duration) (time.Time, error)
	ActorBySessionHash(ctx context.Context, tokenHash string) (engine.Actor, error)
	DeleteSession(ctx context.Context, tokenHash string) error
	Accounts(ctx context.Context) ([]engine.Account, error)
	CreateUserWithPassword(ctx context.Context, name string, role engine.Role, tokenHash, email, passwordHash string) (engine.Actor, error)
	RevokeAccount(ctx context.Context, id int64) error
}

// Config wires the pages.
type Config struct {
	Store   Store
	Catalog *workflows.Catalog
	// UnitCode is the receiving unit's code, printed on receipts.
	UnitCode string
	Logger   *slog.Logger
	// SessionTTL is how long a sign-in lasts; 0 is DefaultSessionTTL.
	SessionTTL time.Duration
	// Now is the clock for "today" (due dates); nil is time.Now.
	Now func() time.Time
}

// DefaultSessionTTL: a working day and then some; people sign in again
// each morning.
const DefaultSessionTTL = 12 * time.Hour

// Pages are the web pages; mount them with httpapi.Config.Pages.
type Pages struct {
	store   Store
	catalog *workflows.Catalog
	unit    string
	log     *slog.Logger
	ttl     time.Duration
	now     func() time.Time
	pages   map[string]*template.Template
	api     *httpapi.Server
	// listScan, when set, replaces the constant listScan (tests).
	listScan int
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New parses the templates and returns the pages.
func New(cfg Config) (*Pages, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	p := &Pages{store: cfg.Store, catalog: cfg.Catalog, unit: cfg.UnitCode, log: cfg.Logger,
		ttl: cfg.SessionTTL, now: cfg.Now, pages: map[string]*template.Template{}}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "templates/")
		if base == "layout.html" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", name)
		if err != nil {
			return nil, err
		}
		p.pages[strings.TrimSuffix(base, ".html")] = t
	}
	return p, nil
}

// staff are the roles that see every dossier, the queue and the reports.
var staff = []engine.Role{engine.RoleReviewer, engine.RoleAppraiser, engine.RoleAdmin}

// Routes adds the pages to the API's router (httpapi.Pages).
func (p *Pages) Routes(r *mux.Router, api *httpapi.Server) {
	p.api = api
	applicant := []engine.Role{engine.RoleApplicant}
	anyone := engine.Roles
	admin := []engine.Role{engine.RoleAdmin}
	get := func(path string, roles []engine.Role, h pageFunc) {
		r.Handle(path, p.signedIn(roles, h)).Methods(http.MethodGet)
	}
	post := func(path string, roles []engine.Role, h pageFunc) {
		r.Handle(path, p.signedIn(roles, h)).Methods(http.MethodPost)
	}
	r.Handle("/", p.public(p.home)).Methods(http.MethodGet)
	r.Handle("/signin", p.public(p.signinForm)).Methods(http.MethodGet)
	r.Handle("/signin", p.public(p.signin)).Methods(http.MethodPost)
	post("/signout", anyone, p.signout)
	r.PathPrefix("/static/").Handler(http.HandlerFunc(p.static)).Methods(http.MethodGet)

	get("/my", applicant, p.myDossiers)
	get("/dossiers/new", applicant, p.newDossierForm)
	post("/dossiers", applicant, p.createDossier)
	get("/dossiers/{id:[0-9]+}", anyone, p.dossier)
	post("/dossiers/{id:[0-9]+}/transitions", anyone, p.transition)
	get("/dossiers/{id:[0-9]+}/receipt", anyone, p.receipt)
	get("/dossiers/{id:[0-9]+}/diagram.svg", anyone, p.diagram)

	get("/queue", staff, p.queue)
	get("/dashboard", staff, p.dashboard)
	get("/form07", staff, p.form07)
	get("/form07.xlsx", staff, p.form07Workbook)

	get("/admin/users", admin, p.users)
	post("/admin/users", admin, p.addUser)
	post("/admin/users/{id:[0-9]+}/revoke", admin, p.revokeUser)

	// An unknown address is a page's 404 for a browser; the API's problem
	// document under /api/ and for clients that ask for JSON.
	problem404 := r.NotFoundHandler
	page404 := api.WithMiddleware(p.public(p.notFound))
	r.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if apiPath(r) {
			problem404.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Vary", "Accept")
		accept := strings.ToLower(strings.Join(r.Header.Values("Accept"), ","))
		if strings.Contains(accept, "json") && !strings.Contains(accept, "text/html") {
			problem404.ServeHTTP(w, r)
			return
		}
		page404.ServeHTTP(w, r)
	})
}

// apiPath: r is for the API, under /api/ (however many leading slashes).
func apiPath(r *http.Request) bool {
	path := strings.TrimLeft(r.URL.Path, "/")
	return path == "api" || strings.HasPrefix(path, "api/")
}

// notFound is the page of an unknown address.
func (p *Pages) notFound(w http.ResponseWriter, q *req) error {
	w.Header().Set("Vary", "Cookie, Accept-Language, Accept")
	p.renderError(w, q, http.StatusNotFound, translate(q.Lang, "err.404"))
	return nil
}

// req is one page request: who asks, in which language, with which CSRF
// token to put in forms.
type req struct {
	*http.Request
	Lang  string
	Actor engine.Actor
	// signedIn: Actor is a real user with a session.
	signedIn bool
	CSRF     string
	// secure: the request came over TLS, here or to a trusted proxy; the
	// cookies set are then Secure.
	secure bool
}

// newReq starts a page request: its language, and whether it came over TLS.
func (p *Pages) newReq(w http.ResponseWriter, r *http.Request) *req {
	secure := r.TLS != nil || (p.api != nil && p.api.OverTLS(r))
	return &req{Request: r, Lang: pickLang(w, r, secure), secure: secure}
}

type pageFunc func(w http.ResponseWriter, r *req) error

const (
	sessionCookie = "appraisal_session"
	// signinCSRFCookie carries the double-submitted token of the sign-in
	// form, before there is a session to tie a token to.
	signinCSRFCookie = "appraisal_signin"
	csrfField        = "csrf"
)

// csrfToken is the synchronizer token of a session: an HMAC of a fixed
// label keyed by the session's secret token, so it needs no storage, is
// different for every session and cannot be made without the cookie.
func csrfToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("appraisal csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// public serves a page that needs no session; a session, when there is
// one, is still read (the sign-in page sends a signed-in user home).
func (p *Pages) public(h pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := p.newReq(w, r)
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			if a, err := p.store.ActorBySessionHash(r.Context(), engine.HashToken(c.Value)); err == nil {
				q.Actor, q.signedIn, q.CSRF = a, true, csrfToken(c.Value)
			}
		}
		p.serve(w, q, h)
	})
}

// signedIn serves a page for a signed-in user of one of roles: without a
// session it sends the browser to the sign-in page; another role gets 403.
// Every POST must carry the session's CSRF token.
func (p *Pages) signedIn(roles []engine.Role, h pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := p.newReq(w, r)
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" || len(c.Value) > 128 {
			p.toSignin(w, q)
			return
		}
		a, err := p.store.ActorBySessionHash(r.Context(), engine.HashToken(c.Value))
		if err != nil {
			if engine.ErrorCode(err) == engine.EUNAUTHORIZED {
				clearCookie(w, q, sessionCookie, "/")
				p.toSignin(w, q)
				return
			}
			p.fail(w, q, err)
			return
		}
		q.Actor, q.signedIn, q.CSRF = a, true, csrfToken(c.Value)
		if r.Method == http.MethodPost && !sameToken(r.PostFormValue(csrfField), q.CSRF) {
			p.renderError(w, q, http.StatusForbidden, translate(q.Lang, "err.csrf"))
			return
		}
		if !slices.Contains(roles, a.Role) {
			p.renderError(w, q, http.StatusForbidden, translate(q.Lang, "err.403"))
			return
		}
		p.serve(w, q, h)
	})
}

// pagesCSP lets pages load their own style sheet, script and images and
// nothing else; no inline script or style.
const pagesCSP = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; " +
	"form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

func (p *Pages) serve(w http.ResponseWriter, q *req, h pageFunc) {
	w.Header().Set("Content-Security-Policy", pagesCSP)
	w.Header().Set("Vary", "Cookie, Accept-Language")
	if err := h(w, q); err != nil {
		p.fail(w, q, err)
	}
}

// toSignin sends the browser to the sign-in page, remembering where it
// was going (a GET only: a POST's form is gone anyway).
func (p *Pages) toSignin(w http.ResponseWriter, q *req) {
	target := "/signin"
	if q.Method == http.MethodGet && q.URL.Path != "/" {
		target += "?next=" + urlQueryEscape(q.URL.RequestURI())
	}
	http.Redirect(w, q.Request, target, http.StatusSeeOther)
}

// home sends each user to their first page.
func (p *Pages) home(w http.ResponseWriter, q *req) error {
	if !q.signedIn {
		http.Redirect(w, q.Request, "/signin", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, q.Request, homeOf(q.Actor.Role), http.StatusSeeOther)
	return nil
}

func homeOf(role engine.Role) string {
	if role == engine.RoleApplicant {
		return "/my"
	}
	return "/queue"
}

// safeNext accepts a local path to go to after signing in, and nothing
// that could leave the site ("//host", "/\host", "https:...").
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n\t") || len(next) > 1024 {
		return ""
	}
	return next
}

func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func clearCookie(w http.ResponseWriter, q *req, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true,
		Secure: q.secure, SameSite: http.SameSiteLaxMode})
}

// signinForm shows the sign-in form, with a fresh double-submit token.
func (p *Pages) signinForm(w http.ResponseWriter, q *req) error {
	if q.signedIn {
		http.Redirect(w, q.Request, homeOf(q.Actor.Role), http.StatusSeeOther)
		return nil
	}
	v := p.view(q, "signin.title")
	v.Data = signinData{Next: safeNext(q.URL.Query().Get("next")), Token: p.signinToken(w, q)}
	if q.URL.Query().Get("signed_out") == "1" {
		v.Notice = translate(q.Lang, "signin.signed_out")
	} else if v.Data.(signinData).Next != "" {
		v.Notice = translate(q.Lang, "signin.expired")
	}
	return p.render(w, q, http.StatusOK, "signin", v)
}

type signinData struct {
	Email, Next, Token string
	// Failed: the email or the password was wrong; the password field
	// gets the focus, the email being kept.
	Failed bool
}

func (p *Pages) signinToken(w http.ResponseWriter, q *req) string {
	token := newSecret()
	http.SetCookie(w, &http.Cookie{Name: signinCSRFCookie, Value: token, Path: "/signin", MaxAge: 3600,
		HttpOnly: true, Secure: q.secure, SameSite: http.SameSiteStrictMode})
	return token
}

// signin checks email and password. Failures count against the client's
// address in the API's limit on failed authentication.
func (p *Pages) signin(w http.ResponseWriter, q *req) error {
	c, err := q.Cookie(signinCSRFCookie)
	if err != nil || !sameToken(q.PostFormValue(csrfField), c.Value) {
		p.renderError(w, q, http.StatusForbidden, translate(q.Lang, "err.csrf"))
		return nil
	}
	email, password := q.PostFormValue("email"), q.PostFormValue("password")
	next := safeNext(q.PostFormValue("next"))
	again := func(status int, msg string) error {
		v := p.view(q, "signin.title")
		v.Error = msg
		v.Data = signinData{Email: email, Next: next, Token: p.signinToken(w, q), Failed: status == http.StatusUnauthorized}
		return p.render(w, q, status, "signin", v)
	}
	if wait := p.api.SignInWait(q.Request); wait > 0 {
		seconds := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", itoa(seconds))
		return again(http.StatusTooManyRequests, translate(q.Lang, "signin.throttled", seconds))
	}
	actor, hash, err := p.store.Credentials(q.Context(), email)
	if err != nil && engine.ErrorCode(err) != engine.EUNAUTHORIZED {
		return err
	}
	if !engine.CheckPasswordOrDummy(hash, password) || err != nil {
		p.api.SignInFailed(q.Request)
		p.log.InfoContext(q.Context(), "sign-in refused", "request_id", httpapi.RequestID(q.Context()))
		// 401 without WWW-Authenticate: no HTTP authentication scheme
		// applies to a form (Basic would make browsers open their own
		// dialog); the page itself is the challenge. See docs/web.md.
		return again(http.StatusUnauthorized, translate(q.Lang, "signin.failed"))
	}
	token := newSecret()
	expires, err := p.store.CreateSession(q.Context(), actor.ID, engine.HashToken(token), p.ttl)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: q.secure, SameSite: http.SameSiteLaxMode})
	clearCookie(w, q, signinCSRFCookie, "/signin")
	p.log.InfoContext(q.Context(), "signed in", "request_id", httpapi.RequestID(q.Context()), "user", actor.ID, "role", actor.Role)
	if next == "" {
		next = homeOf(actor.Role)
	}
	http.Redirect(w, q.Request, next, http.StatusSeeOther)
	return nil
}

func (p *Pages) signout(w http.ResponseWriter, q *req) error {
	if c, err := q.Cookie(sessionCookie); err == nil {
		if err := p.store.DeleteSession(q.Context(), engine.HashToken(c.Value)); err != nil {
			return err
		}
	}
	clearCookie(w, q, sessionCookie, "/")
	http.Redirect(w, q.Request, "/signin?signed_out=1", http.StatusSeeOther)
	return nil
}

// static serves the embedded style sheet and script.
func (p *Pages) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	data, err := staticFS.ReadFile(name)
	if err != nil || strings.Contains(name, "..") {
		http.NotFound(w, r)
		return
	}
	switch {
	case strings.HasSuffix(name, ".css"):
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case strings.HasSuffix(name, ".js"):
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(data)
}

// view is what every page template gets.
type view struct {
	Lang     string
	Title    string
	Actor    engine.Actor
	SignedIn bool
	CSRF     string
	// Path and Query rebuild the current address for the language links.
	Path   string
	Query  string
	Notice string
	Error  string
	Nav    []navItem
	Data   any
}

type navItem struct {
	Href, Label string
	Current     bool
}

// T translates key into the page's language.
func (v *view) T(key string, args ...any) string { return translate(v.Lang, key, args...) }

// LangURL is the current page in language l.
func (v *view) LangURL(l string) string {
	q := v.Query
	if q != "" {
		q += "&"
	}
	return v.Path + "?" + q + "lang=" + l
}

func (p *Pages) view(q *req, titleKey string, args ...any) *view {
	v := &view{Lang: q.Lang, Title: translate(q.Lang, titleKey, args...), Actor: q.Actor, SignedIn: q.signedIn,
		CSRF: q.CSRF, Path: q.URL.Path}
	vals := q.URL.Query()
	vals.Del("lang")
	v.Query = vals.Encode()
	if q.signedIn {
		add := func(href, key string) {
			v.Nav = append(v.Nav, navItem{Href: href, Label: translate(q.Lang, key), Current: q.URL.Path == href})
		}
		switch q.Actor.Role {
		case engine.RoleApplicant:
			add("/my", "nav.my")
			add("/dossiers/new", "nav.new")
		default:
			add("/queue", "nav.queue")
			add("/dashboard", "nav.dashboard")
			add("/form07", "nav.form07")
			if q.Actor.Role == engine.RoleAdmin {
				add("/admin/users", "nav.users")
			}
		}
	}
	return v
}

// render writes page name with v; the whole page is rendered before the
// first byte is sent, so a template failure is a clean error page.
func (p *Pages) render(w http.ResponseWriter, q *req, status int, name string, v *view) error {
	t, ok := p.pages[name]
	if !ok {
		return errors.New("no page template " + name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

func (p *Pages) renderError(w http.ResponseWriter, q *req, status int, msg string) {
	v := p.view(q, "err.title")
	v.Error = msg
	v.Data = status
	if err := p.render(w, q, status, "error", v); err != nil {
		p.log.ErrorContext(q.Context(), "rendering the error page", "request_id", httpapi.RequestID(q.Context()), "err", err)
		http.Error(w, msg, status)
	}
}

// fail answers err as an error page, with the API's status for its code.
// Anything unexpected is logged and answered 500 with the request id.
func (p *Pages) fail(w http.ResponseWriter, q *req, err error) {
	status := httpapi.StatusOf(err)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	var msg string
	switch status {
	case http.StatusForbidden:
		msg = translate(q.Lang, "err.403")
	case http.StatusNotFound:
		msg = translate(q.Lang, "err.404")
	case http.StatusRequestEntityTooLarge:
		msg = translate(q.Lang, "err.413")
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "1")
		msg = translate(q.Lang, "err.503")
	case http.StatusInternalServerError:
		p.log.ErrorContext(q.Context(), "page failed", "request_id", httpapi.RequestID(q.Context()),
			"err", err, "method", q.Method, "path", q.URL.Path)
		msg = translate(q.Lang, "err.500", httpapi.RequestID(q.Context()))
	default:
		msg = translate(q.Lang, "err.invalid")
	}
	p.renderError(w, q, status, msg)
}
