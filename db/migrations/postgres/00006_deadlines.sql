-- +goose Up
-- The deadline clock of each appraisal (engine.Clock): kept with the row
-- and moved by every transition, so listing overdue dossiers reads an index.
-- Days are Vietnam days as text, 2006-01-02.
ALTER TABLE appraisals ADD COLUMN due_on TEXT;
ALTER TABLE appraisals ADD COLUMN clock_paused BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE appraisals ADD COLUMN days_left INT NOT NULL DEFAULT 0;
ALTER TABLE appraisals ADD COLUMN trigger_due_on TEXT;
ALTER TABLE appraisals ADD COLUMN extensions INT NOT NULL DEFAULT 0;
ALTER TABLE appraisals ADD COLUMN on_time TEXT CHECK (on_time IN ('on_time', 'late'));
-- The clocks that run, by due day: overdue=true and due_before read this.
CREATE INDEX appraisals_running_due ON appraisals (due_on, id)
    WHERE due_on IS NOT NULL AND NOT clock_paused AND on_time IS NULL;

-- The new due day an extension set.
ALTER TABLE events ADD COLUMN due_on TEXT;

-- Public holidays and working weekends the operator added to the shipped
-- calendar (workflows/calendar/vietnam.json).
CREATE TABLE calendar_days (
    day       TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    working   BOOLEAN NOT NULL,
    added_at  TIMESTAMPTZ NOT NULL
);

-- Reports count by on_time too; what exists has no judgement yet ('').
INSERT INTO report_counts (event, dim, value, day, n)
    SELECT event, 'on_time', '', day, SUM(n) FROM report_counts WHERE dim = 'stage' GROUP BY event, day;
INSERT INTO report_deltas (event, dim, value, day, n)
    SELECT event, 'on_time', '', day, n FROM report_deltas WHERE dim = 'stage';

-- +goose Down
DELETE FROM report_deltas WHERE dim = 'on_time';
DELETE FROM report_counts WHERE dim = 'on_time';
DROP TABLE calendar_days;
ALTER TABLE events DROP COLUMN due_on;
DROP INDEX appraisals_running_due;
ALTER TABLE appraisals DROP COLUMN on_time;
ALTER TABLE appraisals DROP COLUMN extensions;
ALTER TABLE appraisals DROP COLUMN trigger_due_on;
ALTER TABLE appraisals DROP COLUMN days_left;
ALTER TABLE appraisals DROP COLUMN clock_paused;
ALTER TABLE appraisals DROP COLUMN due_on;
