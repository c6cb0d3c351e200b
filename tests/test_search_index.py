"""Tests for the search index's declaration: its SQL files, unmanaged models and map.

What used to be kept equal by comments ("PROBE_BUCKETS must match") is asserted here: the
constants that Python and the SQL files share, the files the migrations load, the models
against the migrated database's columns, and docs/search-index.md against the functions,
triggers, tables and indexes that exist. Each backend checks its own index (SQLite by default,
PostgreSQL with DATABASE_URL=postgres://...).
"""

import re
from pathlib import Path

import pytest
from django.db import DataError, connection

from catalogue.models import search_index
from catalogue.models.search_index import (
    SearchIndexFacetCount,
    SearchIndexOutbox,
    SearchIndexOutboxState,
    SearchIndexPending,
    SearchIndexRow,
    SearchIndexState,
    SearchIndexTable,
    SearchIndexText,
    SearchIndexTextWords,
    SearchIndexVocabulary,
    SearchIndexWord,
)
from catalogue.search import index
from catalogue.search.postgres import COLUMNS, PROBE_BUCKETS, SAMPLE_BUCKETS, SAMPLE_KEY
from catalogue.search.sql import ROOT, sql, statements
from tests.factories import make_article, make_author, make_keyword

REPO = Path(__file__).resolve().parent.parent
MIGRATIONS = REPO / "catalogue" / "migrations"
DOCS = REPO / "docs" / "search-index.md"

# The index's tables on each backend, by model.
MODELS = {
    "postgresql": [
        SearchIndexState,
        SearchIndexRow,
        SearchIndexFacetCount,
        SearchIndexWord,
        SearchIndexPending,
        SearchIndexOutbox,
        SearchIndexOutboxState,
    ],
    "sqlite": [SearchIndexState, SearchIndexText, SearchIndexTextWords, SearchIndexVocabulary],
}
# FTS5 keeps a table's data in these shadow tables, which nothing reads directly.
FTS_SHADOWS = ("_data", "_idx", "_content", "_docsize", "_config")


def migration_files() -> dict[str, set[str]]:
    """Return {migration module name: SQL files it names}."""
    return {
        path.stem: set(re.findall(r"\"((?:postgres|sqlite)/[\w.]+\.sql)\"", path.read_text()))
        for path in sorted(MIGRATIONS.glob("0*.py"))
    }


def sql_files() -> set[str]:
    """Return every SQL file under catalogue/search/sql/, as the migrations name them."""
    return {path.relative_to(ROOT).as_posix() for path in ROOT.rglob("*.sql")}


def versions(name: str) -> list[int]:
    """Return the versions of `name` (e.g. "postgres/catalogue_search_indexes"), ascending."""
    found = [re.fullmatch(rf"{re.escape(name)}\.v(\d+)\.sql", file) for file in sql_files()]
    return sorted(int(match.group(1)) for match in found if match)


def latest(name: str) -> str:
    """Return the text of the latest version of `name`."""
    return sql(f"{name}.v{versions(name)[-1]}.sql")


def documented(section: str) -> set[str]:
    """Return the names in the first column of the table under `### {section}` in the map."""
    text = DOCS.read_text()
    body = text.split(f"### {section}\n", 1)[1].split("\n#", 1)[0]
    names = set()
    for line in body.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            names |= {name.split("(")[0] for name in re.findall(r"`([^`]+)`", first)}
    return names


# --- Files ---------------------------------------------------------------------------------------


def test_every_sql_file_a_migration_loads_exists_and_every_file_is_loaded():
    named = set().union(*migration_files().values())
    assert named, "no migration names an SQL file"
    assert sorted(named - sql_files()) == []
    assert sorted(sql_files() - named) == []


def test_search_migrations_no_longer_import_each_other():
    for path in MIGRATIONS.glob("0*.py"):
        assert "importlib" not in path.read_text(), path.name


def test_versions_run_from_one_without_gaps_and_every_down_file_has_its_version():
    names = {re.sub(r"\.v\d+(\.down)?\.sql$", "", file) for file in sql_files()}
    for name in names:
        assert versions(name) == list(range(1, len(versions(name)) + 1)), name
    for file in sql_files():
        # search_index.v1.down.sql removes all of 0004's objects, each installed by its own file.
        if file.endswith(".down.sql") and "/search_index." not in file:
            assert file.removesuffix(".down.sql") + ".sql" in sql_files(), file


