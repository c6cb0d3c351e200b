-- Triggers of the SQLite search index, version 3: installed by migration 0028_search_phrase_boundaries.
-- Version 2 (all fifteen triggers, dropped and created again) with a phrase kept within one
-- value: in the keywords column the terms, and in the authors column the names (each
-- authorship's printed name, its person's name when that differs) and the citation key, are
-- joined by " U+E010 ", a private-use character that the unicode61 tokenizer keeps as a word of
-- its own and that no search can contain (catalogue.search.sqlite removes it from the terms):
-- a phrase cannot run from one keyword or name into the next, as it could across the single
-- space of version 2 ("networks deep" in the keywords "neural networks" and "deep learning").
-- Columns already kept phrases apart (FTS5 matches a phrase within one column). Keywords in the
-- order they were attached, names in authorship order (version 2 had no set order). The words
-- for "did you mean" leave the separators out, and the key.
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
CREATE TRIGGER catalogue_article_search_insert AFTER INSERT ON catalogue_article FOR EACH ROW BEGIN
    DELETE FROM catalogue_search_fts WHERE rowid IN (SELECT NEW.id);
    DELETE FROM catalogue_search_words WHERE rowid IN (SELECT NEW.id);
    INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(term, ' ' || char(57360) || ' ') FROM (
                      SELECT k.term FROM catalogue_article_keywords ak
                      JOIN catalogue_keyword k ON k.id = ak.keyword_id
                      WHERE ak.article_id = a.id ORDER BY ak.id)), ''),
        coalesce((SELECT group_concat(name, ' ' || char(57360) || ' ') FROM (
                      SELECT trim(au.given_names || ' ' || au.particle || ' ' || au.family_name
                                  || ' ' || au.suffix || ' ' || au.corporate_name)
                          || CASE WHEN au.given_names = p.given_names
                                       AND au.particle = p.particle
                                       AND au.family_name = p.family_name
                                       AND au.suffix = p.suffix
                                       AND au.corporate_name = p.corporate_name
                                  THEN ''
                                  ELSE ' ' || char(57360) || ' '
                                       || trim(p.given_names || ' ' || p.particle || ' '
                                               || p.family_name || ' ' || p.suffix || ' '
                                               || p.corporate_name) END AS name
                      FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                      WHERE au.article_id = a.id ORDER BY au.position, au.id)), '')
            || CASE WHEN a.citation_key <> '' THEN ' ' || char(57360) || ' ' || a.citation_key
                    ELSE '' END,
        a.abstract
    FROM catalogue_article a WHERE a.id IN (SELECT NEW.id);
    INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, replace(f.title || ' ' || f.keywords || ' '
        || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 3)
        ELSE f.authors END, char(57360), ' ')
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid
    WHERE f.rowid IN (SELECT NEW.id);
    UPDATE catalogue_search_state SET generation = abs(random());
 END;
CREATE TRIGGER catalogue_article_search_update AFTER UPDATE OF title, abstract, citation_key ON catalogue_article FOR EACH ROW BEGIN
    DELETE FROM catalogue_search_fts WHERE rowid IN (SELECT NEW.id UNION SELECT OLD.id);
    DELETE FROM catalogue_search_words WHERE rowid IN (SELECT NEW.id UNION SELECT OLD.id);
    INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(term, ' ' || char(57360) || ' ') FROM (
                      SELECT k.term FROM catalogue_article_keywords ak
                      JOIN catalogue_keyword k ON k.id = ak.keyword_id
                      WHERE ak.article_id = a.id ORDER BY ak.id)), ''),
        coalesce((SELECT group_concat(name, ' ' || char(57360) || ' ') FROM (
                      SELECT trim(au.given_names || ' ' || au.particle || ' ' || au.family_name
                                  || ' ' || au.suffix || ' ' || au.corporate_name)
                          || CASE WHEN au.given_names = p.given_names
                                       AND au.particle = p.particle
                                       AND au.family_name = p.family_name
                                       AND au.suffix = p.suffix
                                       AND au.corporate_name = p.corporate_name
                                  THEN ''
                                  ELSE ' ' || char(57360) || ' '
                                       || trim(p.given_names || ' ' || p.particle || ' '
                                               || p.family_name || ' ' || p.suffix || ' '
                                               || p.corporate_name) END AS name
                      FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                      WHERE au.article_id = a.id ORDER BY au.position, au.id)), '')
            || CASE WHEN a.citation_key <> '' THEN ' ' || char(57360) || ' ' || a.citation_key
                    ELSE '' END,
        a.abstract
    FROM catalogue_article a WHERE a.id IN (SELECT NEW.id UNION SELECT OLD.id);
    INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, replace(f.title || ' ' || f.keywords || ' '
        || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 3)
        ELSE f.authors END, char(57360), ' ')
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid
    WHERE f.rowid IN (SELECT NEW.id UNION SELECT OLD.id);
    UPDATE catalogue_search_state SET generation = abs(random());
 END;
