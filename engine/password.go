package engine

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password hashing: argon2id (RFC 9106) at OWASP's recommended minimum,
// 19 MiB and 2 passes on one lane: about 30 ms a sign-in on one core.
// The parameters are stored with each hash, so raising them later keeps
// old hashes readable.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16

	// MinPasswordLen and MaxPasswordLen bound a password, in characters.
	MinPasswordLen = 10
	MaxPasswordLen = 256
)

// CheckPasswordPolicy returns an EINVALID *Error naming "password" when pw
// is too short, too long or not valid UTF-8.
func CheckPasswordPolicy(pw string) error {
	n := utf8.RuneCountInString(pw)
	switch {
	case !utf8.ValidString(pw):
		return FieldErrorf("password", "password is not valid UTF-8")
	case n < MinPasswordLen:
		return FieldErrorf("password", "password is %d characters long; at least %d", n, MinPasswordLen)
	case n > MaxPasswordLen:
		return FieldErrorf("password", "password is %d characters long; at most %d", n, MaxPasswordLen)
	}
	return nil
}

// HashPassword returns pw's argon2id hash in the PHC string format
// ($argon2id$v=19$m=...,t=...,p=...$salt$hash), with a fresh random salt.
func HashPassword(pw string) (string, error) {
	if err := CheckPasswordPolicy(pw); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	rand.Read(salt) // never fails (crypto/rand, Go 1.24+)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether pw matches encoded, a HashPassword result.
// The final comparison is constant-time; a malformed hash never matches.
func CheckPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || len(pw) > 4*MaxPasswordLen {
		return false
	}
	var version int
	var memory, time uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &memory, &time, &threads); err != nil ||
		memory == 0 || memory > 1<<20 || time == 0 || time > 16 || threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, time, memory, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyPasswordHash is checked against when no user has the given email,
// so an unknown email takes as long to refuse as a wrong password.
var dummyPasswordHash, _ = HashPassword("not-a-password-of-anyone")

// CheckPasswordOrDummy is CheckPassword, spending the same time on a
// missing hash ("") as on a real one, and then refusing.
func CheckPasswordOrDummy(encoded, pw string) bool {
	if encoded == "" {
		CheckPassword(dummyPasswordHash, pw)
		return false
	}
	return CheckPassword(encoded, pw)
}