def test_every_file_says_it_is_released_and_sqlite_files_split_into_statements():
    for file in sql_files():
        text = sql(file)
        assert "Released: never edit." in text.split("\n\n", 1)[0], file
        if file.startswith("sqlite/"):
            assert statements(text), file


def test_statements_keep_a_triggers_body_whole():
    text = "-- a comment; not a statement\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n"
    text += "    DELETE FROM b;\n    DELETE FROM c;\nEND;\nSELECT 1;\n"
    assert [statement.split()[-1] for statement in statements(text)] == ["END;", "1;"]
    with pytest.raises(ValueError, match="Incomplete"):
        statements("SELECT 1;\nSELECT 2\n")


# --- Constants shared by Python and SQL ----------------------------------------------------------


def test_the_probe_indexes_hold_the_rows_the_probe_reads():
    # The probe restricts a context to sample < PROBE_BUCKETS and is read from the index over
    # those rows: a different bound in the index would leave the probe to whole-table scans.
    current = re.findall(r"WHERE sample < (\d+);", latest("postgres/catalogue_search_indexes"))
    assert [int(bound) for bound in current] == [PROBE_BUCKETS]
    # Version 2 gave each probe GIN index its own bound, all implied by the probe's.
    old = re.findall(r"WHERE sample < (\d+);", sql("postgres/catalogue_search_indexes.v2.sql"))
    assert min(int(bound) for bound in old) == PROBE_BUCKETS


def test_the_sample_column_has_the_buckets_the_statements_count_with():
    view = latest("postgres/catalogue_search_source")
    assert re.findall(r"hashint8\(a\.id\) & (\d+)", view) == [str(SAMPLE_BUCKETS - 1)]


def test_the_sample_key_is_the_expression_of_the_sample_index():
    expression = SAMPLE_KEY.replace("s.", "")
    indexes = latest("postgres/catalogue_search_indexes")
    assert f"catalogue_search_sample_key ON catalogue_search ({expression});" in indexes


def test_every_facet_column_is_an_index_column_and_counted_in_the_whole_catalogue():
    columns = {field.column for field in SearchIndexRow._meta.concrete_fields}
    for facet, (column, _, _) in COLUMNS.items():
        assert column in columns, facet
    counted = re.findall(r"SELECT '(\w+)'", latest("postgres/catalogue_search_facet_values"))
    # Besides each facet and the total, the cell of the scalar facets (migration 0026), read
    # by catalogue.search.postgres.cube.
    assert sorted(counted) == sorted([*COLUMNS, "total", "cube"])


# --- Models against the migrated database --------------------------------------------------------


def test_every_index_model_is_checked_on_its_backend():
    declared = {
        model
        for model in vars(search_index).values()
        if isinstance(model, type)
        and issubclass(model, SearchIndexTable)
        and not model._meta.abstract
    }
    assert declared == set(MODELS["postgresql"]) | set(MODELS["sqlite"])
    for model in declared:
        assert not model._meta.managed, model