CREATE TRIGGER catalogue_article_search_delete AFTER DELETE ON catalogue_article FOR EACH ROW BEGIN
    DELETE FROM catalogue_search_fts WHERE rowid IN (SELECT OLD.id);
    DELETE FROM catalogue_search_words WHERE rowid IN (SELECT OLD.id);
    INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(term, ' ' || char(57360) || ' ') FROM (
                      SELECT k.term FROM catalogue_article_keywords ak
                      JOIN catalogue_keyword k ON k.id = ak.keyword_id
                      WHERE ak.article_id = a.id ORDER BY ak.id)), ''),
        coalesce((SELECT group_concat(name, ' ' || char(57360) || ' ') FROM (
                      SELECT trim(au.given_names || ' ' || au.particle || ' ' || au.family_name
                                  || ' ' || au.suffix || ' ' || au.corporate_name)
                          || CASE WHEN au.given_names = p.given_names
                                       AND au.particle = p.particle
                                       AND au.family_name = p.family_name
                                       AND au.suffix = p.suffix
                                       AND au.corporate_name = p.corporate_name
                                  THEN ''
                                  ELSE ' ' || char(57360) || ' '
                                       || trim(p.given_names || ' ' || p.particle || ' '
                                               || p.family_name || ' ' || p.suffix || ' '
                                               || p.corporate_name) END AS name
                      FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                      WHERE au.article_id = a.id ORDER BY au.position, au.id)), '')
            || CASE WHEN a.citation_key <> '' THEN ' ' || char(57360) || ' ' || a.citation_key
                    ELSE '' END,
        a.abstract
    FROM catalogue_article a WHERE a.id IN (SELECT OLD.id);
    INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, replace(f.title || ' ' || f.keywords || ' '
        || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 3)
        ELSE f.authors END, char(57360), ' ')
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid
    WHERE f.rowid IN (SELECT OLD.id);
    UPDATE catalogue_search_state SET generation = abs(random());
 END;
CREATE TRIGGER catalogue_authorship_search_insert AFTER INSERT ON catalogue_authorship FOR EACH ROW BEGIN
    DELETE FROM catalogue_search_fts WHERE rowid IN (SELECT NEW.article_id);
    DELETE FROM catalogue_search_words WHERE rowid IN (SELECT NEW.article_id);
    INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(term, ' ' || char(57360) || ' ') FROM (
                      SELECT k.term FROM catalogue_article_keywords ak
                      JOIN catalogue_keyword k ON k.id = ak.keyword_id
                      WHERE ak.article_id = a.id ORDER BY ak.id)), ''),
        coalesce((SELECT group_concat(name, ' ' || char(57360) || ' ') FROM (
                      SELECT trim(au.given_names || ' ' || au.particle || ' ' || au.family_name
                                  || ' ' || au.suffix || ' ' || au.corporate_name)
                          || CASE WHEN au.given_names = p.given_names
                                       AND au.particle = p.particle
                                       AND au.family_name = p.family_name
                                       AND au.suffix = p.suffix
                                       AND au.corporate_name = p.corporate_name
                                  THEN ''
                                  ELSE ' ' || char(57360) || ' '
                                       || trim(p.given_names || ' ' || p.particle || ' '
                                               || p.family_name || ' ' || p.suffix || ' '
                                               || p.corporate_name) END AS name
                      FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                      WHERE au.article_id = a.id ORDER BY au.position, au.id)), '')
            || CASE WHEN a.citation_key <> '' THEN ' ' || char(57360) || ' ' || a.citation_key
                    ELSE '' END,
        a.abstract
    FROM catalogue_article a WHERE a.id IN (SELECT NEW.article_id);
    INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, replace(f.title || ' ' || f.keywords || ' '
        || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 3)
        ELSE f.authors END, char(57360), ' ')
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid
    WHERE f.rowid IN (SELECT NEW.article_id);
    UPDATE catalogue_search_state SET generation = abs(random());
 END;
