-- Fill of the SQLite search index, version 2: loaded by migration 0018_search_printed_names.
-- Rewrites every article's FTS rows as the triggers of version 2 write them: the authors column
-- with the printed names, the people's names where they differ, and the citation key.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DELETE FROM catalogue_search_fts;
DELETE FROM catalogue_search_words;
INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(k.term, ' ') FROM catalogue_article_keywords ak
                  JOIN catalogue_keyword k ON k.id = ak.keyword_id
                  WHERE ak.article_id = a.id), ''),
        coalesce((SELECT group_concat(
                      trim(au.given_names || ' ' || au.particle || ' ' || au.family_name
                           || ' ' || au.suffix || ' ' || au.corporate_name)
                      || CASE WHEN au.given_names = p.given_names AND au.particle = p.particle
                                   AND au.family_name = p.family_name AND au.suffix = p.suffix
                                   AND au.corporate_name = p.corporate_name
                              THEN ''
                              ELSE ' ' || trim(p.given_names || ' ' || p.particle || ' '
                                               || p.family_name || ' ' || p.suffix || ' '
                                               || p.corporate_name) END, ' ')
                  FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                  WHERE au.article_id = a.id), '')
            || CASE WHEN a.citation_key <> '' THEN ' ' || a.citation_key ELSE '' END,
        a.abstract
    FROM catalogue_article a;
INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, f.title || ' ' || f.keywords || ' ' || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 1)
        ELSE f.authors END
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid;
UPDATE catalogue_search_state SET generation = abs(random());
