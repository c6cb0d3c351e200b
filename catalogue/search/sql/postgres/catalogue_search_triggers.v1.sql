-- Triggers of the PostgreSQL search index, version 1: installed by migration 0004_search.
-- Statement-level triggers on the article, authorship, link, keyword and author tables (one call
-- per INSERT/UPDATE/DELETE/COPY with every touched article id; the argument names the column
-- holding the article id), TRUNCATE of the articles, and the deferred flush of queued ids.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE CONSTRAINT TRIGGER catalogue_search_pending_flush
    AFTER INSERT ON catalogue_search_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION catalogue_search_pending_flush();

CREATE TRIGGER catalogue_article_search_insert AFTER INSERT ON catalogue_article REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('id');
CREATE TRIGGER catalogue_article_search_update AFTER UPDATE ON catalogue_article REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('id');
CREATE TRIGGER catalogue_article_search_delete AFTER DELETE ON catalogue_article REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('id');
CREATE TRIGGER catalogue_authorship_search_insert AFTER INSERT ON catalogue_authorship REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('article_id');
CREATE TRIGGER catalogue_authorship_search_update AFTER UPDATE ON catalogue_authorship REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('article_id');
CREATE TRIGGER catalogue_authorship_search_delete AFTER DELETE ON catalogue_authorship REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('article_id');
CREATE TRIGGER catalogue_article_keywords_search_insert AFTER INSERT ON catalogue_article_keywords REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('article_id');
CREATE TRIGGER catalogue_article_keywords_search_update AFTER UPDATE ON catalogue_article_keywords REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('article_id');
CREATE TRIGGER catalogue_article_keywords_search_delete AFTER DELETE ON catalogue_article_keywords REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('article_id');
CREATE TRIGGER catalogue_article_subject_areas_search_insert AFTER INSERT ON catalogue_article_subject_areas REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('article_id');
CREATE TRIGGER catalogue_article_subject_areas_search_update AFTER UPDATE ON catalogue_article_subject_areas REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('article_id');
CREATE TRIGGER catalogue_article_subject_areas_search_delete AFTER DELETE ON catalogue_article_subject_areas REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_changed('article_id');
CREATE TRIGGER catalogue_keyword_search_update AFTER UPDATE ON catalogue_keyword REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_keyword_renamed();
CREATE TRIGGER catalogue_author_search_update AFTER UPDATE ON catalogue_author REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_author_renamed();
CREATE TRIGGER catalogue_article_search_truncate AFTER TRUNCATE ON catalogue_article FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_truncated();
