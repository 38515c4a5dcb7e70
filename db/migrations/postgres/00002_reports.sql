-- +goose Up
-- When the conclusion (the outcome) was recorded: the time the "appraised"
-- reports bucket and filter by. Kept on the row, checked by audit verify.
ALTER TABLE appraisals ADD COLUMN appraised_at TIMESTAMPTZ;

-- Narrow covering indexes: a report over a period reads only its index.
CREATE INDEX appraisals_submitted_report ON appraisals (submitted_at)
    INCLUDE (state, stage, ownership, sector, investor_country, outcome);
CREATE INDEX appraisals_appraised_report ON appraisals (appraised_at)
    INCLUDE (state, stage, ownership, sector, investor_country, outcome)
    WHERE appraised_at IS NOT NULL;

-- +goose Down
DROP INDEX IF EXISTS appraisals_appraised_report; -- 00003 dropped them
DROP INDEX IF EXISTS appraisals_submitted_report;
ALTER TABLE appraisals DROP COLUMN appraised_at;
