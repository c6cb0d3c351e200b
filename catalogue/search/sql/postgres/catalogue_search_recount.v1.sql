-- Function catalogue_search_recount, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- Recount the whole catalogue's facets from the index.
CREATE OR REPLACE FUNCTION catalogue_search_recount() RETURNS void
    LANGUAGE sql AS $$
    DELETE FROM catalogue_search_facet;
    INSERT INTO catalogue_search_facet (facet, value, count)
    SELECT v.facet, v.value, count(*) FROM catalogue_search s
    CROSS JOIN LATERAL catalogue_search_facet_values(s) v
    GROUP BY v.facet, v.value;
$$;