CREATE TRIGGER catalogue_authorship_search_update AFTER UPDATE ON catalogue_authorship FOR EACH ROW BEGIN
    DELETE FROM catalogue_search_fts WHERE rowid IN (SELECT NEW.article_id UNION SELECT OLD.article_id);
    DELETE FROM catalogue_search_words WHERE rowid IN (SELECT NEW.article_id UNION SELECT OLD.article_id);
    INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(term, ' ' || char(57360) || ' ') FROM (
                      SELECT k.term FROM catalogue_article_keywords ak
                      JOIN catalogue_keyword k ON k.id = ak.keyword_id
                      WHERE ak.article_id = a.id ORDER BY ak.id)), ''),
        coalesce((SELECT group_concat(name, ' ' || char(57360) || ' ') FROM (
                      SELECT trim(au.given_names || ' ' || au.particle || ' ' || au.family_name
                                  || ' ' || au.suffix || ' ' || au.corporate_name)
                          || CASE WHEN au.given_names = p.given_names
                                       AND au.particle = p.particle
                                       AND au.family_name = p.family_name
                                       AND au.suffix = p.suffix
                                       AND au.corporate_name = p.corporate_name
                                  THEN ''
                                  ELSE ' ' || char(57360) || ' '
                                       || trim(p.given_names || ' ' || p.particle || ' '
                                               || p.family_name || ' ' || p.suffix || ' '
                                               || p.corporate_name) END AS name
                      FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                      WHERE au.article_id = a.id ORDER BY au.position, au.id)), '')
            || CASE WHEN a.citation_key <> '' THEN ' ' || char(57360) || ' ' || a.citation_key
                    ELSE '' END,
        a.abstract
    FROM catalogue_article a WHERE a.id IN (SELECT NEW.article_id UNION SELECT OLD.article_id);
    INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, replace(f.title || ' ' || f.keywords || ' '
        || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 3)
        ELSE f.authors END, char(57360), ' ')
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid
    WHERE f.rowid IN (SELECT NEW.article_id UNION SELECT OLD.article_id);
    UPDATE catalogue_search_state SET generation = abs(random());
 END;
CREATE TRIGGER catalogue_authorship_search_delete AFTER DELETE ON catalogue_authorship FOR EACH ROW BEGIN
    DELETE FROM catalogue_search_fts WHERE rowid IN (SELECT OLD.article_id);
    DELETE FROM catalogue_search_words WHERE rowid IN (SELECT OLD.article_id);
    INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(term, ' ' || char(57360) || ' ') FROM (
                      SELECT k.term FROM catalogue_article_keywords ak
                      JOIN catalogue_keyword k ON k.id = ak.keyword_id
                      WHERE ak.article_id = a.id ORDER BY ak.id)), ''),
        coalesce((SELECT group_concat(name, ' ' || char(57360) || ' ') FROM (
                      SELECT trim(au.given_names || ' ' || au.particle || ' ' || au.family_name
                                  || ' ' || au.suffix || ' ' || au.corporate_name)
                          || CASE WHEN au.given_names = p.given_names
                                       AND au.particle = p.particle
                                       AND au.family_name = p.family_name
                                       AND au.suffix = p.suffix
                                       AND au.corporate_name = p.corporate_name
                                  THEN ''
                                  ELSE ' ' || char(57360) || ' '
                                       || trim(p.given_names || ' ' || p.particle || ' '
                                               || p.family_name || ' ' || p.suffix || ' '
                                               || p.corporate_name) END AS name
                      FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                      WHERE au.article_id = a.id ORDER BY au.position, au.id)), '')
            || CASE WHEN a.citation_key <> '' THEN ' ' || char(57360) || ' ' || a.citation_key
                    ELSE '' END,
        a.abstract
    FROM catalogue_article a WHERE a.id IN (SELECT OLD.article_id);
    INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, replace(f.title || ' ' || f.keywords || ' '
        || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 3)
        ELSE f.authors END, char(57360), ' ')
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid
    WHERE f.rowid IN (SELECT OLD.article_id);
    UPDATE catalogue_search_state SET generation = abs(random());
 END;
