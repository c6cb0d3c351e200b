-- Table catalogue_search, version 2: installed by migration 0007_search_rows_uncompressed.
-- toast_tuple_target 512 instead of 128, and existing rows rewritten uncompressed.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

ALTER TABLE catalogue_search SET (toast_tuple_target = 512);
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM catalogue_search) THEN
        SET LOCAL maintenance_work_mem = '512MB';
        PERFORM catalogue_search_drop_indexes();
        CREATE TEMP TABLE catalogue_search_rewrite ON COMMIT DROP AS
            SELECT * FROM catalogue_search;
        TRUNCATE catalogue_search;
        -- "|| '{}'" and "|| ''" build new values: a compressed value copied as it is would
        -- stay compressed.
        INSERT INTO catalogue_search
        SELECT article_id, document, sample, year, date_key, output_type, language,
               peer_reviewed, journal_id, keyword_ids || '{}'::bigint[],
               author_ids || '{}'::bigint[], subject_ids || '{}'::bigint[], title_key || ''
        FROM catalogue_search_rewrite ORDER BY article_id;
        PERFORM catalogue_search_create_indexes();
        ANALYZE catalogue_search;
    END IF;
END
$$;
