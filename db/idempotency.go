package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/appraisal/appraisal/engine"
)

// CreateAppraisalOnce is CreateAppraisal made safe to retry. The first call
// with key creates the appraisal and stores key in the same transaction. A
// later call by the same actor with the same key and request hash, within
// engine.IdempotencyKeyTTL, creates nothing and returns that appraisal as it
// is now, with replayed true; concurrent calls wait for the first to commit.
// Past the TTL the key is new. Errors: CreateAppraisal's, and EINVALID
// naming engine.IdempotencyKeyField for a malformed key or one already used
// for another request.
func (d *DB) CreateAppraisalOnce(ctx context.Context, def *engine.Definition, cal *engine.Calendar, unit string, actor engine.Actor,
	dossier engine.Dossier, key engine.IdempotencyKey) (a *engine.Appraisal, replayed bool, err error) {
	if err := key.Check(); err != nil {
		return nil, false, err
	}
	return d.createAppraisal(ctx, def, cal, unit, actor, dossier, &key)
}

// claimIdempotencyKey stores key for userID with no appraisal yet, taking
// over an expired row, and reports whether it did; false means the user
// holds the key unexpired. Claiming before the appraisal is inserted makes
// a concurrent retry on PostgreSQL wait on the key's unique index until this
// transaction ends, then find the key taken (or free, after a rollback).
func (d *DB) claimIdempotencyKey(ctx context.Context, tx *sqlx.Tx, userID int64, key *engine.IdempotencyKey, now time.Time) (bool, error) {
	var one int
	err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO idempotency_keys
		(user_id, idempotency_key, request_hash, appraisal_id, created_at) VALUES (?, ?, ?, NULL, ?)
		ON CONFLICT (user_id, idempotency_key) DO UPDATE SET request_hash = excluded.request_hash,
			appraisal_id = NULL, created_at = excluded.created_at
		WHERE idempotency_keys.created_at <= ?
		RETURNING 1`),
		userID, key.Key, key.RequestHash, d.timeArg(now), d.timeArg(now.Add(-engine.IdempotencyKeyTTL))).Scan(&one)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, sql.ErrNoRows): // the row is there, unexpired, and left alone
		return false, nil
	}
	return false, fmt.Errorf("claiming an idempotency key: %w", err)
}

// replayIdempotencyKey returns the appraisal made under the user's live key,
// as it is now, or EINVALID when the key was used for another request.
func (d *DB) replayIdempotencyKey(ctx context.Context, tx *sqlx.Tx, userID int64, key *engine.IdempotencyKey) (*engine.Appraisal, error) {
	var stored struct {
		RequestHash string `db:"request_hash"`
		AppraisalID *int64 `db:"appraisal_id"`
	}
	err := tx.GetContext(ctx, &stored, tx.Rebind(`SELECT request_hash, appraisal_id FROM idempotency_keys
		WHERE user_id = ? AND idempotency_key = ?`), userID, key.Key)
	if err != nil {
		return nil, fmt.Errorf("reading an idempotency key: %w", err)
	}
	if stored.RequestHash != key.RequestHash {
		return nil, engine.FieldErrorf(engine.IdempotencyKeyField,
			"this Idempotency-Key was used for another request (a different body) within the last %d hours; send a new key with a new request",
			int(engine.IdempotencyKeyTTL/time.Hour))
	}
	if stored.AppraisalID == nil {
		// Committed keys always have their appraisal: this is a bug or a hand edit.
		return nil, fmt.Errorf("idempotency key of user %d has no appraisal", userID)
	}
	var r appraisalRow
	err = tx.GetContext(ctx, &r, tx.Rebind(`SELECT `+appraisalColumns+appraisalFrom+` WHERE a.id = ?`), *stored.AppraisalID)
	if err != nil {
		return nil, fmt.Errorf("reading appraisal %d of an idempotency key: %w", *stored.AppraisalID, err)
	}
	return r.appraisal(), nil
}

// bindIdempotencyKey records the appraisal made under a claimed key.
func (d *DB) bindIdempotencyKey(ctx context.Context, tx *sqlx.Tx, userID int64, key *engine.IdempotencyKey, appraisalID int64) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE idempotency_keys SET appraisal_id = ?
		WHERE user_id = ? AND idempotency_key = ?`), appraisalID, userID, key.Key)
	if err != nil {
		return fmt.Errorf("binding an idempotency key to appraisal %d: %w", appraisalID, err)
	}
	return nil
}

// DeleteExpiredIdempotencyKeys deletes the keys older than
// engine.IdempotencyKeyTTL and returns how many it deleted. An expired key
// already counts as new; this only keeps the table small, so call it now
// and then (serve does, every few seconds).
func (d *DB) DeleteExpiredIdempotencyKeys(ctx context.Context) (int64, error) {
	res, err := d.ExecContext(ctx, d.Rebind(`DELETE FROM idempotency_keys WHERE created_at <= ?`),
		d.timeArg(d.now().Add(-engine.IdempotencyKeyTTL)))
	if err != nil {
		return 0, fmt.Errorf("deleting expired idempotency keys: %w", err)
	}
	return res.RowsAffected()
}
