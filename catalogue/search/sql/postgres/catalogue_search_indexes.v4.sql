-- Functions catalogue_search_create_indexes() and catalogue_search_drop_indexes(), version 4: installed by migration 0012_search_multicolumn_gin.
-- One multicolumn GIN index (catalogue_search_terms) and one over the probe's rows
-- (catalogue_search_probe, sample < 16: PROBE_BUCKETS in catalogue.search.postgres) instead
-- of one GIN index per column.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE OR REPLACE FUNCTION catalogue_search_create_indexes() RETURNS void
    LANGUAGE plpgsql
    SET maintenance_work_mem = '512MB'
    AS $$
BEGIN
    CREATE INDEX IF NOT EXISTS catalogue_search_journal ON catalogue_search (journal_id, date_key);
    CREATE INDEX IF NOT EXISTS catalogue_search_year ON catalogue_search (year);
    CREATE INDEX IF NOT EXISTS catalogue_search_newest ON catalogue_search (date_key DESC NULLS LAST, article_id DESC);
    CREATE INDEX IF NOT EXISTS catalogue_search_oldest ON catalogue_search (date_key ASC NULLS LAST, article_id ASC);
    CREATE INDEX IF NOT EXISTS catalogue_search_title ON catalogue_search (title_key, article_id);
    CREATE INDEX IF NOT EXISTS catalogue_search_sample_key ON catalogue_search ((sample + 0));
    CREATE INDEX IF NOT EXISTS catalogue_search_terms ON catalogue_search USING gin (document, keyword_ids, author_ids, subject_ids, journal_id);
    CREATE INDEX IF NOT EXISTS catalogue_search_probe ON catalogue_search USING gin (document, keyword_ids, author_ids, subject_ids, journal_id) WHERE sample < 16;
END
$$;

CREATE OR REPLACE FUNCTION catalogue_search_drop_indexes() RETURNS void
    LANGUAGE sql AS $$
    DROP INDEX IF EXISTS catalogue_search_journal, catalogue_search_year, catalogue_search_newest, catalogue_search_oldest, catalogue_search_title, catalogue_search_sample_key, catalogue_search_terms, catalogue_search_probe;
$$;

SELECT catalogue_search_create_indexes();
DROP INDEX IF EXISTS catalogue_search_document, catalogue_search_keyword_ids, catalogue_search_author_ids, catalogue_search_subject_ids, catalogue_search_probe_document, catalogue_search_probe_keyword_ids, catalogue_search_probe_author_ids, catalogue_search_probe_subject_ids;
ANALYZE catalogue_search;
