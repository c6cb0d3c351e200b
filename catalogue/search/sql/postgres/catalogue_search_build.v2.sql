-- Re-index of the PostgreSQL search index, version 2: loaded by migration 0018_search_printed_names,
-- forwards after catalogue_search_source version 2 and backwards after version 1.
-- Version 1 filled an empty index; this re-indexes the articles whose document differs between
-- the two versions of the source: those with a citation key, and those with an authorship whose
-- printed name is not its person's name. Every other document is the same in both versions.
-- Queued, then flushed at once: more than catalogue.search_bulk_rows articles and a fifth of the
-- index is a bulk load (secondary indexes dropped and rebuilt, facets recounted once).
-- Released: never edit. A change is a new version file and a new migration (see README.md).

SET LOCAL maintenance_work_mem = '512MB';
SET LOCAL jit = off;

SELECT catalogue_search_touch(array(
    SELECT a.id FROM catalogue_article a WHERE a.citation_key <> ''
    UNION
    SELECT au.article_id
    FROM catalogue_authorship au
    JOIN catalogue_author p ON p.id = au.author_id
    WHERE (au.given_names, au.particle, au.family_name, au.suffix, au.corporate_name)
          IS DISTINCT FROM (p.given_names, p.particle, p.family_name, p.suffix, p.corporate_name)
    ORDER BY 1
));
SELECT catalogue_search_flush();
