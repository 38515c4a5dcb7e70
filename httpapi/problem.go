package httpapi

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/appraisal/appraisal/engine"
)

// problem is an RFC 9457 problem document.
type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id,omitempty"`
	// Field names the offending input, where there is one.
	Field string `json:"field,omitempty"`
	// PermittedTriggers: what the caller may fire instead, on a 409 only.
	// An interface, so an empty list is still sent while nil is left out.
	PermittedTriggers any `json:"permitted_triggers,omitempty"`
}

// statusOf is the one table from a domain error code to an HTTP status.
var statusOf = map[engine.Code]int{
	engine.EINVALID:        http.StatusUnprocessableEntity,
	engine.EUNKNOWNTRIGGER: http.StatusUnprocessableEntity,
	engine.ECONFLICT:       http.StatusConflict,
	engine.EFORBIDDEN:      http.StatusForbidden,
	engine.ENOTFOUND:       http.StatusNotFound,
	engine.EPRECONDITION:   http.StatusPreconditionFailed,
	engine.EUNAUTHORIZED:   http.StatusUnauthorized,
	engine.EUNAVAILABLE:    http.StatusServiceUnavailable,
	engine.EINTERNAL:       http.StatusInternalServerError,
}

// retryAfter is the Retry-After of a 503, in seconds: the pool reconnects
// on the next request once the database is back, so a second is enough.
const retryAfter = "1"

// httpError is a failure of the HTTP exchange itself (malformed JSON, a
// body too large), before the domain sees the request.
type httpError struct {
	status int
	detail string
}

func (e *httpError) Error() string { return e.detail }

func badRequest(detail string) error { return &httpError{http.StatusBadRequest, detail} }

// writeError answers err as a problem document. Domain errors carry their
// message; anything else is a 500 whose cause is logged, never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	p := problem{RequestID: requestID(r.Context())}
	var de *engine.Error
	var he *httpError
	switch {
	case errors.As(err, &he):
		p.Status, p.Detail = he.status, he.detail
	case errors.As(err, &de) && de.Code != engine.EINTERNAL:
		p.Status, p.Detail, p.Field = statusOf[de.Code], de.Message, de.Field
		if de.Code == engine.ECONFLICT {
			p.PermittedTriggers = append([]string{}, de.Permitted...)
		}
		if de.Code == engine.EUNAVAILABLE {
			// The outcome of a write cut off at its commit is unknown: the
			// client re-reads, and If-Match makes its retry safe.
			w.Header().Set("Retry-After", retryAfter)
			s.log.WarnContext(r.Context(), "database unavailable", append(logAttrs(r), "err", err, "method", r.Method, "path", r.URL.Path)...)
		}
	default:
		p.Status, p.Detail = http.StatusInternalServerError, "internal error; quote the request id when reporting it"
		s.log.ErrorContext(r.Context(), "request failed", append(logAttrs(r), "err", err, "method", r.Method, "path", r.URL.Path)...)
	}
	p.Title = http.StatusText(p.Status)
	p.Type = "urn:appraisal:problem:" + slug(p.Status)
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="appraisal"`)
	}
	writeJSON(w, p.Status, "application/problem+json", p)
}

// slug names a problem type by its status, e.g. "unprocessable-entity".
func slug(status int) string {
	b := []byte(http.StatusText(status))
	out := b[:0]
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			out = append(out, c)
		case c == ' ' || c == '-':
			out = append(out, '-')
		}
	}
	return string(out)
}

// logAttrs is the request's logger attributes.
func logAttrs(r *http.Request) []any {
	return []any{slog.String("request_id", requestID(r.Context()))}
}
