package httpapi

import (
	"net/http"
	"strings"

	"github.com/appraisal/appraisal/engine"
)

// authenticate resolves the bearer token to an actor. Only the token's
// SHA-256 is looked up, so what the database compares is never the secret.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token, ok := bearerToken(r)
		if !ok {
			s.writeError(w, r, engine.Errorf(engine.EUNAUTHORIZED, "send Authorization: Bearer <token>"))
			return
		}
		actor, err := s.store.ActorByTokenHash(r.Context(), engine.HashToken(token))
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(withActor(r.Context(), actor)))
	})
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
