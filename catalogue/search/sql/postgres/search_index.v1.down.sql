-- Reverts the whole search index version 1 (migration 0004_search, backwards): drops every object of version 1
-- (extensions stay).
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DROP TRIGGER IF EXISTS catalogue_article_search_truncate ON catalogue_article;
DROP TRIGGER IF EXISTS catalogue_keyword_search_update ON catalogue_keyword;
DROP TRIGGER IF EXISTS catalogue_author_search_update ON catalogue_author;
DROP TRIGGER IF EXISTS catalogue_article_search_insert ON catalogue_article;
DROP TRIGGER IF EXISTS catalogue_article_search_update ON catalogue_article;
DROP TRIGGER IF EXISTS catalogue_article_search_delete ON catalogue_article;
DROP TRIGGER IF EXISTS catalogue_authorship_search_insert ON catalogue_authorship;
DROP TRIGGER IF EXISTS catalogue_authorship_search_update ON catalogue_authorship;
DROP TRIGGER IF EXISTS catalogue_authorship_search_delete ON catalogue_authorship;
DROP TRIGGER IF EXISTS catalogue_article_keywords_search_insert ON catalogue_article_keywords;
DROP TRIGGER IF EXISTS catalogue_article_keywords_search_update ON catalogue_article_keywords;
DROP TRIGGER IF EXISTS catalogue_article_keywords_search_delete ON catalogue_article_keywords;
DROP TRIGGER IF EXISTS catalogue_article_subject_areas_search_insert ON catalogue_article_subject_areas;
DROP TRIGGER IF EXISTS catalogue_article_subject_areas_search_update ON catalogue_article_subject_areas;
DROP TRIGGER IF EXISTS catalogue_article_subject_areas_search_delete ON catalogue_article_subject_areas;
DROP TABLE IF EXISTS catalogue_search_pending, catalogue_search_word, catalogue_search_facet,
    catalogue_search_state CASCADE;
DROP FUNCTION IF EXISTS catalogue_search_run(text);
DROP FUNCTION IF EXISTS catalogue_search_create_indexes(), catalogue_search_drop_indexes(),
    catalogue_search_recount();
DROP FUNCTION IF EXISTS catalogue_search_truncated(), catalogue_search_author_renamed(),
    catalogue_search_keyword_renamed(), catalogue_search_changed(),
    catalogue_search_pending_flush(), catalogue_search_touch(bigint[]),
    catalogue_search_flush(), catalogue_search_refresh(bigint[], boolean);
DROP VIEW IF EXISTS catalogue_search_source;
DROP FUNCTION IF EXISTS catalogue_search_facet_values(catalogue_search);
DROP TABLE IF EXISTS catalogue_search;
DROP SEQUENCE IF EXISTS catalogue_search_generation;
DROP TEXT SEARCH CONFIGURATION IF EXISTS catalogue;
DROP FUNCTION IF EXISTS catalogue_fold(text);
