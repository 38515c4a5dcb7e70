package httpapi

import (
	"context"
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
		token, client, ok := s.bearer(w, r)
		if !ok {
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

// authenticateInStore is authenticate for the transition, whose store
// call looks the token up in the same round trip as the appraisal (the hot
// path: one round trip fewer). It makes the checks that need no database
// and leaves the token's hash to the handler (see pendingOf).
func (s *Server) authenticateInStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, client, ok := s.bearer(w, r)
		if !ok {
			return
		}
		p := pendingToken{hash: engine.HashToken(token), client: client}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), pendingKey, p)))
	})
}

// pendingToken is a bearer token not looked up yet, and who sent it.
type pendingToken struct {
	hash   string
	client netip.Addr
}

func pendingOf(r *http.Request) (pendingToken, bool) {
	p, ok := r.Context().Value(pendingKey).(pendingToken)
	return p, ok
}

// checkPending looks a pending token up, for an answer given before the
// store is asked: a bad token is a 401 before any other error.
func (s *Server) checkPending(r *http.Request) error {
	p, ok := pendingOf(r)
	if !ok {
		return nil
	}
	_, err := s.store.ActorByTokenHash(r.Context(), p.hash)
	s.countIfUnauthorized(r, err)
	return err
}

// countIfUnauthorized counts err against the sender of a pending token
// when it says the token is unknown or revoked.
func (s *Server) countIfUnauthorized(r *http.Request, err error) {
	if p, ok := pendingOf(r); ok && engine.ErrorCode(err) == engine.EUNAUTHORIZED {
		s.authFailed(r, p.client)
	}
}

// bearer makes the checks of a bearer token that need no database: one is
// sent, its client is not being slowed, it is well formed. Otherwise it
// answers and returns false.
func (s *Server) bearer(w http.ResponseWriter, r *http.Request) (string, netip.Addr, bool) {
	if r.Header.Get("Authorization") == "" {
		// No credentials, nothing guessed: not counted, never slowed.
		s.writeError(w, r, engine.Errorf(engine.EUNAUTHORIZED, "send Authorization: Bearer <token>"))
		return "", netip.Addr{}, false
	}
	client := limitKey(s.clients.client(r))
	if wait := s.authFailures.retryAfter(client); wait > 0 {
		seconds := int((wait + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(seconds))
		s.writeError(w, r, &httpError{http.StatusTooManyRequests, fmt.Sprintf(
			"too many failed authentications from your address; retry in %d seconds", seconds)})
		return "", client, false
	}
	token, ok := bearerToken(r)
	if !ok {
		s.authFailed(r, client)
		s.writeError(w, r, engine.Errorf(engine.EUNAUTHORIZED, "send Authorization: Bearer <token>"))
		return "", client, false
	}
	return token, client, true
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
