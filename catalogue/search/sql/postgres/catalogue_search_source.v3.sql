-- View catalogue_search_source, version 3, and function catalogue_search_document, version 1:
-- installed by migration 0028_search_phrase_boundaries.
-- Version 2 with a phrase kept within one value: the document is joined from one vector per
-- value (the title; each keyword, in the order it was attached; the abstract; each
-- authorship's name as printed and, when it differs, its person's name, in authorship order;
-- the citation key) with a gap of unused positions between two values, so that no phrase the
-- search box can send (`<->` or `<N>`) runs from the end of one value into the next. Version 2
-- concatenated the fields with their positions running on, and the keywords and names each as
-- one string (the keywords in no set order): "learning neural" matched a title ending
-- "... deep learning" whose first keyword was "neural networks". Lexemes and weights are those
-- of version 2 (only positions change), so a search without a phrase finds the same articles.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- An article's document from its values: the title (weight A), the keywords (B), the abstract
-- (C), the names (D) and the citation key (D), each value's vector joined to the previous one
-- with `gap` unused positions between them: 400, more than any phrase can span (a phrase is at
-- most 400 characters, catalogue.search.query, and the parser makes no more positions than
-- characters; tests/test_search_phrases.py checks both). A tsvector has positions up to
-- 16,383 (later ones all at 16,383, where no phrase matches them): a document whose values
-- would not fit with that gap gets the largest gap that fits, none when its words alone fill
-- the positions (as version 2). The gaps are made by a marker lexeme, a space (which the
-- parser never makes): `||` shifts its right side past the left side's last position, the
-- marker's included; the marker is removed at the end. The values' characters bound their
-- positions, so the exact count (an unnest of the vector, 0.16 ms a document) is read only
-- for the few documents that might not fit.
CREATE OR REPLACE FUNCTION catalogue_search_document(
    title text, keywords text[], abstract text, names text[], citation_key text
) RETURNS tsvector
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    AS $$
DECLARE
    texts text[] := ARRAY[title] || coalesce(keywords, '{}') || ARRAY[abstract]
        || coalesce(names, '{}') || ARRAY[citation_key];
    weights "char"[] := ARRAY['A']::"char"[]
        || array_fill('B'::"char", ARRAY[cardinality(coalesce(keywords, '{}'))])
        || ARRAY['C']::"char"[]
        || array_fill('D'::"char", ARRAY[cardinality(coalesce(names, '{}')) + 1]);
    parts tsvector[] := '{}';
    part tsvector;
    characters integer := 0;
    gap integer := 400;
    used integer;
    marker tsvector;
    joined tsvector;
BEGIN
    FOR i IN 1 .. cardinality(texts) LOOP
        part := setweight(to_tsvector('catalogue', coalesce(texts[i], '')), weights[i]);
        IF length(part) > 0 THEN
            parts := parts || part;
            characters := characters + length(texts[i]);
        END IF;
    END LOOP;
    IF cardinality(parts) < 2 THEN
        RETURN coalesce(parts[1], ''::tsvector);
    END IF;
    IF characters + gap * (cardinality(parts) - 1) > 16383 THEN
        joined := '';
        FOREACH part IN ARRAY parts LOOP
            joined := joined || part;
        END LOOP;
        SELECT max(p) INTO used FROM unnest(joined) AS u, unnest(u.positions) AS p;
        gap := least(gap, (16383 - used) / (cardinality(parts) - 1));
        IF gap < 1 THEN
            RETURN joined;
        END IF;
    END IF;
    marker := format('%L:%s', ' ', gap)::tsvector;
    joined := parts[1];
    FOR i IN 2 .. cardinality(parts) LOOP
        joined := joined || marker || parts[i];
    END LOOP;
    RETURN ts_delete(joined, ' ');
END
$$;

-- One row per article as it should be indexed now.
CREATE OR REPLACE VIEW catalogue_search_source AS
SELECT
    a.id AS article_id,
    catalogue_search_document(a.title, k.terms, a.abstract, w.names, a.citation_key)
        AS document,
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
            || ' ' || coalesce(array_to_string(k.terms, ' '), '') || ' '
            || coalesce(array_to_string(w.names, ' '), '')))) AS word
        WHERE length(word) BETWEEN 3 AND 40 AND word !~ '^[0-9._-]+$'
    ) AS vocabulary
FROM catalogue_article a
LEFT JOIN LATERAL (
    SELECT array_agg(ak.keyword_id ORDER BY ak.keyword_id) AS ids,
           array_agg(kw.term ORDER BY ak.id) AS terms
    FROM catalogue_article_keywords ak
    JOIN catalogue_keyword kw ON kw.id = ak.keyword_id
    WHERE ak.article_id = a.id
) k ON true
LEFT JOIN LATERAL (
    -- One row per form of a name: the printed one (form 1), the person's when it differs (2).
    SELECT array_agg(DISTINCT au.author_id) AS ids,
           array_agg(f.name ORDER BY au.position, au.id, f.form) AS names
    FROM catalogue_authorship au
    JOIN catalogue_author p ON p.id = au.author_id
    CROSS JOIN LATERAL (
        VALUES
            (1, concat_ws(' ', nullif(au.given_names, ''), nullif(au.particle, ''),
                          nullif(au.family_name, ''), nullif(au.suffix, ''),
                          nullif(au.corporate_name, ''))),
            (2, CASE WHEN (au.given_names, au.particle, au.family_name, au.suffix,
                           au.corporate_name)
                          IS NOT DISTINCT FROM
                          (p.given_names, p.particle, p.family_name, p.suffix,
                           p.corporate_name)
                     THEN NULL
                     ELSE concat_ws(' ', nullif(p.given_names, ''), nullif(p.particle, ''),
                                    nullif(p.family_name, ''), nullif(p.suffix, ''),
                                    nullif(p.corporate_name, '')) END)
    ) AS f (form, name)
    WHERE au.article_id = a.id AND f.name IS NOT NULL
) w ON true
LEFT JOIN LATERAL (
    SELECT array_agg(sa.subjectarea_id ORDER BY sa.subjectarea_id) AS ids
    FROM catalogue_article_subject_areas sa
    WHERE sa.article_id = a.id
) s ON true;
