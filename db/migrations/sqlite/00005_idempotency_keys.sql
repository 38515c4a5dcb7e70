-- +goose Up
-- The Idempotency-Key of a submission, per user, kept engine.IdempotencyKeyTTL.
-- Written in the transaction that creates the appraisal, so a key is never
-- stored without the appraisal it made.
CREATE TABLE idempotency_keys (
    user_id          INTEGER NOT NULL REFERENCES users (id),
    idempotency_key  TEXT NOT NULL,
    -- hex SHA-256 of the canonical request body: a retry has the same one
    request_hash     TEXT NOT NULL,
    -- NULL only inside the creating transaction, between claiming the key
    -- and inserting the appraisal
    appraisal_id     INTEGER REFERENCES appraisals (id),
    created_at       TEXT NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
) WITHOUT ROWID;
-- Expired keys are deleted by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- +goose Down
DROP TABLE idempotency_keys;
