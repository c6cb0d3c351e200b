-- Functions catalogue_search_create_indexes() and catalogue_search_drop_indexes(), version 5: installed by migration 0026_search_speed.
-- Version 4 plus two B-trees like catalogue_search_journal: (output_type, date_key) and
-- (language, date_key). An output type or a language, with or without a year range, was a
-- filter on every row of the other conditions (type=review from 2018 on: 53,000 rows read to
-- keep 4,300; at 1,000,000 articles ten times that); now it is an index condition, ANDed
-- with the words' and the sample's bitmaps, and read in date order for the date sorts.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE OR REPLACE FUNCTION catalogue_search_create_indexes() RETURNS void
    LANGUAGE plpgsql
    SET maintenance_work_mem = '512MB'
    AS $$
BEGIN
    CREATE INDEX IF NOT EXISTS catalogue_search_journal ON catalogue_search (journal_id, date_key);
    CREATE INDEX IF NOT EXISTS catalogue_search_type ON catalogue_search (output_type, date_key);
    CREATE INDEX IF NOT EXISTS catalogue_search_language ON catalogue_search (language, date_key);
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
    DROP INDEX IF EXISTS catalogue_search_journal, catalogue_search_type, catalogue_search_language, catalogue_search_year, catalogue_search_newest, catalogue_search_oldest, catalogue_search_title, catalogue_search_sample_key, catalogue_search_terms, catalogue_search_probe;
$$;

SELECT catalogue_search_create_indexes();
ANALYZE catalogue_search;
