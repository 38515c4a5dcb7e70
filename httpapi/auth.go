package httpapi

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/appraisal/appraisal/engine"
)

// authenticate resolves the bearer token to an actor. Only the token's
// SHA-256 is looked up, so what the database compares is never the secret.
// A client address that keeps failing is answered 429 for a while, without
// a lookup (see authFailures).
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "" {
			// No credentials, nothing guessed: not counted, never slowed.
			s.writeError(w, r, engine.Errorf(engine.EUNAUTHORIZED, "send Authorization: Bearer <token>"))
			return
		}
		client := limitKey(s.clients.client(r))
		if wait := s.authFailures.retryAfter(client); wait > 0 {
			seconds := int((wait + time.Second - 1) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(seconds))
			s.writeError(w, r, &httpError{http.StatusTooManyRequests, fmt.Sprintf(
				"too many failed authentications from your address; retry in %d seconds", seconds)})
			return
		}
		token, ok := bearerToken(r)
		if !ok {
			s.authFailed(r, client)
			s.writeError(w, r, engine.Errorf(engine.EUNAUTHORIZED, "send Authorization: Bearer <token>"))
			return
		}
		actor, err := s.store.ActorByTokenHash(r.Context(), engine.HashToken(token))
		if err != nil {
			if engine.ErrorCode(err) == engine.EUNAUTHORIZED {
				s.authFailed(r, client)
			}
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withActor(r.Context(), actor)))
	})
}

// authFailed counts a failed authentication, and logs once when the client
// reaches the limit.
func (s *Server) authFailed(r *http.Request, client netip.Addr) {
	if s.authFailures.fail(client) {
		s.log.WarnContext(r.Context(), "repeated failed authentication: slowing the client",
			append(logAttrs(r), "client", client.String(), "failures", AuthFailureLimit, "window", AuthFailureWindow)...)
	}
}

func bearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != "" && len(token) <= 256
}
