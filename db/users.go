package db

import (
	"context"
	"crypto/subtle"
	"strings"
	"time"

	"github.com/appraisal/appraisal/engine"
)

// CreateUser adds a user with the given token hash.
func (d *DB) CreateUser(ctx context.Context, name string, role engine.Role, tokenHash string) (engine.Actor, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return engine.Actor{}, engine.FieldErrorf("name", "a user needs a name")
	}
	if !role.Valid() {
		return engine.Actor{}, engine.FieldErrorf("role", "role %q is not one of applicant, reviewer, appraiser, admin", role)
	}
	var id int64
	err := d.QueryRowxContext(ctx, d.Rebind(
		`INSERT INTO users (name, role, token_hash, created_at) VALUES (?, ?, ?, ?) RETURNING id`),
		name, role, tokenHash, d.timeArg(d.now())).Scan(&id)
	if err != nil {
		return engine.Actor{}, mapError(err)
	}
	return engine.Actor{ID: id, Name: name, Role: role}, nil
}

// ActorByTokenHash returns the user holding a token, or EUNAUTHORIZED.
func (d *DB) ActorByTokenHash(ctx context.Context, hash string) (engine.Actor, error) {
	var a engine.Actor
	var stored string
	st, err := d.prepared(ctx, d.Rebind(`SELECT id, name, role, token_hash FROM users WHERE token_hash = ? AND revoked_at IS NULL`))
	if err != nil {
		return engine.Actor{}, err
	}
	err = st.QueryRowxContext(ctx, hash).Scan(&a.ID, &a.Name, &a.Role, &stored)
	if err != nil {
		if engine.ErrorCode(mapError(err)) == engine.ENOTFOUND {
			return engine.Actor{}, engine.Errorf(engine.EUNAUTHORIZED, "unknown or revoked token")
		}
		return engine.Actor{}, mapError(err)
	}
	if !sameTokenHash(stored, hash) {
		return engine.Actor{}, engine.Errorf(engine.EUNAUTHORIZED, "unknown or revoked token")
	}
	return a, nil
}

// sameTokenHash is the final word on a token. The index lookup compares
// hashes of secrets, which leaks nothing useful, but it compares with the
// column's collation and stops at the first differing byte; accepting a
// token rests instead on an exact, constant-time comparison in Go, so it
// holds whatever the database, its collation or a future index does.
func sameTokenHash(stored, computed string) bool {
	return subtle.ConstantTimeCompare([]byte(stored), []byte(computed)) == 1
}

// User is an account as an administrator sees it: never its token or the
// token's hash.
type User struct {
	ID      int64
	Name    string
	Role    engine.Role
	Created time.Time
	// Revoked is when the token was revoked; zero while it is valid.
	Revoked time.Time
}

type userRow struct {
	ID      int64     `db:"id"`
	Name    string    `db:"name"`
	Role    string    `db:"role"`
	Created timestamp `db:"created_at"`
	Revoked timestamp `db:"revoked_at"`
}

func (r userRow) user() User {
	return User{ID: r.ID, Name: r.Name, Role: engine.Role(r.Role), Created: r.Created.Time, Revoked: r.Revoked.Time}
}

// userColumns never include token_hash: what lists users cannot leak it.
const userColumns = `id, name, role, created_at, revoked_at`

// Users lists every user, revoked ones too, by id.
func (d *DB) Users(ctx context.Context) ([]User, error) {
	var rows []userRow
	if err := d.SelectContext(ctx, &rows, `SELECT `+userColumns+` FROM users ORDER BY id`); err != nil {
		return nil, err
	}
	users := make([]User, len(rows))
	for i, r := range rows {
		users[i] = r.user()
	}
	return users, nil
}

// RevokeUser revokes user id's token at once: the next request with it is
// refused. An unknown id is ENOTFOUND; a user revoked already is ECONFLICT,
// and keeps the first revocation's time.
func (d *DB) RevokeUser(ctx context.Context, id int64) (User, error) {
	var r userRow
	err := d.GetContext(ctx, &r, d.Rebind(`UPDATE users SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL
		RETURNING `+userColumns), d.timeArg(d.now()), id)
	if err == nil {
		return r.user(), nil
	}
	if engine.ErrorCode(mapError(err)) != engine.ENOTFOUND {
		return User{}, err
	}
	// Nothing updated: say whether the user is unknown or revoked already.
	if err := d.GetContext(ctx, &r, d.Rebind(`SELECT `+userColumns+` FROM users WHERE id = ?`), id); err != nil {
		if engine.ErrorCode(mapError(err)) == engine.ENOTFOUND {
			return User{}, engine.Errorf(engine.ENOTFOUND, "no user %d", id)
		}
		return User{}, err
	}
	return User{}, engine.Errorf(engine.ECONFLICT, "user %d (%q) was revoked already, at %s",
		id, r.Name, r.Revoked.Time.UTC().Format(time.RFC3339))
}
