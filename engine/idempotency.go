package engine

import "time"

// IdempotencyKeyTTL is how long an idempotency key is remembered. Within it
// a retry of a submission gets the appraisal the first one made; after it
// the key counts as new. A day outlasts any client's retries.
const IdempotencyKeyTTL = 24 * time.Hour

// MaxIdempotencyKeyLen bounds a key, in characters (ASCII, so bytes too).
const MaxIdempotencyKeyLen = 255

// IdempotencyKeyField names the key in errors: it comes in the
// Idempotency-Key header.
const IdempotencyKeyField = "Idempotency-Key"

// IdempotencyKey makes a submission safe to retry: the same key from the
// same user with the same request creates one appraisal only.
type IdempotencyKey struct {
	// Key is the client's: printable ASCII, 1 to MaxIdempotencyKeyLen
	// characters, unique per user.
	Key string
	// RequestHash fingerprints the request (a hex SHA-256 of its canonical
	// form), so a retry is told from another request under the same key.
	RequestHash string
}

// Check returns an EINVALID *Error naming IdempotencyKeyField when the key
// is empty, too long or not printable ASCII, or the hash is missing.
func (k IdempotencyKey) Check() error {
	if len(k.Key) == 0 || len(k.Key) > MaxIdempotencyKeyLen {
		return FieldErrorf(IdempotencyKeyField, "Idempotency-Key must be 1 to %d characters, not %d", MaxIdempotencyKeyLen, len(k.Key))
	}
	for i := 0; i < len(k.Key); i++ {
		if c := k.Key[i]; c < 0x20 || c > 0x7e {
			return FieldErrorf(IdempotencyKeyField, "Idempotency-Key must be printable ASCII; byte %d is 0x%02x", i+1, c)
		}
	}
	if k.RequestHash == "" {
		return FieldErrorf(IdempotencyKeyField, "Idempotency-Key comes without a request hash")
	}
	return nil
}