CREATE TRIGGER catalogue_article_keywords_search_insert AFTER INSERT ON catalogue_article_keywords FOR EACH ROW BEGIN
    DELETE FROM catalogue_search_fts WHERE rowid IN (SELECT NEW.article_id);
    DELETE FROM catalogue_search_words WHERE rowid IN (SELECT NEW.article_id);
    INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(term, ' ' || char(57360) || ' ') FROM (
                      SELECT k.term FROM catalogue_article_keywords ak
                      JOIN catalogue_keyword k ON k.id = ak.keyword_id
                      WHERE ak.article_id = a.id ORDER BY ak.id)), ''),
        coalesce((SELECT group_concat(name, ' ' || char(57360) || ' ') FROM (
                      SELECT trim(au.given_names || ' ' || au.particle || ' ' || au.family_name
                                  || ' ' || au.suffix || ' ' || au.corporate_name)
                          || CASE WHEN au.given_names = p.given_names
                                       AND au.particle = p.particle
                                       AND au.family_name = p.family_name
                                       AND au.suffix = p.suffix
                                       AND au.corporate_name = p.corporate_name
                                  THEN ''
                                  ELSE ' ' || char(57360) || ' '
                                       || trim(p.given_names || ' ' || p.particle || ' '
                                               || p.family_name || ' ' || p.suffix || ' '
                                               || p.corporate_name) END AS name
                      FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                      WHERE au.article_id = a.id ORDER BY au.position, au.id)), '')
            || CASE WHEN a.citation_key <> '' THEN ' ' || char(57360) || ' ' || a.citation_key
                    ELSE '' END,
        a.abstract
    FROM catalogue_article a WHERE a.id IN (SELECT NEW.article_id);
    INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, replace(f.title || ' ' || f.keywords || ' '
        || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 3)
        ELSE f.authors END, char(57360), ' ')
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid
    WHERE f.rowid IN (SELECT NEW.article_id);
    UPDATE catalogue_search_state SET generation = abs(random());
 END;
CREATE TRIGGER catalogue_article_keywords_search_delete AFTER DELETE ON catalogue_article_keywords FOR EACH ROW BEGIN
    DELETE FROM catalogue_search_fts WHERE rowid IN (SELECT OLD.article_id);
    DELETE FROM catalogue_search_words WHERE rowid IN (SELECT OLD.article_id);
    INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(term, ' ' || char(57360) || ' ') FROM (
                      SELECT k.term FROM catalogue_article_keywords ak
                      JOIN catalogue_keyword k ON k.id = ak.keyword_id
                      WHERE ak.article_id = a.id ORDER BY ak.id)), ''),
        coalesce((SELECT group_concat(name, ' ' || char(57360) || ' ') FROM (
                      SELECT trim(au.given_names || ' ' || au.particle || ' ' || au.family_name
                                  || ' ' || au.suffix || ' ' || au.corporate_name)
                          || CASE WHEN au.given_names = p.given_names
                                       AND au.particle = p.particle
                                       AND au.family_name = p.family_name
                                       AND au.suffix = p.suffix
                                       AND au.corporate_name = p.corporate_name
                                  THEN ''
                                  ELSE ' ' || char(57360) || ' '
                                       || trim(p.given_names || ' ' || p.particle || ' '
                                               || p.family_name || ' ' || p.suffix || ' '
                                               || p.corporate_name) END AS name
                      FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                      WHERE au.article_id = a.id ORDER BY au.position, au.id)), '')
            || CASE WHEN a.citation_key <> '' THEN ' ' || char(57360) || ' ' || a.citation_key
                    ELSE '' END,
        a.abstract
    FROM catalogue_article a WHERE a.id IN (SELECT OLD.article_id);
    INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, replace(f.title || ' ' || f.keywords || ' '
        || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 3)
        ELSE f.authors END, char(57360), ' ')
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid
    WHERE f.rowid IN (SELECT OLD.article_id);
    UPDATE catalogue_search_state SET generation = abs(random());
 END;
