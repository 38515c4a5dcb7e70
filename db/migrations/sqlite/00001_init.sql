-- +goose Up
-- Times are TEXT in one fixed UTC format (2006-01-02T15:04:05.000000Z), so
-- they sort as text and parse back exactly.
CREATE TABLE users (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('applicant', 'reviewer', 'appraiser', 'admin')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

CREATE TABLE dossier_sequences (
    unit  TEXT NOT NULL,
    day   TEXT NOT NULL,
    last  INTEGER NOT NULL,
    PRIMARY KEY (unit, day)
);

CREATE TABLE appraisals (
    id                 INTEGER PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE,
    workflow_name      TEXT NOT NULL,
    workflow_version   INTEGER NOT NULL,
    state              TEXT NOT NULL,
    version            INTEGER NOT NULL,
    project_name       TEXT NOT NULL,
    investor           TEXT NOT NULL,
    technology         TEXT NOT NULL,
    stage              TEXT NOT NULL,
    project_group      TEXT,
    ownership          TEXT NOT NULL,
    sector             TEXT NOT NULL,
    capital_vnd        INTEGER NOT NULL CHECK (capital_vnd >= 0),
    investor_country   TEXT,
    technology_origin  TEXT,
    locality           TEXT,
    applicant_id       INTEGER NOT NULL REFERENCES users (id),
    outcome            TEXT,
    submitted_at       TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    last_hash          TEXT NOT NULL,
    -- folded code, names and technology, for the q filter (engine.Fold)
    search_text        TEXT NOT NULL
);
CREATE INDEX appraisals_applicant ON appraisals (applicant_id, id);
CREATE INDEX appraisals_state ON appraisals (state, id);

CREATE TABLE events (
    appraisal_id  INTEGER NOT NULL REFERENCES appraisals (id),
    seq           INTEGER NOT NULL,
    at            TEXT NOT NULL,
    actor_id      INTEGER NOT NULL REFERENCES users (id),
    actor_name    TEXT NOT NULL,
    actor_role    TEXT NOT NULL,
    trigger_name  TEXT NOT NULL,
    from_state    TEXT,
    to_state      TEXT NOT NULL,
    comment       TEXT,
    outcome       TEXT,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL,
    PRIMARY KEY (appraisal_id, seq)
) WITHOUT ROWID;

-- Append-only, as far as SQLite can: anyone with the file can still drop
-- these triggers, which is what the hash chain and `audit verify` are for.
-- +goose StatementBegin
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE refused');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE refused');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE events;
DROP TABLE appraisals;
DROP TABLE dossier_sequences;
DROP TABLE users;
