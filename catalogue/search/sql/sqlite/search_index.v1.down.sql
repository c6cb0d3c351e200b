-- Reverts the whole search index version 1 (migration 0004_search, backwards): drops every object of version 1.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DROP TRIGGER IF EXISTS catalogue_article_search_insert;
DROP TRIGGER IF EXISTS catalogue_article_search_update;
DROP TRIGGER IF EXISTS catalogue_article_search_delete;
DROP TRIGGER IF EXISTS catalogue_authorship_search_insert;
DROP TRIGGER IF EXISTS catalogue_authorship_search_update;
DROP TRIGGER IF EXISTS catalogue_authorship_search_delete;
DROP TRIGGER IF EXISTS catalogue_article_keywords_search_insert;
DROP TRIGGER IF EXISTS catalogue_article_keywords_search_delete;
DROP TRIGGER IF EXISTS catalogue_keyword_search_update;
DROP TRIGGER IF EXISTS catalogue_author_search_update;
DROP TRIGGER IF EXISTS catalogue_article_search_facets;
DROP TRIGGER IF EXISTS catalogue_article_subject_areas_search_insert;
DROP TRIGGER IF EXISTS catalogue_article_subject_areas_search_delete;
DROP TRIGGER IF EXISTS catalogue_journal_search_update;
DROP TRIGGER IF EXISTS catalogue_subjectarea_search_update;
DROP TABLE IF EXISTS catalogue_search_vocabulary;
DROP TABLE IF EXISTS catalogue_search_words;
DROP TABLE IF EXISTS catalogue_search_fts;
DROP TABLE IF EXISTS catalogue_search_state;
