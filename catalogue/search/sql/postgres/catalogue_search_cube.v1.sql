-- The cells of catalogue_search_facet (facet 'cube'), version 1: installed by migration
-- 0026_search_speed, after catalogue_search_facet_values version 2. Counts the existing rows'
-- cells once (one scan of the index table); from then on the refresh keeps them.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DELETE FROM catalogue_search_facet WHERE facet = 'cube';
INSERT INTO catalogue_search_facet (facet, value, count)
SELECT 'cube', coalesce(s.year::text, '') || '|' || s.language || '|' || s.peer_reviewed::text
    || '|' || s.output_type, count(*)
FROM catalogue_search s
GROUP BY 2;
ANALYZE catalogue_search_facet;
