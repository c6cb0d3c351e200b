"""The search index, kept current by database triggers on every write path.

PostgreSQL: `catalogue_search` is a narrow table with one row per article: a weighted
tsvector (title A, keywords B, abstract C, author names D) and the facet columns, the
keyword/author/subject ids denormalised into arrays with GIN indexes. Statement-level
triggers on the article, authorship, link, keyword and author tables refresh the rows of
the articles a statement touched (set-based, so COPY and bulk_create cost one refresh per
statement); a statement touching more than `catalogue.search_defer_rows` articles (default
1000) queues them and they are indexed once, when the transaction commits (or at
SET CONSTRAINTS ALL IMMEDIATE). `catalogue_search_facet` holds the facet counts of the
whole catalogue, maintained by the same refresh, for the browse-everything page.
`catalogue_search_word` is the vocabulary for "did you mean" (pg_trgm).

SQLite: FTS5 tables (porter stemming, diacritics removed) maintained by row triggers.

Both: `catalogue_search_state.generation` takes a new, never reused value on every change, for
cache keys.
"""

from django.db import migrations

# --- PostgreSQL ------------------------------------------------------------------------------

POSTGRES_SETUP = r"""
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- unaccent() is only STABLE (it reads its dictionary by name); this wrapper names the
-- dictionary explicitly so that it can be IMMUTABLE and used in indexes.
CREATE OR REPLACE FUNCTION catalogue_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

-- English stemming after removing accents: "Flückiger" and "fluckiger" are one lexeme.
CREATE TEXT SEARCH CONFIGURATION catalogue (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION catalogue
    ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, english_stem;

-- The generation names the index's state for caches: a new value from a sequence on every
-- change, never reused even when a transaction rolls back.
CREATE SEQUENCE catalogue_search_generation;
CREATE TABLE catalogue_search_state (
    id integer PRIMARY KEY CHECK (id = 1),
    generation bigint NOT NULL
);
INSERT INTO catalogue_search_state VALUES (1, nextval('catalogue_search_generation'));

CREATE TABLE catalogue_search (
    article_id bigint PRIMARY KEY,
    document tsvector NOT NULL,
    sample smallint NOT NULL,
    year smallint,
    date_key integer,
    output_type varchar(30) NOT NULL,
    language varchar(3) NOT NULL,
    peer_reviewed boolean NOT NULL,
    journal_id bigint,
    keyword_ids bigint[] NOT NULL,
    author_ids bigint[] NOT NULL,
    subject_ids bigint[] NOT NULL,
    title_key text NOT NULL
) WITH (toast_tuple_target = 128, fillfactor = 90);
-- The document goes to TOAST so that facet scans read ~200-byte rows; the arrays stay inline.
ALTER TABLE catalogue_search ALTER COLUMN keyword_ids SET STORAGE MAIN;
ALTER TABLE catalogue_search ALTER COLUMN author_ids SET STORAGE MAIN;
ALTER TABLE catalogue_search ALTER COLUMN subject_ids SET STORAGE MAIN;
ALTER TABLE catalogue_search ALTER COLUMN title_key SET STORAGE MAIN;

CREATE TABLE catalogue_search_facet (
    facet varchar(16) NOT NULL,
    value text NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (facet, value)
);

CREATE TABLE catalogue_search_word (word text PRIMARY KEY);

CREATE TABLE catalogue_search_pending (
    id bigserial PRIMARY KEY,
    article_ids bigint[] NOT NULL
);

-- One row per article as it should be indexed now.
CREATE VIEW catalogue_search_source AS
SELECT
    a.id AS article_id,
    setweight(to_tsvector('catalogue', a.title), 'A')
        || setweight(to_tsvector('catalogue', coalesce(k.terms, '')), 'B')
        || setweight(to_tsvector('catalogue', a.abstract), 'C')
        || setweight(to_tsvector('catalogue', coalesce(w.names, '')), 'D') AS document,
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
           string_agg(concat_ws(' ', nullif(p.given_names, ''), nullif(p.particle, ''),
                                nullif(p.family_name, ''), nullif(p.suffix, ''),
                                nullif(p.corporate_name, '')), ' ') AS names
    FROM catalogue_authorship au
    JOIN catalogue_author p ON p.id = au.author_id
    WHERE au.article_id = a.id
) w ON true
LEFT JOIN LATERAL (
    SELECT array_agg(sa.subjectarea_id ORDER BY sa.subjectarea_id) AS ids
    FROM catalogue_article_subject_areas sa
    WHERE sa.article_id = a.id
) s ON true;

-- (facet, value) pairs of an indexed row, for the whole-catalogue facet counts.
CREATE FUNCTION catalogue_search_facet_values(r catalogue_search)
    RETURNS TABLE (facet text, value text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 'total', '*'
    UNION ALL SELECT 'year', r.year::text WHERE r.year IS NOT NULL
    UNION ALL SELECT 'type', r.output_type
    UNION ALL SELECT 'language', r.language WHERE r.language <> ''
    UNION ALL SELECT 'peer_reviewed', r.peer_reviewed::text
    UNION ALL SELECT 'journal', r.journal_id::text WHERE r.journal_id IS NOT NULL
    UNION ALL SELECT 'keyword', unnest(r.keyword_ids)::text
    UNION ALL SELECT 'author', unnest(r.author_ids)::text
    UNION ALL SELECT 'subject', unnest(r.subject_ids)::text
$$;

-- Re-index the given articles now; return how many index rows changed.
-- `counts` false leaves catalogue_search_facet alone (a bulk flush recounts it once instead).
-- A custom plan for every call: a cached generic plan does not know how few ids it gets and
-- may scan whole tables.
CREATE FUNCTION catalogue_search_refresh(ids bigint[], counts boolean DEFAULT true)
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

-- The secondary indexes of catalogue_search, dropped around a bulk flush: building them once
-- afterwards costs a fraction of maintaining them row by row.
CREATE FUNCTION catalogue_search_create_indexes() RETURNS void
    LANGUAGE plpgsql
    SET maintenance_work_mem = '512MB'
    AS $$
BEGIN
    CREATE INDEX IF NOT EXISTS catalogue_search_document ON catalogue_search USING gin (document);
    CREATE INDEX IF NOT EXISTS catalogue_search_keyword_ids ON catalogue_search
        USING gin (keyword_ids);
    CREATE INDEX IF NOT EXISTS catalogue_search_author_ids ON catalogue_search
        USING gin (author_ids);
    CREATE INDEX IF NOT EXISTS catalogue_search_subject_ids ON catalogue_search
        USING gin (subject_ids);
    CREATE INDEX IF NOT EXISTS catalogue_search_journal ON catalogue_search (journal_id, date_key);
    CREATE INDEX IF NOT EXISTS catalogue_search_year ON catalogue_search (year);
    CREATE INDEX IF NOT EXISTS catalogue_search_newest ON catalogue_search
        (date_key DESC NULLS LAST, article_id DESC);
    CREATE INDEX IF NOT EXISTS catalogue_search_oldest ON catalogue_search
        (date_key ASC NULLS LAST, article_id ASC);
    CREATE INDEX IF NOT EXISTS catalogue_search_title ON catalogue_search (title_key, article_id);
    CREATE INDEX IF NOT EXISTS catalogue_search_sample ON catalogue_search (sample);
END
$$;

CREATE FUNCTION catalogue_search_drop_indexes() RETURNS void
    LANGUAGE sql AS $$
    DROP INDEX IF EXISTS catalogue_search_document, catalogue_search_keyword_ids,
        catalogue_search_author_ids, catalogue_search_subject_ids, catalogue_search_journal,
        catalogue_search_year, catalogue_search_newest, catalogue_search_oldest,
        catalogue_search_title, catalogue_search_sample;
$$;

-- Recount the whole catalogue's facets from the index.
CREATE FUNCTION catalogue_search_recount() RETURNS void
    LANGUAGE sql AS $$
    DELETE FROM catalogue_search_facet;
    INSERT INTO catalogue_search_facet (facet, value, count)
    SELECT v.facet, v.value, count(*) FROM catalogue_search s
    CROSS JOIN LATERAL catalogue_search_facet_values(s) v
    GROUP BY v.facet, v.value;
$$;

-- Index the queued articles (see catalogue_search_touch) in chunks; return rows changed.
-- A bulk flush (more than `catalogue.search_bulk_rows`, default 20,000, articles and a fifth
-- of the index) drops the secondary
-- indexes, writes the rows, rebuilds the indexes and recounts the facets once: readers of
-- catalogue_search wait for the transaction, as they already wait for a bulk load's locks.
CREATE FUNCTION catalogue_search_flush() RETURNS integer
    LANGUAGE plpgsql AS $$
DECLARE
    queued bigint[];
    changed integer := 0;
    first integer;
    bulk boolean;
BEGIN
    WITH taken AS (DELETE FROM catalogue_search_pending RETURNING article_ids)
    SELECT array_agg(DISTINCT id ORDER BY id) INTO queued FROM taken, unnest(article_ids) AS id;
    IF queued IS NULL THEN
        RETURN 0;
    END IF;
    bulk := cardinality(queued) > greatest(
        coalesce(nullif(current_setting('catalogue.search_bulk_rows', true), '')::integer, 20000),
        (SELECT reltuples FROM pg_class WHERE oid = 'catalogue_search'::regclass) / 5
    );
    IF bulk THEN
        -- Tables just filled by the same transaction have no statistics yet.
        ANALYZE catalogue_article, catalogue_authorship, catalogue_author, catalogue_keyword,
            catalogue_article_keywords, catalogue_article_subject_areas;
        PERFORM catalogue_search_drop_indexes();
    END IF;
    FOR first IN 1 .. cardinality(queued) BY 5000 LOOP
        changed := changed + catalogue_search_refresh(queued[first:first + 4999], NOT bulk);
    END LOOP;
    IF bulk THEN
        PERFORM catalogue_search_create_indexes();
        PERFORM catalogue_search_recount();
        ANALYZE catalogue_search;
    END IF;
    RETURN changed;
END
$$;

-- Re-index now, or for a bulk statement queue the ids until the transaction commits.
CREATE FUNCTION catalogue_search_touch(ids bigint[]) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    IF cardinality(ids) > coalesce(
        nullif(current_setting('catalogue.search_defer_rows', true), '')::integer, 1000
    ) THEN
        INSERT INTO catalogue_search_pending (article_ids) VALUES (ids);
    ELSE
        PERFORM catalogue_search_refresh(ids);
    END IF;
END
$$;

CREATE FUNCTION catalogue_search_pending_flush() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalogue_search_flush();
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER catalogue_search_pending_flush
    AFTER INSERT ON catalogue_search_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION catalogue_search_pending_flush();

-- Statement-level: one call per INSERT/UPDATE/DELETE/COPY with every touched article id.
-- TG_ARGV[0] is the column holding the article id in the changed table.
CREATE FUNCTION catalogue_search_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM old_rows', TG_ARGV[0]) INTO ids;
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE format(
            'SELECT array_agg(DISTINCT x) FROM (SELECT %1$I AS x FROM old_rows '
            'UNION ALL SELECT %1$I FROM new_rows) AS changed', TG_ARGV[0]) INTO ids;
    ELSE
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM new_rows', TG_ARGV[0]) INTO ids;
    END IF;
    PERFORM catalogue_search_touch(ids);
    RETURN NULL;
END
$$;

CREATE FUNCTION catalogue_search_keyword_renamed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalogue_search_touch(array(
        SELECT DISTINCT ak.article_id
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN catalogue_article_keywords ak ON ak.keyword_id = n.id
        WHERE n.term IS DISTINCT FROM o.term));
    RETURN NULL;
END
$$;

CREATE FUNCTION catalogue_search_author_renamed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalogue_search_touch(array(
        SELECT DISTINCT au.article_id
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN catalogue_authorship au ON au.author_id = n.id
        WHERE (n.given_names, n.particle, n.family_name, n.suffix, n.corporate_name)
              IS DISTINCT FROM
              (o.given_names, o.particle, o.family_name, o.suffix, o.corporate_name)));
    RETURN NULL;
END
$$;

-- Runs one search statement (catalogue/search/postgres.py, every value already quoted by the
-- driver) with settings of its own: work_mem 64MB (exact, not lossy, bitmaps over a million
-- rows: a lossy bitmap rechecks, so reads, every document on its pages), no sequential scans
-- (a scan reads every document; the GIN and btree indexes answer every search condition), no
-- JIT (compiling costs more than it saves here), no parallel workers (two cores serve several
-- requests), and random reads priced as the cached reads they are (fewer bitmap legs).
CREATE FUNCTION catalogue_search_run(statement text) RETURNS SETOF record
    LANGUAGE plpgsql
    SET work_mem = '64MB'
    SET enable_seqscan = off
    SET jit = off
    SET max_parallel_workers_per_gather = 0
    SET random_page_cost = 1.1
    AS $$
BEGIN
    RETURN QUERY EXECUTE statement;
END
$$;

CREATE FUNCTION catalogue_search_truncated() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE catalogue_search, catalogue_search_facet, catalogue_search_word,
             catalogue_search_pending;
    UPDATE catalogue_search_state SET generation = nextval('catalogue_search_generation') WHERE id = 1;
    RETURN NULL;
END
$$;
"""

