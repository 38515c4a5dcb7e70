-- +goose Up
-- A listing with q walks the newest appraisals when the words are common
-- and uses the trigram index when they are rare; the planner tells which
-- from the column's statistics. With the default 100 histogram entries a
-- phrase that 2% of a million appraisals hold was sometimes estimated at
-- 100 rows, and its first page took 160 ms instead of 3: 500 entries
-- estimate it within a few percent (ANALYZE of a million rows: ~6 s).
ALTER TABLE appraisals ALTER COLUMN search_text SET STATISTICS 500;
-- The target counts from the next ANALYZE; an upgraded database should not
-- wait for autovacuum to get it (reads and writes go on meanwhile).
ANALYZE appraisals;

-- +goose Down
ALTER TABLE appraisals ALTER COLUMN search_text SET STATISTICS -1;
