-- Re-index of the PostgreSQL search index, version 3: loaded by migration
-- 0028_search_phrase_boundaries, forwards after catalogue_search_source version 3 and backwards
-- after version 2. Every document with more than one value changes (its positions: the gaps
-- between values), so every article is queued, then flushed at once: more than
-- catalogue.search_bulk_rows articles and a fifth of the index is a bulk load (secondary
-- indexes dropped and rebuilt, facets recounted once), so searches wait for the migration's
-- transaction. Cost at 1,000,000 articles: docs/search-index.md, "Phrases within one value".
-- Released: never edit. A change is a new version file and a new migration (see README.md).

SET LOCAL maintenance_work_mem = '512MB';
SET LOCAL jit = off;

SELECT catalogue_search_touch(array(SELECT a.id FROM catalogue_article a ORDER BY a.id));
SELECT catalogue_search_flush();
