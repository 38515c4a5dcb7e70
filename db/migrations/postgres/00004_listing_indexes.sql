-- +goose Up
-- Listing filters read newest first; each filter gets an index that ends in
-- id, so a rare value is found without walking the whole table.
CREATE INDEX appraisals_sector ON appraisals (sector, id);
CREATE INDEX appraisals_section ON appraisals ((substr(sector, 1, 1)), id);
CREATE INDEX appraisals_ownership ON appraisals (ownership, id);
CREATE INDEX appraisals_stage ON appraisals (stage, id);

-- The q filter matches a substring of search_text: a trigram index finds
-- rare words without a scan. pg_trgm ships with PostgreSQL (contrib) and
-- is a trusted extension; where it cannot be created, q falls back to a
-- scan rather than the service failing to start.
-- +goose StatementBegin
DO $$
BEGIN
    -- In public, not the schema being migrated: one database may hold
    -- several schemas, and the extension is one per database.
    CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    EXECUTE 'CREATE INDEX appraisals_search ON appraisals USING gin (search_text public.gin_trgm_ops)';
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'no trigram index for the q filter (%); q will scan', SQLERRM;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX IF EXISTS appraisals_search;
DROP INDEX appraisals_stage;
DROP INDEX appraisals_ownership;
DROP INDEX appraisals_section;
DROP INDEX appraisals_sector;
