-- Triggers of the SQLite search index, version 2, reverted (migration 0018_search_printed_names,
-- backwards): drops the fifteen triggers, which loading version 1 creates again.
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
