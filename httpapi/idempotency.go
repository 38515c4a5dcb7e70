package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/appraisal/appraisal/engine"
)

// The headers of an idempotent submission (draft-ietf-httpapi-idempotency-key-header).
const (
	idempotencyKeyHeader     = "Idempotency-Key"
	idempotentReplayedHeader = "Idempotent-Replayed"
)

// idempotencyKey reads the Idempotency-Key of a submission whose body
// decoded to req, and reports whether there was one. A malformed key is a
// 400, as the header could not be read.
func idempotencyKey(r *http.Request, req *createRequest) (engine.IdempotencyKey, bool, error) {
	values := r.Header.Values(idempotencyKeyHeader)
	switch len(values) {
	case 0:
		return engine.IdempotencyKey{}, false, nil
	case 1:
	default:
		return engine.IdempotencyKey{}, false, badRequest(fmt.Sprintf("Idempotency-Key given %d times; give it once", len(values)))
	}
	key := engine.IdempotencyKey{Key: values[0], RequestHash: canonicalHash(req)}
	if err := key.Check(); err != nil {
		return engine.IdempotencyKey{}, false, badRequest(err.Error())
	}
	return key, true, nil
}

// canonicalHash is the hex SHA-256 of req re-encoded: fields in one order,
// no insignificant whitespace, an absent field as null. So a retry matches
// however its JSON was laid out, while any changed value does not.
func canonicalHash(req *createRequest) string {
	canonical, err := json.Marshal(req)
	if err != nil {
		panic(err) // strings and an integer always marshal
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}