# (table, article id column) for the statement triggers.
POSTGRES_WATCHED = [
    ("catalogue_article", "id"),
    ("catalogue_authorship", "article_id"),
    ("catalogue_article_keywords", "article_id"),
    ("catalogue_article_subject_areas", "article_id"),
]


def _postgres_triggers() -> str:
    statements = []
    for table, column in POSTGRES_WATCHED:
        for event, tables in [
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ]:
            statements.append(
                f"CREATE TRIGGER {table}_search_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION catalogue_search_changed('{column}');"
            )
    for table, function in [
        ("catalogue_keyword", "catalogue_search_keyword_renamed"),
        ("catalogue_author", "catalogue_search_author_renamed"),
    ]:
        statements.append(
            f"CREATE TRIGGER {table}_search_update AFTER UPDATE ON {table} "
            "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {function}();"
        )
    statements.append(
        "CREATE TRIGGER catalogue_article_search_truncate AFTER TRUNCATE ON catalogue_article "
        "FOR EACH STATEMENT EXECUTE FUNCTION catalogue_search_truncated();"
    )
    return "\n".join(statements)


# Fill the index for the rows already there, then build the indexes (faster than
# maintaining them row by row), then count the whole catalogue's facets.
POSTGRES_BUILD = r"""
SET LOCAL maintenance_work_mem = '512MB';
SET LOCAL jit = off;
ANALYZE catalogue_article, catalogue_authorship, catalogue_author, catalogue_keyword,
    catalogue_article_keywords, catalogue_article_subject_areas;

INSERT INTO catalogue_search
SELECT article_id, document, sample, year, date_key, output_type, language, peer_reviewed,
       journal_id, keyword_ids, author_ids, subject_ids, title_key
FROM catalogue_search_source ORDER BY article_id;

INSERT INTO catalogue_search_word (word)
SELECT DISTINCT word FROM catalogue_search_source, unnest(vocabulary) AS word;

SELECT catalogue_search_create_indexes();
CREATE INDEX catalogue_search_facet_top ON catalogue_search_facet (facet, count DESC, value);
CREATE INDEX catalogue_search_word_trgm ON catalogue_search_word USING gin (word gin_trgm_ops);

SELECT catalogue_search_recount();

ANALYZE catalogue_search;
ANALYZE catalogue_search_facet;
ANALYZE catalogue_search_word;
"""

