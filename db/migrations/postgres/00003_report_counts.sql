-- +goose Up
-- Reports are answered from counts per event (submitted, appraised),
-- dimension, value ('' for none) and day (Vietnam time, 2006-01-02), not by
-- scanning appraisals: a million rows cannot be scanned in 100 ms.
CREATE TABLE report_counts (
    event  TEXT NOT NULL,
    dim    TEXT NOT NULL,
    value  TEXT NOT NULL,
    day    TEXT NOT NULL,
    n      BIGINT NOT NULL,
    PRIMARY KEY (event, dim, day, value)
);

-- Every write appends its changes here, in its own transaction. Appending
-- never waits on another transaction, as updating a shared count would;
-- the server folds these rows into report_counts every few seconds, and a
-- report adds whatever is not folded yet.
CREATE TABLE report_deltas (
    event  TEXT NOT NULL,
    dim    TEXT NOT NULL,
    value  TEXT NOT NULL,
    day    TEXT NOT NULL,
    n      BIGINT NOT NULL
);
CREATE INDEX report_deltas_key ON report_deltas (event, dim, day);

-- Count what exists already.
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'submitted', 'state', state, to_char((submitted_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE submitted_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'submitted', 'stage', stage, to_char((submitted_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE submitted_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'submitted', 'sector', substr(sector, 1, 1), to_char((submitted_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE submitted_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'submitted', 'ownership', ownership, to_char((submitted_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE submitted_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'submitted', 'investor_country', COALESCE(investor_country, ''), to_char((submitted_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE submitted_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'submitted', 'outcome', COALESCE(outcome, ''), to_char((submitted_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE submitted_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'submitted', 'ownership_sector', ownership || '|' || substr(sector, 1, 1), to_char((submitted_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE submitted_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'appraised', 'state', state, to_char((appraised_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE appraised_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'appraised', 'stage', stage, to_char((appraised_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE appraised_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'appraised', 'sector', substr(sector, 1, 1), to_char((appraised_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE appraised_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'appraised', 'ownership', ownership, to_char((appraised_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE appraised_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'appraised', 'investor_country', COALESCE(investor_country, ''), to_char((appraised_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE appraised_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'appraised', 'outcome', COALESCE(outcome, ''), to_char((appraised_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE appraised_at IS NOT NULL GROUP BY 3, 4;
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT 'appraised', 'ownership_sector', ownership || '|' || substr(sector, 1, 1), to_char((appraised_at AT TIME ZONE 'UTC') + INTERVAL '7 hours', 'YYYY-MM-DD'), COUNT(*)
    FROM appraisals WHERE appraised_at IS NOT NULL GROUP BY 3, 4;

-- The report indexes of 00002 served scans this table replaces; they made
-- every transition rewrite two more index entries.
DROP INDEX appraisals_submitted_report;
DROP INDEX appraisals_appraised_report;

-- +goose Down
DROP TABLE report_deltas;
DROP TABLE report_counts;
