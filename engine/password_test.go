package engine_test

import (
	"strings"
	"testing"

	"github.com/appraisal/appraisal/engine"
)

func TestPasswordHash(t *testing.T) {
	const pw = "mật khẩu đủ dài"
	h, err := engine.HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || strings.Contains(h, pw) {
		t.Errorf("hash %q: want an argon2id PHC string without the password", h)
	}
	if !engine.CheckPassword(h, pw) {
		t.Error("CheckPassword(hash, password) = false")
	}
	h2, _ := engine.HashPassword(pw)
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, bad := range []string{"", "mật khẩu đủ dàI", pw + " "} {
		if engine.CheckPassword(h, bad) {
			t.Errorf("CheckPassword accepted %q", bad)
		}
	}
	for _, malformed := range []string{"", "$argon2id$", "$argon2i$v=19$m=19456,t=2,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=99999999,t=2,p=1$AAAA$AAAA", strings.Replace(h, "t=2", "t=0", 1)} {
		if engine.CheckPassword(malformed, pw) {
			t.Errorf("CheckPassword(%q) = true", malformed)
		}
	}
	if engine.CheckPasswordOrDummy("", pw) {
		t.Error("CheckPasswordOrDummy without a hash = true")
	}
	for _, short := range []string{"", "ngắn", strings.Repeat("x", 257)} {
		if _, err := engine.HashPassword(short); engine.ErrorCode(err) != engine.EINVALID {
			t.Errorf("HashPassword(%d chars) = %v, want EINVALID", len(short), err)
		}
	}
}
