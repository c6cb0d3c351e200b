-- View catalogue_search_source, version 2: installed by migration 0018_search_printed_names.
-- Version 1 with the names of each authorship as printed (catalogue_authorship's own name
-- parts, migration 0016) followed by its person's name (catalogue_author) when that differs, so
-- that any form finds the record ("P Nguyen" printed, "Patrick Nguyen" the person); and the
-- record's citation key (catalogue_article.citation_key) after the names, also weight D. Names
-- are in authorship order. A record whose printed names are its people's and that has no key
-- gets the same document as version 1. The key is not in the vocabulary ("did you mean").
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- One row per article as it should be indexed now.
CREATE OR REPLACE VIEW catalogue_search_source AS
SELECT
    a.id AS article_id,
    setweight(to_tsvector('catalogue', a.title), 'A')
        || setweight(to_tsvector('catalogue', coalesce(k.terms, '')), 'B')
        || setweight(to_tsvector('catalogue', a.abstract), 'C')
        || setweight(to_tsvector('catalogue', coalesce(w.names, '')), 'D')
        || setweight(to_tsvector('catalogue', a.citation_key), 'D') AS document,
    (hashint8(a.id) & 1023)::smallint AS sample,
    a.year::smallint AS year,
    CASE WHEN a.year IS NULL THEN NULL
         ELSE a.year * 10000 + coalesce(a.month, 0) * 100 + coalesce(a.day, 0) END AS date_key,
    a.output_type,
    a.language,
    a.peer_reviewed,
    a.journal_id,
    coalesce(k.ids, '{}') AS keyword_ids,
    coalesce(w.ids, '{}') AS author_ids,
    coalesce(s.ids, '{}') AS subject_ids,
    left(catalogue_fold(regexp_replace(a.title, '<[^>]*>', '', 'g')), 120) AS title_key,
    array(
        SELECT DISTINCT word
        FROM unnest(tsvector_to_array(to_tsvector('simple',
            regexp_replace(a.title, '<[^>]*>', ' ', 'g')
            || ' ' || coalesce(k.terms, '') || ' ' || coalesce(w.names, '')))) AS word
        WHERE length(word) BETWEEN 3 AND 40 AND word !~ '^[0-9._-]+$'
    ) AS vocabulary
FROM catalogue_article a
LEFT JOIN LATERAL (
    SELECT array_agg(ak.keyword_id ORDER BY ak.keyword_id) AS ids,
           string_agg(kw.term, ' ') AS terms
    FROM catalogue_article_keywords ak
    JOIN catalogue_keyword kw ON kw.id = ak.keyword_id
    WHERE ak.article_id = a.id
) k ON true
LEFT JOIN LATERAL (
    SELECT array_agg(DISTINCT au.author_id) AS ids,
           string_agg(
               concat_ws(' ', nullif(au.given_names, ''), nullif(au.particle, ''),
                         nullif(au.family_name, ''), nullif(au.suffix, ''),
                         nullif(au.corporate_name, ''))
               || CASE WHEN (au.given_names, au.particle, au.family_name, au.suffix,
                             au.corporate_name)
                            IS NOT DISTINCT FROM
                            (p.given_names, p.particle, p.family_name, p.suffix,
                             p.corporate_name)
                       THEN ''
                       ELSE ' ' || concat_ws(' ', nullif(p.given_names, ''),
                                             nullif(p.particle, ''), nullif(p.family_name, ''),
                                             nullif(p.suffix, ''), nullif(p.corporate_name, ''))
                  END,
               ' ' ORDER BY au.position, au.id) AS names
    FROM catalogue_authorship au
    JOIN catalogue_author p ON p.id = au.author_id
    WHERE au.article_id = a.id
) w ON true
LEFT JOIN LATERAL (
    SELECT array_agg(sa.subjectarea_id ORDER BY sa.subjectarea_id) AS ids
    FROM catalogue_article_subject_areas sa
    WHERE sa.article_id = a.id
) s ON true;
