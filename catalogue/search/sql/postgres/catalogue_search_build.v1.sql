-- Initial fill of the PostgreSQL search index, version 1: installed by migration 0004_search.
-- Fill the index for the rows already there, then build the indexes (faster than maintaining
-- them row by row), then count the whole catalogue's facets.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

SET LOCAL maintenance_work_mem = '512MB';
SET LOCAL jit = off;
ANALYZE catalogue_article, catalogue_authorship, catalogue_author, catalogue_keyword,
    catalogue_article_keywords, catalogue_article_subject_areas;

INSERT INTO catalogue_search
SELECT article_id, document, sample, year, date_key, output_type, language, peer_reviewed,
       journal_id, keyword_ids, author_ids, subject_ids, title_key
FROM catalogue_search_source ORDER BY article_id;

INSERT INTO catalogue_search_word (word)
SELECT DISTINCT word FROM catalogue_search_source, unnest(vocabulary) AS word;

SELECT catalogue_search_create_indexes();
CREATE INDEX catalogue_search_facet_top ON catalogue_search_facet (facet, count DESC, value);
CREATE INDEX catalogue_search_word_trgm ON catalogue_search_word USING gin (word gin_trgm_ops);

SELECT catalogue_search_recount();

ANALYZE catalogue_search;
ANALYZE catalogue_search_facet;
ANALYZE catalogue_search_word;