POSTGRES_TEARDOWN = r"""
DROP TRIGGER IF EXISTS catalogue_article_search_truncate ON catalogue_article;
DROP TRIGGER IF EXISTS catalogue_keyword_search_update ON catalogue_keyword;
DROP TRIGGER IF EXISTS catalogue_author_search_update ON catalogue_author;
{drop_watched}
DROP TABLE IF EXISTS catalogue_search_pending, catalogue_search_word, catalogue_search_facet,
    catalogue_search_state CASCADE;
DROP FUNCTION IF EXISTS catalogue_search_run(text);
DROP FUNCTION IF EXISTS catalogue_search_create_indexes(), catalogue_search_drop_indexes(),
    catalogue_search_recount();
DROP FUNCTION IF EXISTS catalogue_search_truncated(), catalogue_search_author_renamed(),
    catalogue_search_keyword_renamed(), catalogue_search_changed(),
    catalogue_search_pending_flush(), catalogue_search_touch(bigint[]),
    catalogue_search_flush(), catalogue_search_refresh(bigint[], boolean);
DROP VIEW IF EXISTS catalogue_search_source;
DROP FUNCTION IF EXISTS catalogue_search_facet_values(catalogue_search);
DROP TABLE IF EXISTS catalogue_search;
DROP SEQUENCE IF EXISTS catalogue_search_generation;
DROP TEXT SEARCH CONFIGURATION IF EXISTS catalogue;
DROP FUNCTION IF EXISTS catalogue_fold(text);
"""