CREATE TRIGGER catalogue_keyword_search_update AFTER UPDATE OF term ON catalogue_keyword FOR EACH ROW BEGIN
    DELETE FROM catalogue_search_fts WHERE rowid IN (SELECT article_id FROM catalogue_article_keywords WHERE keyword_id = NEW.id);
    DELETE FROM catalogue_search_words WHERE rowid IN (SELECT article_id FROM catalogue_article_keywords WHERE keyword_id = NEW.id);
    INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(term, ' ' || char(57360) || ' ') FROM (
                      SELECT k.term FROM catalogue_article_keywords ak
                      JOIN catalogue_keyword k ON k.id = ak.keyword_id
                      WHERE ak.article_id = a.id ORDER BY ak.id)), ''),
        coalesce((SELECT group_concat(name, ' ' || char(57360) || ' ') FROM (
                      SELECT trim(au.given_names || ' ' || au.particle || ' ' || au.family_name
                                  || ' ' || au.suffix || ' ' || au.corporate_name)
                          || CASE WHEN au.given_names = p.given_names
                                       AND au.particle = p.particle
                                       AND au.family_name = p.family_name
                                       AND au.suffix = p.suffix
                                       AND au.corporate_name = p.corporate_name
                                  THEN ''
                                  ELSE ' ' || char(57360) || ' '
                                       || trim(p.given_names || ' ' || p.particle || ' '
                                               || p.family_name || ' ' || p.suffix || ' '
                                               || p.corporate_name) END AS name
                      FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                      WHERE au.article_id = a.id ORDER BY au.position, au.id)), '')
            || CASE WHEN a.citation_key <> '' THEN ' ' || char(57360) || ' ' || a.citation_key
                    ELSE '' END,
        a.abstract
    FROM catalogue_article a WHERE a.id IN (SELECT article_id FROM catalogue_article_keywords WHERE keyword_id = NEW.id);
    INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, replace(f.title || ' ' || f.keywords || ' '
        || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 3)
        ELSE f.authors END, char(57360), ' ')
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid
    WHERE f.rowid IN (SELECT article_id FROM catalogue_article_keywords WHERE keyword_id = NEW.id);
    UPDATE catalogue_search_state SET generation = abs(random());
 END;
CREATE TRIGGER catalogue_author_search_update AFTER UPDATE OF given_names, particle, family_name, suffix, corporate_name ON catalogue_author FOR EACH ROW BEGIN
    DELETE FROM catalogue_search_fts WHERE rowid IN (SELECT article_id FROM catalogue_authorship WHERE author_id = NEW.id);
    DELETE FROM catalogue_search_words WHERE rowid IN (SELECT article_id FROM catalogue_authorship WHERE author_id = NEW.id);
    INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(term, ' ' || char(57360) || ' ') FROM (
                      SELECT k.term FROM catalogue_article_keywords ak
                      JOIN catalogue_keyword k ON k.id = ak.keyword_id
                      WHERE ak.article_id = a.id ORDER BY ak.id)), ''),
        coalesce((SELECT group_concat(name, ' ' || char(57360) || ' ') FROM (
                      SELECT trim(au.given_names || ' ' || au.particle || ' ' || au.family_name
                                  || ' ' || au.suffix || ' ' || au.corporate_name)
                          || CASE WHEN au.given_names = p.given_names
                                       AND au.particle = p.particle
                                       AND au.family_name = p.family_name
                                       AND au.suffix = p.suffix
                                       AND au.corporate_name = p.corporate_name
                                  THEN ''
                                  ELSE ' ' || char(57360) || ' '
                                       || trim(p.given_names || ' ' || p.particle || ' '
                                               || p.family_name || ' ' || p.suffix || ' '
                                               || p.corporate_name) END AS name
                      FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                      WHERE au.article_id = a.id ORDER BY au.position, au.id)), '')
            || CASE WHEN a.citation_key <> '' THEN ' ' || char(57360) || ' ' || a.citation_key
                    ELSE '' END,
        a.abstract
    FROM catalogue_article a WHERE a.id IN (SELECT article_id FROM catalogue_authorship WHERE author_id = NEW.id);
    INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, replace(f.title || ' ' || f.keywords || ' '
        || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 3)
        ELSE f.authors END, char(57360), ' ')
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid
    WHERE f.rowid IN (SELECT article_id FROM catalogue_authorship WHERE author_id = NEW.id);
    UPDATE catalogue_search_state SET generation = abs(random());
 END;
CREATE TRIGGER catalogue_article_search_facets AFTER UPDATE ON catalogue_article FOR EACH ROW BEGIN UPDATE catalogue_search_state SET generation = abs(random()); END;
CREATE TRIGGER catalogue_article_subject_areas_search_insert AFTER INSERT ON catalogue_article_subject_areas FOR EACH ROW BEGIN UPDATE catalogue_search_state SET generation = abs(random()); END;
CREATE TRIGGER catalogue_article_subject_areas_search_delete AFTER DELETE ON catalogue_article_subject_areas FOR EACH ROW BEGIN UPDATE catalogue_search_state SET generation = abs(random()); END;
CREATE TRIGGER catalogue_journal_search_update AFTER UPDATE ON catalogue_journal FOR EACH ROW BEGIN UPDATE catalogue_search_state SET generation = abs(random()); END;
CREATE TRIGGER catalogue_subjectarea_search_update AFTER UPDATE ON catalogue_subjectarea FOR EACH ROW BEGIN UPDATE catalogue_search_state SET generation = abs(random()); END;
