-- +goose Up
-- People sign in to the web pages with an email and a password (argon2id,
-- engine.HashPassword); programs keep their API tokens. Both are optional:
-- a user made without them has a token only.
ALTER TABLE users ADD COLUMN email TEXT;
ALTER TABLE users ADD COLUMN password_hash TEXT;
-- Emails are kept lower-cased; several users without one are allowed.
CREATE UNIQUE INDEX users_email ON users (email);

-- A signed-in browser. Only the SHA-256 of the cookie's token is kept.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);
CREATE INDEX sessions_user ON sessions (user_id);

-- +goose Down
DROP TABLE sessions;
DROP INDEX users_email;
ALTER TABLE users DROP COLUMN password_hash;
ALTER TABLE users DROP COLUMN email;