def _postgres_teardown() -> str:
    drops = [
        f"DROP TRIGGER IF EXISTS {table}_search_{event} ON {table};"
        for table, _ in POSTGRES_WATCHED
        for event in ("insert", "update", "delete")
    ]
    return POSTGRES_TEARDOWN.format(drop_watched="\n".join(drops))


# --- SQLite ----------------------------------------------------------------------------------

# The FTS row of the articles whose ids the subquery `{ids}` returns.
SQLITE_REINDEX = """
    DELETE FROM catalogue_search_fts WHERE rowid IN ({ids});
    DELETE FROM catalogue_search_words WHERE rowid IN ({ids});
    INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract)
    SELECT a.id, a.title,
        coalesce((SELECT group_concat(k.term, ' ') FROM catalogue_article_keywords ak
                  JOIN catalogue_keyword k ON k.id = ak.keyword_id
                  WHERE ak.article_id = a.id), ''),
        coalesce((SELECT group_concat(trim(p.given_names || ' ' || p.particle || ' '
                                           || p.family_name || ' ' || p.suffix || ' '
                                           || p.corporate_name), ' ')
                  FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id
                  WHERE au.article_id = a.id), ''),
        a.abstract
    FROM catalogue_article a WHERE a.id IN ({ids});
    INSERT INTO catalogue_search_words (rowid, words)
    SELECT rowid, title || ' ' || keywords || ' ' || authors
    FROM catalogue_search_fts WHERE rowid IN ({ids});
    UPDATE catalogue_search_state SET generation = abs(random());
"""

