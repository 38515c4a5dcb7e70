package db

import (
	"context"
	"strings"

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
	err := d.QueryRowxContext(ctx, d.Rebind(
		`SELECT id, name, role FROM users WHERE token_hash = ? AND revoked_at IS NULL`), hash).
		Scan(&a.ID, &a.Name, &a.Role)
	if err != nil {
		if engine.ErrorCode(mapError(err)) == engine.ENOTFOUND {
			return a, engine.Errorf(engine.EUNAUTHORIZED, "unknown or revoked token")
		}
		return a, err
	}
	return a, nil
}
