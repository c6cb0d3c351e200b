-- Initial fill of the SQLite search index, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract) SELECT a.id, a.title, coalesce((SELECT group_concat(k.term, ' ') FROM catalogue_article_keywords ak JOIN catalogue_keyword k ON k.id = ak.keyword_id WHERE ak.article_id = a.id), ''), coalesce((SELECT group_concat(trim(p.given_names || ' ' || p.particle || ' ' || p.family_name || ' ' || p.suffix || ' ' || p.corporate_name), ' ') FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id WHERE au.article_id = a.id), ''), a.abstract FROM catalogue_article a;
INSERT INTO catalogue_search_words (rowid, words) SELECT rowid, title || ' ' || keywords || ' ' || authors FROM catalogue_search_fts;