SQLITE_SETUP = [
    "CREATE TABLE catalogue_search_state (id integer PRIMARY KEY CHECK (id = 1), "
    "generation integer NOT NULL)",
    "INSERT INTO catalogue_search_state VALUES (1, abs(random()))",
    "CREATE VIRTUAL TABLE catalogue_search_fts USING fts5("
    "title, keywords, authors, abstract, "
    "tokenize = 'porter unicode61 remove_diacritics 2')",
    # Unstemmed words of titles, keywords and names, for "did you mean".
    "CREATE VIRTUAL TABLE catalogue_search_words USING fts5("
    "words, tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE VIRTUAL TABLE catalogue_search_vocabulary USING fts5vocab("
    "catalogue_search_words, 'row')",
]

# (trigger name, event, table, article ids subquery)
SQLITE_TRIGGERS = [
    ("catalogue_article_search_insert", "AFTER INSERT ON catalogue_article", "SELECT NEW.id"),
    (
        "catalogue_article_search_update",
        "AFTER UPDATE OF title, abstract ON catalogue_article",
        "SELECT NEW.id UNION SELECT OLD.id",
    ),
    ("catalogue_article_search_delete", "AFTER DELETE ON catalogue_article", "SELECT OLD.id"),
    (
        "catalogue_authorship_search_insert",
        "AFTER INSERT ON catalogue_authorship",
        "SELECT NEW.article_id",
    ),
    (
        "catalogue_authorship_search_update",
        "AFTER UPDATE ON catalogue_authorship",
        "SELECT NEW.article_id UNION SELECT OLD.article_id",
    ),
    (
        "catalogue_authorship_search_delete",
        "AFTER DELETE ON catalogue_authorship",
        "SELECT OLD.article_id",
    ),
    (
        "catalogue_article_keywords_search_insert",
        "AFTER INSERT ON catalogue_article_keywords",
        "SELECT NEW.article_id",
    ),
    (
        "catalogue_article_keywords_search_delete",
        "AFTER DELETE ON catalogue_article_keywords",
        "SELECT OLD.article_id",
    ),
    (
        "catalogue_keyword_search_update",
        "AFTER UPDATE OF term ON catalogue_keyword",
        "SELECT article_id FROM catalogue_article_keywords WHERE keyword_id = NEW.id",
    ),
    (
        "catalogue_author_search_update",
        "AFTER UPDATE OF given_names, particle, family_name, suffix, corporate_name "
        "ON catalogue_author",
        "SELECT article_id FROM catalogue_authorship WHERE author_id = NEW.id",
    ),
]

