package httpapi

import (
	"fmt"
	"io"
	"net/http"

	"github.com/gorilla/mux"
)

// Every route has a body limit. GET routes take no body: one that comes
// anyway is refused with 413, as a body over a limit of 0 bytes, rather
// than read or silently ignored.
const (
	// maxTransitionBody fits a transition with the longest comment
	// (engine.MaxCommentLen, 4000 characters) even from a client that
	// escapes every character as \uXXXX (6 bytes each), as Python's json
	// does by default; 16 KiB would refuse such a comment past 2,700.
	maxTransitionBody = 32 << 10
)

// postBodyLimits are the POST routes' limits by route template; any other
// POST route takes maxBody.
var postBodyLimits = map[string]int64{
	"/api/v1/appraisals/{id:[0-9]+}/transitions": maxTransitionBody,
}

// bodyLimit is the largest body r's route accepts.
func bodyLimit(r *http.Request) int64 {
	if r.Method == http.MethodGet {
		return 0
	}
	if route := mux.CurrentRoute(r); route != nil {
		if tpl, err := route.GetPathTemplate(); err == nil {
			if limit, ok := postBodyLimits[tpl]; ok {
				return limit
			}
		}
	}
	return maxBody
}

// limitBodies bounds each body by its route's limit. A body on a route
// that takes none is refused before anything else looks at the request; a
// POST body fails when decode reads past the limit, so a POST is still
// checked in its documented order (401, 415, then 413).
func (s *Server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := bodyLimit(r)
		if limit == 0 && (r.ContentLength > 0 || r.ContentLength < 0 && !emptyBody(r)) {
			s.writeError(w, r, &httpError{http.StatusRequestEntityTooLarge,
				fmt.Sprintf("%s %s takes no body; send none", r.Method, r.URL.Path)})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// emptyBody reads a body of unknown length (chunked) far enough to tell
// whether it has anything in it.
func emptyBody(r *http.Request) bool {
	var one [1]byte
	_, err := io.ReadFull(r.Body, one[:])
	return err == io.EOF
}
