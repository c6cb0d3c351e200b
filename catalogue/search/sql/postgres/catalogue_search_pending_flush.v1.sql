-- Function catalogue_search_pending_flush, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE OR REPLACE FUNCTION catalogue_search_pending_flush() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalogue_search_flush();
    RETURN NULL;
END
$$;