def _postgres_columns(table: str) -> dict[str, tuple[str, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute "
            "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [table],
        )
        return {name: (kind, not_null) for name, kind, not_null in cursor.fetchall()}


@pytest.mark.django_db
def test_the_models_match_the_tables_of_this_backend():
    for model in MODELS[connection.vendor]:
        table = model._meta.db_table
        fields = {field.column: field for field in model._meta.concrete_fields}
        with connection.cursor() as cursor:
            described = connection.introspection.get_table_description(cursor, table)
            primary_key = connection.introspection.get_primary_key_columns(cursor, table)
        columns = {column.name for column in described}
        if connection.vendor == "sqlite" and model is not SearchIndexState:
            # FTS5 and fts5vocab tables: rowid is hidden and there is no declared key.
            assert columns == set(fields) - {"rowid"}, table
            assert list(model.objects.values_list("pk", flat=True)[:1]) is not None
            continue
        assert columns == set(fields), table
        assert primary_key == [field.column for field in model._meta.pk_fields], table
        if connection.vendor == "postgresql":
            for column, (kind, not_null) in _postgres_columns(table).items():
                field = fields[column]
                expected = field.db_type(connection).replace("varchar(", "character varying(")
                assert (kind, not_null) == (expected, not field.null), f"{table}.{column}"


@pytest.mark.django_db
def test_the_models_read_what_the_triggers_wrote():
    before = SearchIndexState.objects.get().generation
    keyword = make_keyword(term="Therapeutic alliance")
    author = make_author(family_name="Flückiger", given_names="Christoph")
    article = make_article(title="Alliance in psychotherapy", keywords=[keyword], authors=[author])

    assert SearchIndexState.objects.get().generation != before
    if connection.vendor == "postgresql":
        row = SearchIndexRow.objects.get(pk=article.pk)
        assert (row.keyword_ids, row.author_ids, row.journal_id) == (
            [keyword.pk],
            [author.pk],
            article.journal_id,
        )
        assert (row.year, row.output_type, row.title_key) == (
            2020,
            "article",
            "alliance in psychotherapy",
        )
        assert SearchIndexFacetCount.objects.get(facet="keyword", value=str(keyword.pk)).count == 1
        assert SearchIndexWord.objects.filter(word="flückiger").exists()
        assert not SearchIndexPending.objects.exists()
    else:
        text = SearchIndexText.objects.get(pk=article.pk)
        assert (text.title, text.keywords, text.authors.split()) == (
            "Alliance in psychotherapy",
            "Therapeutic alliance",
            ["Christoph", "Flückiger"],
        )
        assert SearchIndexTextWords.objects.get(pk=article.pk).words.startswith("Alliance")
        assert SearchIndexVocabulary.objects.get(term="flückiger").doc == 1


# --- docs/search-index.md against the migrated database ------------------------------------------


def _rows(query: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(query)
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_map_names_every_postgresql_object_that_exists():
    functions = _rows(
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = 'public' AND p.proname LIKE 'catalogue%%'"
    )
    triggers = _rows("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    tables = _rows(
        "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE 'catalogue_search%%'"
    )
    indexes = _rows(
        "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' "
        "AND indexname NOT LIKE '%%_pkey' AND (tablename LIKE 'catalogue_search%%' "
        "OR indexname LIKE '%%_label_trgm' OR indexname LIKE '%%_sort_key')"
    )
    extensions = _rows("SELECT extname FROM pg_extension WHERE extname <> 'plpgsql'")

    assert documented("PostgreSQL functions") == functions
    assert documented("PostgreSQL triggers") == triggers
    assert documented("PostgreSQL tables") == tables
    assert documented("PostgreSQL indexes") == indexes
    assert documented("PostgreSQL extensions") == extensions
    assert {model._meta.db_table for model in MODELS["postgresql"]} == tables


@pytest.mark.django_db
def test_the_map_names_every_sqlite_object_that_exists():
    if connection.vendor != "sqlite":
        # Its PostgreSQL counterpart above checks that backend.
        return
    triggers = _rows("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    tables = {
        name
        for name in _rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'catalogue_search%'"
        )
        if not name.endswith(FTS_SHADOWS)
    }

    assert documented("SQLite triggers") == triggers
    assert documented("SQLite tables") == tables
    assert {model._meta.db_table for model in MODELS["sqlite"]} == tables


def _match_cost() -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT procost FROM pg_proc "
            "WHERE oid = 'pg_catalog.ts_match_vq(tsvector, tsquery)'::regprocedure"
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db
def test_migrate_restores_the_planner_cost_a_restored_dump_lost(capsys):
    # pg_dump never writes a pg_catalog function's cost: after pg_restore it is 1 again.
    from django.core.management import call_command

    assert _match_cost() == 100
    with connection.cursor() as cursor:
        cursor.execute("ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST 1")
    assert _match_cost() == 1

    call_command("migrate", verbosity=1)

    assert _match_cost() == 100
    assert "Restored the planner cost of pg_catalog.ts_match_vq" in capsys.readouterr().out
    call_command("migrate", verbosity=1)
    assert "Restored the planner cost" not in capsys.readouterr().out


@pytest.mark.django_db
def test_restoring_planner_costs_does_nothing_on_sqlite_or_when_in_place():
    from catalogue.search.index import restore_planner_costs

    assert restore_planner_costs(verbosity=0) is False


def _planner_rows() -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'catalogue_search'")
        return cursor.fetchone()[0]


def _indexed() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT article_id FROM catalogue_search ORDER BY 1")
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def unindexed():
    """Twelve articles whose search index rows are gone, and a planner that counted 0 rows."""
    ids = [make_article(title=f"Batched study {n}").pk for n in range(12)]
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM catalogue_search_pending; DELETE FROM catalogue_search; "
            "ANALYZE catalogue_search"
        )
    assert (_indexed(), _planner_rows()) == ([], 0.0)
    return ids


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("minimum", "analysed"), [(4, [5.0, 10.0]), (10, [10.0]), (13, [])], ids=str
)
def test_indexing_in_batches_analyses_the_index_each_time_it_doubles(unindexed, minimum, analysed):
    heard, done, commits = [], [], []

    def statement(seconds, what):
        assert seconds >= 0
        heard.append((what, _planner_rows()))

    changed = index.index_in_batches(
        batches=index.batched(unindexed, size=5),
        analyse_minimum=minimum,
        progress=lambda count, batch: done.append((count, list(batch))),
        statement=statement,
        commit=commits.append,
    )

    assert changed == 12
    assert _indexed() == unindexed
    assert done == [(5, unindexed[:5]), (10, unindexed[5:10]), (12, unindexed[10:])]
    assert len(commits) == 3
    # The planner knew 0 rows: 5 written doubles that, 10 doubles 5, 12 does not double 10;
    # below the minimum nothing is analysed. Each ANALYZE counts the rows then in the index.
    batches = [f"index {n} articles for search" for n in (5, 5, 2)]
    assert [what for what, _ in heard if what.startswith("index")] == batches
    assert [rows for what, rows in heard if what == "analyze the search index"] == analysed
    assert _planner_rows() == (analysed[-1] if analysed else 0.0)


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_failed_batch_undoes_what_its_source_did_and_keeps_the_batches_before(
    unindexed, monkeypatch
):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE taken (id bigint)")

    def source():
        for batch in index.batched(unindexed, size=4):
            # Inside the batch's transaction, as the import backlog deletes the row it takes.
            assert connection.in_atomic_block
            with connection.cursor() as cursor:
                cursor.execute("INSERT INTO taken SELECT unnest(%s::bigint[])", [list(batch)])
            yield batch

    real, calls = index.refresh_search_index, []

    def failing(ids):
        calls.append(list(ids))
        if len(calls) == 2:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")
        return real(ids)

    monkeypatch.setattr(index, "refresh_search_index", failing)
    done = []

    with pytest.raises(DataError, match="division by zero"):
        index.index_in_batches(batches=source(), progress=lambda count, batch: done.append(count))

    assert done == [4]
    assert _indexed() == unindexed[:4]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM taken ORDER BY id")
        assert [row[0] for row in cursor.fetchall()] == unindexed[:4]


