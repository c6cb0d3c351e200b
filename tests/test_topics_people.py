"""The people phase of refresh_topics keeps referential integrity while it checks its foreign
keys once per key (PostgreSQL as a superuser) instead of once per row: a row pointing at a
missing person, journal or concept fails the phase, the previous fingerprints stay, and the
per-row checks are switched back on. Real commits: SQLite checks deferred keys only there."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection

from catalogue.models import Author, AuthorTopic, JournalTopic, TopicConcept, TopicStatistics
from catalogue.topics import store
from tests.factories import make_article, make_author, make_journal, make_keyword

TEXT = "The therapeutic alliance predicts dropout from psychotherapy."


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


def stored() -> tuple[list[tuple], list[tuple]]:
    """Return every stored person's and journal's fingerprint row."""
    fields = ("concept_id", "score", "weight", "records")
    people = AuthorTopic.objects.order_by("author_id", "concept_id")
    journals = JournalTopic.objects.order_by("journal_id", "concept_id")
    return (
        list(people.values_list("author", *fields)),
        list(journals.values_list("journal", *fields)),
    )


def insert_checks_enabled() -> list[tuple[str, str]]:
    """Return (table, enabled) of the foreign keys' insert checks of the two tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgrelid::regclass::text, t.tgenabled FROM pg_trigger t "
            "WHERE t.tgrelid = ANY(%s::regclass[]) AND t.tgisinternal "
            "AND t.tgfoid = 'pg_catalog.\"RI_FKey_check_ins\"'::regproc ORDER BY 1, 2",
            [["catalogue_authortopic", "catalogue_journaltopic"]],
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
    """Make the phase check its rows one by one, as for a database user who is no superuser."""
    monkeypatch.setattr(store, "_switch_off_insert_checks", lambda tables: [])


@pytest.mark.parametrize("way", ["once", "per row"])
@pytest.mark.parametrize(
    ("model", "column", "target"),
    [
        (AuthorTopic, "author_id", Author),
        (AuthorTopic, "concept_id", TopicConcept),
        (JournalTopic, "concept_id", TopicConcept),
    ],
)
def test_a_row_pointing_at_nothing_fails_the_phase_and_keeps_the_last_fingerprints(
    refreshed, monkeypatch, way, model, column, target
):
    before = stored()
    assert before[0] and before[1]
    if way == "per row":
        per_row_checks(monkeypatch)
    bad = missing(target)
    with_a_bad_row(monkeypatch, model, {column: bad})
    with pytest.raises(IntegrityError) as failure:
        store.aggregate_people()
    if connection.vendor == "postgresql":
        # Worded as PostgreSQL words it, whichever way it was checked.
        assert "violates foreign key constraint" in str(failure.value)
        assert f"Key ({column})=({bad}) is not present" in str(failure.value)
        assert insert_checks_enabled() == [
            ("catalogue_authortopic", "O"),
            ("catalogue_authortopic", "O"),
            ("catalogue_journaltopic", "O"),
            ("catalogue_journaltopic", "O"),
        ]
    assert stored() == before
    assert TopicStatistics.objects.get().computed_at is not None


@pytest.mark.parametrize("way", ["once", "per row"])
def test_both_ways_store_the_same_rows(refreshed, monkeypatch, way):
    ada, bob = refreshed
    expected = stored()
    AuthorTopic.objects.all().delete()
    JournalTopic.objects.all().delete()
    if way == "per row":
        per_row_checks(monkeypatch)
    store.aggregate_people()
    assert stored() == expected
    assert {row[0] for row in expected[0]} == {ada.pk, bob.pk}
    assert len({row[0] for row in expected[1]}) == 2


@pytest.mark.postgres
def test_the_checks_are_switched_off_inside_the_phase_and_on_again_after_it(refreshed, monkeypatch):
    seen = []
    real = store._aggregate

    def aggregate(*args):
        seen.append(insert_checks_enabled())
        real(*args)

    monkeypatch.setattr(store, "_aggregate", aggregate)
    store.aggregate_people()
    off = [
        ("catalogue_authortopic", "D"),
        ("catalogue_authortopic", "D"),
        ("catalogue_journaltopic", "D"),
        ("catalogue_journaltopic", "D"),
    ]
    assert seen == [off, off]
    assert insert_checks_enabled() == [(table, "O") for table, _ in off]
