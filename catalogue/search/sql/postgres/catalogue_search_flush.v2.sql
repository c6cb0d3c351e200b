-- Function catalogue_search_flush, version 2: installed by migration 0006_search_refresh_without_jit.
-- Version 1 with SET jit = off (see catalogue_search_refresh version 2).
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- Index the queued articles (see catalogue_search_touch) in chunks; return rows changed.
-- A bulk flush (more than `catalogue.search_bulk_rows`, default 20,000, articles and a fifth
-- of the index) drops the secondary
-- indexes, writes the rows, rebuilds the indexes and recounts the facets once: readers of
-- catalogue_search wait for the transaction, as they already wait for a bulk load's locks.
CREATE OR REPLACE FUNCTION catalogue_search_flush() RETURNS integer
    LANGUAGE plpgsql
    SET jit = off
    AS $$
DECLARE
    queued bigint[];
    changed integer := 0;
    first integer;
    bulk boolean;
BEGIN
    WITH taken AS (DELETE FROM catalogue_search_pending RETURNING article_ids)
    SELECT array_agg(DISTINCT id ORDER BY id) INTO queued FROM taken, unnest(article_ids) AS id;
    IF queued IS NULL THEN
        RETURN 0;
    END IF;
    bulk := cardinality(queued) > greatest(
        coalesce(nullif(current_setting('catalogue.search_bulk_rows', true), '')::integer, 20000),
        (SELECT reltuples FROM pg_class WHERE oid = 'catalogue_search'::regclass) / 5
    );
    IF bulk THEN
        -- Tables just filled by the same transaction have no statistics yet.
        ANALYZE catalogue_article, catalogue_authorship, catalogue_author, catalogue_keyword,
            catalogue_article_keywords, catalogue_article_subject_areas;
        PERFORM catalogue_search_drop_indexes();
    END IF;
    FOR first IN 1 .. cardinality(queued) BY 5000 LOOP
        changed := changed + catalogue_search_refresh(queued[first:first + 4999], NOT bulk);
    END LOOP;
    IF bulk THEN
        PERFORM catalogue_search_create_indexes();
        PERFORM catalogue_search_recount();
        ANALYZE catalogue_search;
    END IF;
    RETURN changed;
END
$$;
