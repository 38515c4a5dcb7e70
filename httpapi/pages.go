package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/appraisal/appraisal/engine"
)

// Pages are the web pages (package httpapi/web). Routes adds them to the
// API's router, so they get the same middleware: request ids, panic
// recovery, metrics by route template, security headers, body limits.
type Pages interface {
	Routes(r *mux.Router, s *Server)
}

// SignInWait returns how long r's client must wait before its credentials
// are looked at again: the API's limit on failed authentication, shared by
// the sign-in form. 0 when they are looked at now.
func (s *Server) SignInWait(r *http.Request) time.Duration {
	return s.authFailures.retryAfter(limitKey(s.clients.client(r)))
}

// SignInFailed counts a failed sign-in against r's client.
func (s *Server) SignInFailed(r *http.Request) { s.authFailed(r, limitKey(s.clients.client(r))) }

// WithMiddleware gives h the middleware of every route (request ids,
// panic recovery, metrics, security headers), for a handler mounted where
// mux runs none, such as the router's NotFoundHandler.
func (s *Server) WithMiddleware(h http.Handler) http.Handler { return s.withMiddleware(h) }

// OverTLS reports whether r reached the service over TLS: this binary
// served TLS itself, or the TCP peer is a trusted proxy (--trusted-proxies)
// whose X-Forwarded-Proto is https. Each proxy appends the scheme it was
// reached by, so the last value is the one the nearest proxy wrote. The
// header from any other peer is ignored: a client cannot claim TLS.
func (s *Server) OverTLS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	if !s.clients.isTrusted(parseClientAddr(r.RemoteAddr)) {
		return false
	}
	protos := strings.Split(strings.Join(r.Header.Values("X-Forwarded-Proto"), ","), ",")
	return strings.EqualFold(strings.TrimSpace(protos[len(protos)-1]), "https")
}

// RenderSVG renders a Graphviz DOT graph as SVG, with the API's renderer.
func (s *Server) RenderSVG(ctx context.Context, dot string) ([]byte, error) {
	return s.graphs.svg(ctx, dot)
}

// RequestID returns the id the request with ctx is logged under.
func RequestID(ctx context.Context) string { return requestID(ctx) }

// WriteForm07Workbook answers f as the Excel workbook of the statistics
// form, the one GET /api/v1/reports/form07 sends for Accept: xlsx.
func WriteForm07Workbook(w http.ResponseWriter, f *engine.Form07) error {
	return writeForm07Workbook(w, newForm07JSON(f))
}

// Form07Headings returns the statistics form's Vietnamese headings of
// each ownership and VSIC section, as the printed form has them.
func Form07Headings() (ownerships, sections map[string]string) {
	return ownershipHeadings, sectionHeadings
}

// StatusOf is the HTTP status the API answers err with.
func StatusOf(err error) int {
	var he *httpError
	var de *engine.Error
	switch {
	case errors.As(err, &he):
		return he.status
	case errors.As(err, &de):
		if s, ok := statusOf[de.Code]; ok {
			return s
		}
	}
	return http.StatusInternalServerError
}