# Facet-only changes (year, type, ...) do not touch the FTS rows but must invalidate caches.
SQLITE_GENERATION_TRIGGERS = [
    ("catalogue_article_search_facets", "AFTER UPDATE ON catalogue_article"),
    ("catalogue_article_subject_areas_search_insert", "AFTER INSERT ON catalogue_article_subject_areas"),
    ("catalogue_article_subject_areas_search_delete", "AFTER DELETE ON catalogue_article_subject_areas"),
    ("catalogue_journal_search_update", "AFTER UPDATE ON catalogue_journal"),
    ("catalogue_subjectarea_search_update", "AFTER UPDATE ON catalogue_subjectarea"),
]  # fmt: skip


def _sqlite_statements() -> list[str]:
    statements = list(SQLITE_SETUP)
    for name, event, ids in SQLITE_TRIGGERS:
        body = SQLITE_REINDEX.format(ids=ids)
        statements.append(f"CREATE TRIGGER {name} {event} FOR EACH ROW BEGIN {body} END")
    for name, event in SQLITE_GENERATION_TRIGGERS:
        statements.append(
            f"CREATE TRIGGER {name} {event} FOR EACH ROW BEGIN "
            "UPDATE catalogue_search_state SET generation = abs(random()); END"
        )
    statements.append(
        "INSERT INTO catalogue_search_fts (rowid, title, keywords, authors, abstract) "
        "SELECT a.id, a.title, "
        "coalesce((SELECT group_concat(k.term, ' ') FROM catalogue_article_keywords ak "
        "JOIN catalogue_keyword k ON k.id = ak.keyword_id WHERE ak.article_id = a.id), ''), "
        "coalesce((SELECT group_concat(trim(p.given_names || ' ' || p.particle || ' ' || "
        "p.family_name || ' ' || p.suffix || ' ' || p.corporate_name), ' ') "
        "FROM catalogue_authorship au JOIN catalogue_author p ON p.id = au.author_id "
        "WHERE au.article_id = a.id), ''), a.abstract FROM catalogue_article a"
    )
    statements.append(
        "INSERT INTO catalogue_search_words (rowid, words) "
        "SELECT rowid, title || ' ' || keywords || ' ' || authors FROM catalogue_search_fts"
    )
    return statements


SQLITE_TEARDOWN = [
    *(f"DROP TRIGGER IF EXISTS {name}" for name, _, _ in SQLITE_TRIGGERS),
    *(f"DROP TRIGGER IF EXISTS {name}" for name, _ in SQLITE_GENERATION_TRIGGERS),
    "DROP TABLE IF EXISTS catalogue_search_vocabulary",
    "DROP TABLE IF EXISTS catalogue_search_words",
    "DROP TABLE IF EXISTS catalogue_search_fts",
    "DROP TABLE IF EXISTS catalogue_search_state",
]


def _run(schema_editor, statements) -> None:
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def create_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [POSTGRES_SETUP, _postgres_triggers(), POSTGRES_BUILD])
    elif vendor == "sqlite":
        _run(schema_editor, _sqlite_statements())
    else:
        raise NotImplementedError(f"The search index supports PostgreSQL and SQLite, not {vendor}.")


def drop_search_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, [_postgres_teardown()])
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_TEARDOWN)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0003_librarians_group")]

    operations = [migrations.RunPython(create_search_index, drop_search_index)]