@pytest.mark.django_db
def test_indexing_in_batches_on_sqlite_reindexes_without_analysing():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's triggers index each row; PostgreSQL is tested above")
    ids = [make_article(title=f"Batched study {n}").pk for n in range(3)]
    heard = []

    changed = index.index_in_batches(
        batches=index.batched(ids, size=2), statement=lambda s, what: heard.append(what)
    )

    assert changed == 3
    assert heard == ["index 2 articles for search", "index 1 articles for search"]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_online_reindex_analyses_an_index_the_planner_thought_empty(monkeypatch):
    ids = [make_article(title=f"Reindexed study {n}").pk for n in range(5)]
    index.refresh_search_index(ids)
    with connection.cursor() as cursor:
        # As after a restored dump: rows in the index, statistics that say none.
        cursor.execute("UPDATE pg_class SET reltuples = 0 WHERE relname = 'catalogue_search'")
    monkeypatch.setattr(index, "REINDEX_BATCH", 2)
    monkeypatch.setattr(index, "ANALYSE_MINIMUM", 4)
    heard = []

    changed, visited = index.reindex_articles(progress=lambda *args: heard.append(args))

    assert (changed, visited) == (0, 5)  # the documents were current
    assert heard == [(2, 5, ids[1]), (4, 5, ids[3]), (5, 5, ids[4])]
    assert _planner_rows() == 5.0  # analysed when its 4 re-indexed rows passed the minimum
