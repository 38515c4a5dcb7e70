-- +goose Up
-- Listing filters read newest first; each filter gets an index that ends in
-- id, so a rare value is found without walking the whole table. (SQLite has
-- no trigram index: q scans.)
CREATE INDEX appraisals_sector ON appraisals (sector, id);
CREATE INDEX appraisals_section ON appraisals ((substr(sector, 1, 1)), id);
CREATE INDEX appraisals_ownership ON appraisals (ownership, id);
CREATE INDEX appraisals_stage ON appraisals (stage, id);

-- +goose Down
DROP INDEX appraisals_stage;
DROP INDEX appraisals_ownership;
DROP INDEX appraisals_section;
DROP INDEX appraisals_sector;
