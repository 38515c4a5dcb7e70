-- +goose Up
CREATE TABLE users (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('applicant', 'reviewer', 'appraiser', 'admin')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    revoked_at  TIMESTAMPTZ
);

-- One row per receiving unit and day of receipt; the row lock serializes
-- the numbering of that day across every server process.
CREATE TABLE dossier_sequences (
    unit  TEXT NOT NULL,
    day   TEXT NOT NULL,
    last  BIGINT NOT NULL,
    PRIMARY KEY (unit, day)
);

CREATE TABLE appraisals (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE,
    workflow_name      TEXT NOT NULL,
    workflow_version   INT NOT NULL,
    state              TEXT NOT NULL,
    version            INT NOT NULL,
    project_name       TEXT NOT NULL,
    investor           TEXT NOT NULL,
    technology         TEXT NOT NULL,
    stage              TEXT NOT NULL,
    project_group      TEXT,
    ownership          TEXT NOT NULL,
    sector             TEXT NOT NULL,
    capital_vnd        BIGINT NOT NULL CHECK (capital_vnd >= 0),
    investor_country   TEXT,
    technology_origin  TEXT,
    locality           TEXT,
    applicant_id       BIGINT NOT NULL REFERENCES users (id),
    outcome            TEXT,
    submitted_at       TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    -- the hash of the newest event, so a transition links to it without reading the trail
    last_hash          TEXT NOT NULL,
    -- folded code, names and technology, for the q filter (engine.Fold)
    search_text        TEXT NOT NULL
);
CREATE INDEX appraisals_applicant ON appraisals (applicant_id, id);
CREATE INDEX appraisals_state ON appraisals (state, id);

CREATE TABLE events (
    appraisal_id  BIGINT NOT NULL REFERENCES appraisals (id),
    seq           INT NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    actor_id      BIGINT NOT NULL REFERENCES users (id),
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
);

-- The audit trail is append-only: the database itself refuses to change it.
-- +goose StatementBegin
CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- +goose Down
DROP TABLE events;
DROP FUNCTION events_refuse_change();
DROP TABLE appraisals;
DROP TABLE dossier_sequences;
DROP TABLE users;
