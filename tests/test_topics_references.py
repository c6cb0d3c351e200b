"""refresh_topics' people phase keeps referential integrity while it checks its foreign keys
once per key (PostgreSQL as a superuser) instead of once per row, and the related phase
(checked per row): a row pointing at a missing record, person, journal or concept fails the
phase's transaction, the previous rows stay, the rows referred to are locked until the
commit, and the per-row checks are switched back on. Real commits: SQLite checks deferred
keys only there."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, OperationalError, connection, connections, transaction

from catalogue.models import (
    Article,
    Author,
    AuthorTopic,
    JournalTopic,
    RelatedArticle,
    TopicConcept,
    TopicStatistics,
)
from catalogue.topics import store
from tests.factories import make_article, make_author, make_journal, make_keyword

TEXT = "The therapeutic alliance predicts dropout from psychotherapy."
TABLES = ["catalogue_authortopic", "catalogue_journaltopic", "catalogue_relatedarticle"]
# Every table's two foreign keys' insert checks, switched on.
ALL_ON = [(table, "O") for table in TABLES for _ in range(2)]


@pytest.fixture
def refreshed(transactional_db):
    """Four records of two people and two journals, refreshed; returns their authors."""
    alliance = make_keyword(term="Therapeutic alliance")
    ada = make_author(family_name="Lovelace")
    bob = make_author(family_name="Night")
    first, second = make_journal(title="Psychotherapy"), make_journal(title="Sleep")
    make_article(title="Alliance and dropout", abstract=TEXT, authors=[ada], journal=first)
    make_article(title="Alliance ruptures", abstract=TEXT, authors=[ada, bob], journal=first)
    make_article(
        title="Dropout in groups", abstract=TEXT, keywords=[alliance], authors=[bob], journal=second
    )
    make_article(title="Psychotherapy dropout", abstract=TEXT, authors=[bob], journal=second)
    store.refresh()
    return ada, bob


def stored() -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Return every stored person's and journal's fingerprint row and related record."""
    fields = ("concept_id", "score", "weight", "records")
    people = AuthorTopic.objects.order_by("author_id", "concept_id")
    journals = JournalTopic.objects.order_by("journal_id", "concept_id")
    related = RelatedArticle.objects.order_by("article_id", "related_id")
    return (
        list(people.values_list("author", *fields)),
        list(journals.values_list("journal", *fields)),
        list(related.values_list("article", "related", "similarity", "shared")),
    )


