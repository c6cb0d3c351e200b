-- Function catalogue_search_touch, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- Re-index now, or for a bulk statement queue the ids until the transaction commits.
CREATE OR REPLACE FUNCTION catalogue_search_touch(ids bigint[]) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    IF cardinality(ids) > coalesce(
        nullif(current_setting('catalogue.search_defer_rows', true), '')::integer, 1000
    ) THEN
        INSERT INTO catalogue_search_pending (article_ids) VALUES (ids);
    ELSE
        PERFORM catalogue_search_refresh(ids);
    END IF;
END
$$;
