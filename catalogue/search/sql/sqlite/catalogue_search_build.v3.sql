-- Fill of the SQLite search index, version 3: loaded by migration 0028_search_phrase_boundaries.
-- Rewrites every article's FTS rows as the triggers of version 3 write them: keywords, names and
-- the citation key each joined by the separator " U+E010 ", so no phrase runs across two.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DELETE FROM catalogue_search_fts;
DELETE FROM catalogue_search_words;
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
    FROM catalogue_article a;
INSERT INTO catalogue_search_words (rowid, words)
    SELECT f.rowid, replace(f.title || ' ' || f.keywords || ' '
        || CASE WHEN a.citation_key <> ''
        THEN substr(f.authors, 1, length(f.authors) - length(a.citation_key) - 3)
        ELSE f.authors END, char(57360), ' ')
    FROM catalogue_search_fts f JOIN catalogue_article a ON a.id = f.rowid;
UPDATE catalogue_search_state SET generation = abs(random());
