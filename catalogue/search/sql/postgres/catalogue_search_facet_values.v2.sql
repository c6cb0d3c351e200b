-- Function catalogue_search_facet_values, version 2: installed by migration 0026_search_speed.
-- Version 1 plus one ('cube', key) pair per row: the cell of the row's scalar facets, so that
-- catalogue_search_facet also counts the articles of each combination of year, language, peer
-- review and output type. A search with no words whose selections are only these facets (and
-- a year range) then takes its exact total and those facets' exact counts from the cells
-- (catalogue.search.postgres.cube) instead of counting hundreds of thousands of rows. The
-- refresh and the recount call this function, so the cells are kept like every other count.
-- The key: year (empty when unknown), language, peer_reviewed, output type, joined by '|';
-- the type last, so that it is whatever follows the third '|'.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE OR REPLACE FUNCTION catalogue_search_facet_values(r catalogue_search)
    RETURNS TABLE (facet text, value text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'total', '*'
    UNION ALL SELECT 'year', r.year::text WHERE r.year IS NOT NULL
    UNION ALL SELECT 'type', r.output_type
    UNION ALL SELECT 'language', r.language WHERE r.language <> ''
    UNION ALL SELECT 'peer_reviewed', r.peer_reviewed::text
    UNION ALL SELECT 'journal', r.journal_id::text WHERE r.journal_id IS NOT NULL
    UNION ALL SELECT 'keyword', unnest(r.keyword_ids)::text
    UNION ALL SELECT 'author', unnest(r.author_ids)::text
    UNION ALL SELECT 'subject', unnest(r.subject_ids)::text
    UNION ALL SELECT 'cube', coalesce(r.year::text, '') || '|' || r.language || '|'
        || r.peer_reviewed::text || '|' || r.output_type
$$;
