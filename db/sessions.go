package db

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/appraisal/appraisal/engine"
)

// MaxEmailLen bounds an email address, in bytes (RFC 5321's path limit).
const MaxEmailLen = 254

// NormalizeEmail trims and lower-cases an email address, and returns an
// EINVALID *Error naming "email" when it does not look like one.
func NormalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || len(email) > MaxEmailLen ||
		!utf8.ValidString(email) || strings.IndexFunc(email, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return "", engine.FieldErrorf("email", "email %q is not an address such as name@example.vn", email)
	}
	return email, nil
}

// CreateUserWithPassword adds a user who can also sign in to the web pages
// with email and a password, given as its engine.HashPassword hash. A
// taken email is ECONFLICT naming "email"; nothing is written then.
func (d *DB) CreateUserWithPassword(ctx context.Context, name string, role engine.Role, tokenHash, email, passwordHash string) (engine.Actor, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return engine.Actor{}, engine.FieldErrorf("name", "a user needs a name")
	}
	if !role.Valid() {
		return engine.Actor{}, engine.FieldErrorf("role", "role %q is not one of applicant, reviewer, appraiser, admin", role)
	}
	email, err := NormalizeEmail(email)
	if err != nil {
		return engine.Actor{}, err
	}
	if passwordHash == "" {
		return engine.Actor{}, engine.FieldErrorf("password", "a password is required")
	}
	var id int64
	err = d.QueryRowxContext(ctx, d.Rebind(`INSERT INTO users (name, role, token_hash, created_at, email, password_hash)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
		name, role, tokenHash, d.timeArg(d.now()), email, passwordHash).Scan(&id)
	if err != nil {
		err = mapError(err)
		if engine.ErrorCode(err) == engine.ECONFLICT {
			return engine.Actor{}, &engine.Error{Code: engine.ECONFLICT, Field: "email",
				Message: "a user with email " + email + " exists already"}
		}
		return engine.Actor{}, err
	}
	return engine.Actor{ID: id, Name: name, Role: role}, nil
}

// Credentials returns the user who signs in with email and the hash of
// their password. An unknown email, a user without a password and a
// revoked user are all EUNAUTHORIZED, alike.
func (d *DB) Credentials(ctx context.Context, email string) (engine.Actor, string, error) {
	refused := engine.Errorf(engine.EUNAUTHORIZED, "unknown email or wrong password")
	email, err := NormalizeEmail(email)
	if err != nil {
		return engine.Actor{}, "", refused
	}
	var a engine.Actor
	var hash *string
	err = d.QueryRowxContext(ctx, d.Rebind(`SELECT id, name, role, password_hash FROM users
		WHERE email = ? AND revoked_at IS NULL`), email).Scan(&a.ID, &a.Name, &a.Role, &hash)
	if err != nil {
		if err = mapError(err); engine.ErrorCode(err) == engine.ENOTFOUND {
			return engine.Actor{}, "", refused
		}
		return engine.Actor{}, "", err
	}
	if hash == nil || *hash == "" {
		return engine.Actor{}, "", refused
	}
	return a, *hash, nil
}

// CreateSession records a session of user userID, known by the SHA-256 of
// its token (engine.HashToken), valid for ttl from now. It returns when
// the session expires.
func (d *DB) CreateSession(ctx context.Context, userID int64, tokenHash string, ttl time.Duration) (time.Time, error) {
	now := d.now()
	expires := now.Add(ttl)
	_, err := d.ExecContext(ctx, d.Rebind(`INSERT INTO sessions (token_hash, user_id, created_at, expires_at)
		VALUES (?, ?, ?, ?)`), tokenHash, userID, d.timeArg(now), d.timeArg(expires))
	return expires, mapError(err)
}

// ActorBySessionHash returns the user of a live session. An unknown or
// expired session, and a session of a revoked user, are EUNAUTHORIZED.
func (d *DB) ActorBySessionHash(ctx context.Context, tokenHash string) (engine.Actor, error) {
	var a engine.Actor
	var stored string
	st, err := d.prepared(ctx, d.Rebind(`SELECT u.id, u.name, u.role, s.token_hash FROM sessions s
		JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires_at > ? AND u.revoked_at IS NULL`))
	if err != nil {
		return engine.Actor{}, err
	}
	err = st.QueryRowxContext(ctx, tokenHash, d.timeArg(d.now())).Scan(&a.ID, &a.Name, &a.Role, &stored)
	if err != nil {
		if err = mapError(err); engine.ErrorCode(err) == engine.ENOTFOUND {
			return engine.Actor{}, engine.Errorf(engine.EUNAUTHORIZED, "no such session, or it has expired")
		}
		return engine.Actor{}, err
	}
	if !sameTokenHash(stored, tokenHash) {
		return engine.Actor{}, engine.Errorf(engine.EUNAUTHORIZED, "no such session, or it has expired")
	}
	return a, nil
}

// DeleteSession ends a session (sign-out). Ending one that does not exist
// is not an error.
func (d *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := d.ExecContext(ctx, d.Rebind(`DELETE FROM sessions WHERE token_hash = ?`), tokenHash)
	return mapError(err)
}

// DeleteExpiredSessions deletes the sessions past their expiry and returns
// how many.
func (d *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := d.ExecContext(ctx, d.Rebind(`DELETE FROM sessions WHERE expires_at <= ?`), d.timeArg(d.now()))
	if err != nil {
		return 0, mapError(err)
	}
	return res.RowsAffected()
}

// Accounts lists every user, revoked ones too, by id.
func (d *DB) Accounts(ctx context.Context) ([]engine.Account, error) {
	var rows []struct {
		userRow
		Email       *string `db:"email"`
		HasPassword bool    `db:"has_password"`
	}
	err := d.SelectContext(ctx, &rows, `SELECT `+userColumns+`, email,
		CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END = 1 AS has_password FROM users ORDER BY id`)
	if err != nil {
		return nil, mapError(err)
	}
	out := make([]engine.Account, len(rows))
	for i, r := range rows {
		u := r.user()
		out[i] = engine.Account{ID: u.ID, Name: u.Name, Role: u.Role, Email: deref(r.Email),
			HasPassword: r.HasPassword, Created: u.Created, Revoked: u.Revoked}
	}
	return out, nil
}

// RevokeAccount is RevokeUser for the administration page: the user's
// token, sessions and sign-in stop at once.
func (d *DB) RevokeAccount(ctx context.Context, id int64) error {
	_, err := d.RevokeUser(ctx, id)
	return err
}
