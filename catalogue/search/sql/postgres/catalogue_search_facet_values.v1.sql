-- Function catalogue_search_facet_values, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- (facet, value) pairs of an indexed row, for the whole-catalogue facet counts.
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
$$;
