-- Functions catalogue_search_create_indexes() and catalogue_search_drop_indexes(), version 2: installed by migration 0008_search_probe_indexes; replaced by version 3.
-- Adds the GIN indexes over the probe's rows (sample < 16, < 17, ...; 16 is PROBE_BUCKETS in
-- catalogue.search.postgres), and creates them.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE OR REPLACE FUNCTION catalogue_search_create_indexes() RETURNS void
    LANGUAGE plpgsql
    SET maintenance_work_mem = '512MB'
    AS $$
BEGIN
    CREATE INDEX IF NOT EXISTS catalogue_search_document ON catalogue_search USING gin (document);
    CREATE INDEX IF NOT EXISTS catalogue_search_keyword_ids ON catalogue_search USING gin (keyword_ids);
    CREATE INDEX IF NOT EXISTS catalogue_search_author_ids ON catalogue_search USING gin (author_ids);
    CREATE INDEX IF NOT EXISTS catalogue_search_subject_ids ON catalogue_search USING gin (subject_ids);
    CREATE INDEX IF NOT EXISTS catalogue_search_journal ON catalogue_search (journal_id, date_key);
    CREATE INDEX IF NOT EXISTS catalogue_search_year ON catalogue_search (year);
    CREATE INDEX IF NOT EXISTS catalogue_search_newest ON catalogue_search (date_key DESC NULLS LAST, article_id DESC);
    CREATE INDEX IF NOT EXISTS catalogue_search_oldest ON catalogue_search (date_key ASC NULLS LAST, article_id ASC);
    CREATE INDEX IF NOT EXISTS catalogue_search_title ON catalogue_search (title_key, article_id);
    CREATE INDEX IF NOT EXISTS catalogue_search_sample ON catalogue_search (sample);
    CREATE INDEX IF NOT EXISTS catalogue_search_probe_document ON catalogue_search USING gin (document) WHERE sample < 16;
    CREATE INDEX IF NOT EXISTS catalogue_search_probe_keyword_ids ON catalogue_search USING gin (keyword_ids) WHERE sample < 17;
    CREATE INDEX IF NOT EXISTS catalogue_search_probe_author_ids ON catalogue_search USING gin (author_ids) WHERE sample < 18;
    CREATE INDEX IF NOT EXISTS catalogue_search_probe_subject_ids ON catalogue_search USING gin (subject_ids) WHERE sample < 19;
END
$$;

CREATE OR REPLACE FUNCTION catalogue_search_drop_indexes() RETURNS void
    LANGUAGE sql AS $$
    DROP INDEX IF EXISTS catalogue_search_document, catalogue_search_keyword_ids, catalogue_search_author_ids, catalogue_search_subject_ids, catalogue_search_journal, catalogue_search_year, catalogue_search_newest, catalogue_search_oldest, catalogue_search_title, catalogue_search_sample, catalogue_search_probe_document, catalogue_search_probe_keyword_ids, catalogue_search_probe_author_ids, catalogue_search_probe_subject_ids;
$$;

SELECT catalogue_search_create_indexes();
ANALYZE catalogue_search;
