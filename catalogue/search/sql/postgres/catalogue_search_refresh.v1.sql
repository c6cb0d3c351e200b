-- Function catalogue_search_refresh, version 1: installed by migration 0004_search; replaced by version 2.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- Re-index the given articles now; return how many index rows changed.
-- `counts` false leaves catalogue_search_facet alone (a bulk flush recounts it once instead).
-- A custom plan for every call: a cached generic plan does not know how few ids it gets and
-- may scan whole tables.
CREATE OR REPLACE FUNCTION catalogue_search_refresh(ids bigint[], counts boolean DEFAULT true)
    RETURNS integer
    LANGUAGE plpgsql
    SET plan_cache_mode = force_custom_plan
    AS $$
DECLARE
    changed integer;
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN 0;
    END IF;
    WITH fresh AS MATERIALIZED (
        SELECT * FROM catalogue_search_source WHERE article_id = ANY (ids)
    ),
    stale AS MATERIALIZED (
        SELECT * FROM catalogue_search WHERE article_id = ANY (ids) ORDER BY article_id FOR UPDATE
    ),
    new_rows AS MATERIALIZED (
        SELECT f.* FROM fresh f LEFT JOIN stale o USING (article_id)
        WHERE o.article_id IS NULL
           OR (f.document, f.year, f.date_key, f.output_type, f.language, f.peer_reviewed,
               f.journal_id, f.keyword_ids, f.author_ids, f.subject_ids, f.title_key)
              IS DISTINCT FROM
              (o.document, o.year, o.date_key, o.output_type, o.language, o.peer_reviewed,
               o.journal_id, o.keyword_ids, o.author_ids, o.subject_ids, o.title_key)
    ),
    old_rows AS MATERIALIZED (
        SELECT o.* FROM stale o
        WHERE NOT EXISTS (SELECT 1 FROM fresh f WHERE f.article_id = o.article_id)
           OR EXISTS (SELECT 1 FROM new_rows n WHERE n.article_id = o.article_id)
    ),
    written AS (
        INSERT INTO catalogue_search
        SELECT article_id, document, sample, year, date_key, output_type, language,
               peer_reviewed, journal_id, keyword_ids, author_ids, subject_ids, title_key
        FROM new_rows ORDER BY article_id
        ON CONFLICT (article_id) DO UPDATE SET
            document = excluded.document, sample = excluded.sample, year = excluded.year,
            date_key = excluded.date_key, output_type = excluded.output_type,
            language = excluded.language, peer_reviewed = excluded.peer_reviewed,
            journal_id = excluded.journal_id, keyword_ids = excluded.keyword_ids,
            author_ids = excluded.author_ids, subject_ids = excluded.subject_ids,
            title_key = excluded.title_key
        RETURNING 1
    ),
    removed AS (
        DELETE FROM catalogue_search s
        WHERE s.article_id IN (SELECT article_id FROM stale)
          AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.article_id = s.article_id)
        RETURNING 1
    ),
    words AS (
        INSERT INTO catalogue_search_word (word)
        SELECT DISTINCT word FROM new_rows, unnest(vocabulary) AS word
        ON CONFLICT DO NOTHING
    ),
    delta AS (
        SELECT v.facet, v.value, sum(d.sign) AS change
        FROM (
            SELECT 1 AS sign, (article_id, document, sample, year, date_key, output_type,
                   language, peer_reviewed, journal_id, keyword_ids, author_ids, subject_ids,
                   title_key)::catalogue_search AS r
            FROM new_rows
            UNION ALL
            SELECT -1, (article_id, document, sample, year, date_key, output_type, language,
                   peer_reviewed, journal_id, keyword_ids, author_ids, subject_ids,
                   title_key)::catalogue_search
            FROM old_rows
        ) d
        CROSS JOIN LATERAL catalogue_search_facet_values(d.r) v
        GROUP BY v.facet, v.value
        HAVING sum(d.sign) <> 0
    ),
    counted AS (
        INSERT INTO catalogue_search_facet (facet, value, count)
        SELECT facet, value, change FROM delta WHERE counts ORDER BY facet, value
        ON CONFLICT (facet, value) DO UPDATE SET count = catalogue_search_facet.count + excluded.count
    )
    SELECT (SELECT count(*) FROM written) + (SELECT count(*) FROM removed) INTO changed;
    IF changed > 0 THEN
        UPDATE catalogue_search_state SET generation = nextval('catalogue_search_generation') WHERE id = 1;
    END IF;
    RETURN changed;
END
$$;