def insert_checks() -> list[tuple[str, str]]:
    """Return (table, enabled) of the foreign keys' insert checks of the three tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgrelid::regclass::text, t.tgenabled FROM pg_trigger t "
            "WHERE t.tgrelid = ANY(%s::regclass[]) AND t.tgisinternal "
            "AND t.tgfoid = 'pg_catalog.\"RI_FKey_check_ins\"'::regproc ORDER BY 1, 2",
            [TABLES],
        )
        return cursor.fetchall()


def with_a_bad_row(monkeypatch, model, bad: dict[str, int]) -> None:
    """Make the phase write one more row of `model`, its other columns those of a good row."""
    real = store.insert_values

    def insert(target, fields, rows):
        rows = list(rows)
        if target is model and rows:
            good = dict(zip(fields, rows[0], strict=True))
            rows.append(tuple({**good, **bad}.get(name) for name in fields))
        real(target, fields, rows)

    monkeypatch.setattr(store, "insert_values", insert)


def missing(model) -> int:
    """Return an id no row of `model` has."""
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


def per_row_checks(monkeypatch) -> None:
    """Make the phases check rows one by one, as for a database user who is no superuser."""
    monkeypatch.setattr(store, "_switch_off_insert_checks", lambda tables: ([], {}))


def related_phase() -> None:
    """Run the related phase again from its start."""
    TopicStatistics.objects.update(phase="related", resume_after=0)
    store.relate_catalogue()


@pytest.mark.parametrize("way", ["once", "per row"])
@pytest.mark.parametrize(
    ("model", "column", "target"),
    [
        (AuthorTopic, "author_id", Author),
        (AuthorTopic, "concept_id", TopicConcept),
        (JournalTopic, "concept_id", TopicConcept),
        (RelatedArticle, "related_id", Article),
        # A row outside the batch's records too: every row the transaction inserted counts.
        (RelatedArticle, "article_id", Article),
    ],
)
def test_a_row_pointing_at_nothing_fails_the_phase_and_keeps_the_last_rows(
    refreshed, monkeypatch, way, model, column, target
):
    before = stored()
    assert all(before)
    if way == "per row":
        per_row_checks(monkeypatch)
    bad = missing(target)
    with_a_bad_row(monkeypatch, model, {column: bad})
    with pytest.raises(IntegrityError) as failure:
        related_phase() if model is RelatedArticle else store.aggregate_people()
    if connection.vendor == "postgresql":
        # Worded as PostgreSQL words it, whichever way it was checked.
        assert "violates foreign key constraint" in str(failure.value)
        assert f"Key ({column})=({bad}) is not present" in str(failure.value)
        assert insert_checks() == ALL_ON
    assert stored() == before


@pytest.mark.parametrize("way", ["once", "per row"])
def test_both_ways_store_the_same_rows(refreshed, monkeypatch, way):
    ada, bob = refreshed
    expected = stored()
    AuthorTopic.objects.all().delete()
    JournalTopic.objects.all().delete()
    RelatedArticle.objects.all().delete()
    if way == "per row":
        per_row_checks(monkeypatch)
    monkeypatch.setattr(store, "BATCH_SIZE", 2)  # two batches, each checked
    related_phase()
    store.aggregate_people()
    assert stored() == expected
    assert {row[0] for row in expected[0]} == {ada.pk, bob.pk}
    assert len({row[0] for row in expected[1]}) == 2
    assert len({row[0] for row in expected[2]}) == 4
    assert TopicStatistics.objects.get().phase == ""


@pytest.mark.postgres
def test_the_checks_are_switched_off_inside_the_people_phase_and_on_again_after_it(
    refreshed, monkeypatch
):
    seen = []
    for name in ("_aggregate", "_delete_related"):
        real = getattr(store, name)

        def spy(*args, real=real):
            seen.append(insert_checks())
            real(*args)

        monkeypatch.setattr(store, name, spy)
    monkeypatch.setattr(store, "BATCH_SIZE", 2)
    related_phase()
    store.aggregate_people()
    # The related phase checks per row (no faster once per key: docs/topics.md).
    people_off = [(t, "O" if t == "catalogue_relatedarticle" else "D") for t, _ in ALL_ON]
    assert seen == [ALL_ON, ALL_ON, people_off, people_off]
    assert insert_checks() == ALL_ON


@pytest.mark.postgres
def test_the_rows_referred_to_are_locked_against_deletion_until_the_commit(refreshed, monkeypatch):
    ada, _ = refreshed
    nobody = make_author(family_name="Unreferenced")
    concept = AuthorTopic.objects.filter(author=ada).values_list("concept_id", flat=True)[0]
    probes = {"ada": ("catalogue_author", ada.pk), "nobody": ("catalogue_author", nobody.pk)}
    probes["concept"] = ("catalogue_topicconcept", concept)
    locked = {}
    real = store._main_subjects

    def after_the_checks():
        # Another session (autocommit), between the checks and the commit: FOR UPDATE (what
        # a DELETE takes) conflicts with FOR KEY SHARE.
        other = connections.create_connection("default")
        try:
            for name, (table, pk) in probes.items():
                with other.cursor() as cursor:
                    try:
                        cursor.execute(
                            f"SELECT 1 FROM {table} WHERE id = %s FOR UPDATE NOWAIT",  # noqa: S608
                            [pk],
                        )
                        locked[name] = False
                    except OperationalError:
                        locked[name] = True
        finally:
            other.close()
        real()

    monkeypatch.setattr(store, "_main_subjects", after_the_checks)
    store.aggregate_people()
    assert locked == {"ada": True, "nobody": False, "concept": True}


@pytest.mark.postgres
def test_inside_a_transaction_with_checks_queued_on_the_tables(db):
    """An outer transaction's queued checks are run first (a table with pending trigger
    events cannot be altered); its bad row still fails, its good rows stay."""
    ada = make_author(family_name="Lovelace")
    first = make_article(title="Alliance and dropout", abstract=TEXT, authors=[ada])
    second = make_article(title="Alliance ruptures", abstract=TEXT, authors=[ada])
    store.refresh()
    concept = TopicConcept.objects.order_by("pk").first()
    # Queued checks on both tables: a good row each.
    third = make_article(title="", abstract="", authors=[])
    RelatedArticle.objects.create(article=third, related=first, similarity=0.5, shared="x")
    bob = make_author(family_name="Night")
    AuthorTopic.objects.create(author=bob, concept=concept, weight=1, score=1)
    related_phase()
    store.aggregate_people()
    assert AuthorTopic.objects.filter(author=ada).exists()
    assert RelatedArticle.objects.filter(article=first, related=second).exists()
    assert insert_checks() == ALL_ON
    # A bad row queued by the outer transaction fails when the phase runs the queued checks
    # (in a savepoint rolled back with it: the test's own end checks the queue too).
    failing = pytest.raises(IntegrityError, match=r"Key \(article_id\)=\(\d+\) is not present")
    with failing, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO catalogue_relatedarticle (article_id, related_id, similarity, shared) "
            "VALUES (%s, %s, 0.5, 'x')",
            [missing(Article), first.pk],
        )
        store.aggregate_people()
