-- Function catalogue_search_truncated, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE OR REPLACE FUNCTION catalogue_search_truncated() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE catalogue_search, catalogue_search_facet, catalogue_search_word,
             catalogue_search_pending;
    UPDATE catalogue_search_state SET generation = nextval('catalogue_search_generation') WHERE id = 1;
    RETURN NULL;
END
$$;
