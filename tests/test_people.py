"""Tests for catalogue.people: merging people, splitting a person, undoing either, and that
printed name forms, evidence summaries and the search index follow.

Run on SQLite and on PostgreSQL (DATABASE_URL=postgres://...).
"""

import pytest
from django.core.cache import caches

from catalogue import people, search
from catalogue.models import (
    Author,
    Authorship,
    EvidenceSummary,
    PersonChange,
    PersonChangeKind,
)
from catalogue.search import SearchParams, parse_query
from tests.factories import make_article, make_author

pytestmark = pytest.mark.django_db


def make_summary(*, author: Author, slug: str) -> EvidenceSummary:
    return EvidenceSummary.objects.create(
        title=f"Summary {slug}", slug=slug, question="Q", standfirst="S", body="B", author=author
    )


def printed(article_ids=None) -> list[tuple]:
    """Return every authorship's printed parts and person, by id."""
    rows = Authorship.objects.order_by("pk")
    if article_ids is not None:
        rows = rows.filter(article__in=article_ids)
    return list(
        rows.values_list("pk", "family_name", "given_names", "particle", "suffix", "author_id")
    )


class Nguyens:
    """Patrick Nguyen, published as "Nguyen, Patrick" and "Nguyen, P."; "P Nguyen" as a
    second person; and Ada Lovelace, who also published as "Byron, Ada"."""

    def __init__(self) -> None:
        self.patrick = make_author(family_name="Nguyen", given_names="Patrick")
        self.p = make_author(family_name="Nguyen", given_names="P")
        self.first = make_article(title="Alliance ruptures", authors=[self.patrick])
        self.second = make_article(
            title="Alliance repair", authors=[(self.patrick, {"given_names": "P."})]
        )
        self.third = make_article(title="Dropout in therapy", authors=[self.p])
        self.both = make_article(
            title="Both Nguyens", authors=[self.p, make_author(family_name="Other")]
        )


@pytest.fixture
def nguyens() -> Nguyens:
    return Nguyens()


def ids(*articles) -> list[int]:
    return [
        authorship.pk
        for article in articles
        for authorship in article.authorships.order_by("position")
    ]


# Name forms --------------------------------------------------------------------------------


def test_name_forms_are_the_printed_forms_most_used_first(nguyens):
    make_article(authors=[(nguyens.patrick, {"given_names": "P."})])

    forms = people.name_forms(person=nguyens.patrick)

    assert [(form.printed_sort_name, form.count) for form in forms] == [
        ("Nguyen, P.", 2),
        ("Nguyen, Patrick", 1),
    ]
    assert forms[1].authorship_ids == ids(nguyens.first)
    assert forms[1].key == ("Nguyen", "Patrick", "", "", "")


# Merge -------------------------------------------------------------------------------------


def test_merge_moves_every_authorship_and_keeps_the_printed_forms(nguyens):
    before = printed()
    removed_pk = nguyens.p.pk
    moved = [*ids(nguyens.third), ids(nguyens.both)[0]]

    changes = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])

    assert not Author.objects.filter(pk=removed_pk).exists()
    after = printed()
    # Only the person changed, and only on the removed person's authorships.
    assert [row[:5] for row in after] == [row[:5] for row in before]
    assert [(row[0], row[5]) for row in after if row[0] in moved] == [
        (pk, nguyens.patrick.pk) for pk in moved
    ]
    assert [row for row in after if row[0] not in moved] == [
        row for row in before if row[0] not in moved
    ]
    (change,) = changes
    assert change.kind == PersonChangeKind.MERGE
    assert change.person == nguyens.patrick
    assert change.other_id == removed_pk
    assert change.authorship_ids == moved
    assert change.removed_author == {
        "pk": removed_pk,
        "family_name": "Nguyen",
        "given_names": "P",
        "particle": "",
        "suffix": "",
        "corporate_name": "",
        "orcid": "",
        "evidence_summary_ids": [],
        "orcid_moved": False,
        "person_change_ids": [],
    }
    assert change.undone is None
    assert [form.printed_sort_name for form in people.name_forms(person=nguyens.patrick)] == [
        "Nguyen, P",
        "Nguyen, P.",
        "Nguyen, Patrick",
    ]


def test_merge_of_several_people_records_one_change_each(nguyens):
    third = make_author(family_name="Nguyen", given_names="Pat")
    make_article(authors=[third])

    changes = people.merge_people(keep=nguyens.patrick, others=[third, nguyens.p])

    assert [(c.person_id, c.other_id, len(c.authorship_ids)) for c in changes] == [
        (nguyens.patrick.pk, nguyens.p.pk, 2),
        (nguyens.patrick.pk, third.pk, 1),
    ]
    assert nguyens.patrick.authorships.count() == 5


def test_merge_refuses_two_different_orcids_and_changes_nothing(nguyens):
    Author.objects.filter(pk=nguyens.patrick.pk).update(orcid="0000-0002-1825-0097")
    Author.objects.filter(pk=nguyens.p.pk).update(orcid="0000-0001-5109-3700")
    nguyens.patrick.refresh_from_db()
    nguyens.p.refresh_from_db()
    before = printed()

    with pytest.raises(people.PeopleError) as error:
        people.merge_people(keep=nguyens.patrick, others=[nguyens.p])

    assert str(error.value) == (
        "These people have different ORCID iDs, so they are different people: "
        "Patrick Nguyen (0000-0002-1825-0097), P Nguyen (0000-0001-5109-3700)."
    )
    assert printed() == before
    assert Author.objects.filter(pk=nguyens.p.pk).exists()
    assert not PersonChange.objects.exists()


def test_merge_gives_the_kept_person_the_orcid_and_undo_takes_it_back(nguyens):
    Author.objects.filter(pk=nguyens.p.pk).update(orcid="0000-0001-5109-3700")
    nguyens.p.refresh_from_db()

    (change,) = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])

    nguyens.patrick.refresh_from_db()
    assert nguyens.patrick.orcid == "0000-0001-5109-3700"
    assert change.removed_author["orcid"] == "0000-0001-5109-3700"
    assert change.removed_author["orcid_moved"] is True

    people.undo_change(change=change)

    nguyens.patrick.refresh_from_db()
    assert nguyens.patrick.orcid == ""
    assert Author.objects.get(pk=nguyens.p.pk).orcid == "0000-0001-5109-3700"


def test_merge_with_the_same_orcid_twice_is_refused_by_nothing_but_works(nguyens):
    # One ORCID on the kept person only: no conflict, it stays.
    Author.objects.filter(pk=nguyens.patrick.pk).update(orcid="0000-0002-1825-0097")
    nguyens.patrick.refresh_from_db()

    (change,) = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])

    assert change.removed_author["orcid_moved"] is False
    nguyens.patrick.refresh_from_db()
    assert nguyens.patrick.orcid == "0000-0002-1825-0097"


def test_a_merge_that_fails_half_way_changes_nothing(nguyens, monkeypatch):
    from django.db.models import ProtectedError

    def protected(author, *args, **kwargs):
        summary = EvidenceSummary(pk=1, title="T", slug="t", author=author)
        raise ProtectedError("protected", {summary})

    before = printed()
    monkeypatch.setattr(Author, "delete", protected)

    with pytest.raises(people.PeopleError) as error:
        people.merge_people(keep=nguyens.patrick, others=[nguyens.p])

    assert str(error.value) == (
        "P Nguyen cannot be removed: still named by evidence summaries. Nothing was merged."
    )
    assert printed() == before
    assert not PersonChange.objects.exists()


def test_merge_needs_another_person(nguyens):
    with pytest.raises(people.PeopleError, match="Choose at least one other person"):
        people.merge_people(keep=nguyens.patrick, others=[nguyens.patrick])


def test_merge_repoints_evidence_summaries_and_undo_restores_them(nguyens):
    by_p = make_summary(author=nguyens.p, slug="by-p")
    by_patrick = make_summary(author=nguyens.patrick, slug="by-patrick")

    (change,) = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])

    assert change.removed_author["evidence_summary_ids"] == [by_p.pk]
    assert sorted(EvidenceSummary.objects.values_list("slug", "author_id")) == [
        ("by-p", nguyens.patrick.pk),
        ("by-patrick", nguyens.patrick.pk),
    ]

    message = people.undo_change(change=change)

    assert message == f"Restored P Nguyen (#{nguyens.p.pk}) with 2 records and 1 evidence summary."
    assert sorted(EvidenceSummary.objects.values_list("slug", "author_id")) == [
        ("by-p", nguyens.p.pk),
        ("by-patrick", by_patrick.author_id),
    ]


def test_undo_of_a_merge_recreates_the_person_with_its_pk_and_fields(nguyens):
    Author.objects.filter(pk=nguyens.p.pk).update(suffix="Jr.", particle="")
    before = printed()
    (change,) = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])

    people.undo_change(change=change)

    restored = Author.objects.get(pk=nguyens.p.pk)
    assert (restored.family_name, restored.given_names, restored.suffix, restored.orcid) == (
        "Nguyen",
        "P",
        "Jr.",
        "",
    )
    assert printed() == before
    change.refresh_from_db()
    assert change.undone is not None


def test_undo_twice_is_refused(nguyens):
    (change,) = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])
    people.undo_change(change=change)

    with pytest.raises(people.PeopleError, match="was undone already"):
        people.undo_change(change=change)


def test_undo_of_a_merge_skips_authorships_deleted_since(nguyens):
    (change,) = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])
    nguyens.third.delete()

    message = people.undo_change(change=change)

    assert message == f"Restored P Nguyen (#{nguyens.p.pk}) with 1 record."
    assert list(Authorship.objects.filter(author=nguyens.p).values_list("article", flat=True)) == [
        nguyens.both.pk
    ]


def test_a_chain_of_merges_is_undone_newest_first(nguyens):
    other = make_author(family_name="Nguyen", given_names="Pat")
    make_article(authors=[other])
    before = printed()
    (first,) = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])
    (second,) = people.merge_people(keep=other, others=[nguyens.patrick])
    first.refresh_from_db()
    assert first.person is None  # its kept person was merged away

    with pytest.raises(people.PeopleError, match="Undo that later change first"):
        people.undo_change(change=first)

    people.undo_change(change=second)
    first.refresh_from_db()
    assert first.person_id == nguyens.patrick.pk  # given back with the person
    people.undo_change(change=first)

    assert printed() == before
    assert sorted(Author.objects.values_list("pk", flat=True)) == sorted(
        [
            nguyens.patrick.pk,
            nguyens.p.pk,
            other.pk,
            *Author.objects.filter(family_name="Other").values_list("pk", flat=True),
        ]
    )


def test_undo_of_a_merge_refuses_when_a_later_split_moved_its_records(nguyens):
    (merge,) = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])
    people.split_person(person=nguyens.patrick, authorship_ids=ids(nguyens.third))
    before = printed()

    with pytest.raises(people.PeopleError) as error:
        people.undo_change(change=merge)

    assert str(error.value) == (
        f"{merge}: 1 of its records now belong to another person (a later merge or split). "
        "Undo that later change first."
    )
    assert printed() == before
    assert not Author.objects.filter(pk=nguyens.p.pk).exists()


def test_undo_of_a_merge_refuses_when_its_orcid_went_to_someone_else(nguyens):
    Author.objects.filter(pk=nguyens.p.pk).update(orcid="0000-0001-5109-3700")
    nguyens.p.refresh_from_db()
    (merge,) = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])
    Author.objects.filter(pk=nguyens.patrick.pk).update(orcid="")
    holder = make_author(family_name="Holder", orcid="0000-0001-5109-3700")

    with pytest.raises(people.PeopleError) as error:
        people.undo_change(change=merge)

    assert str(error.value) == (
        f"{merge}: the ORCID iD 0000-0001-5109-3700 now belongs to Ada Holder (#{holder.pk}). "
        "Undo or correct that first."
    )


# Split -------------------------------------------------------------------------------------


def test_split_moves_the_chosen_authorships_to_a_new_person_named_from_the_form(nguyens):
    before = printed()
    chosen = ids(nguyens.second)

    change = people.split_person(person=nguyens.patrick, authorship_ids=chosen)

    split_off = Author.objects.get(pk=change.other_id)
    assert (split_off.family_name, split_off.given_names, split_off.orcid) == ("Nguyen", "P.", "")
    assert change.kind == PersonChangeKind.SPLIT
    assert change.person == nguyens.patrick
    assert change.authorship_ids == chosen
    assert change.removed_author is None
    assert [row[:5] for row in printed()] == [row[:5] for row in before]
    assert list(Authorship.objects.filter(author=split_off).values_list("pk", flat=True)) == chosen
    assert sorted(nguyens.patrick.authorships.values_list("pk", flat=True)) == ids(nguyens.first)


def test_split_names_the_new_person_after_the_chosen_form(nguyens):
    make_article(authors=[(nguyens.patrick, {"given_names": "Pat", "suffix": "Jr."})])
    pat = Authorship.objects.get(given_names="Pat")
    chosen = [*ids(nguyens.second), pat.pk]

    change = people.split_person(person=nguyens.patrick, authorship_ids=chosen, name_from=pat.pk)

    split_off = Author.objects.get(pk=change.other_id)
    assert split_off.sort_name == "Nguyen, Pat, Jr."


def test_split_of_a_corporate_form_makes_a_corporate_person(db):
    person = make_author(family_name="Collaboration")
    make_article(authors=[person])
    make_article(authors=[(person, {"family_name": "", "corporate_name": "OSC"})])
    corporate = Authorship.objects.get(corporate_name="OSC")

    change = people.split_person(person=person, authorship_ids=[corporate.pk])

    split_off = Author.objects.get(pk=change.other_id)
    assert (split_off.corporate_name, split_off.family_name, split_off.given_names) == (
        "OSC",
        "",
        "",
    )


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ("none", "Choose the name forms or records to move to a new person."),
        ("all", "Leave at least one record with this person"),
        ("foreign", "Some of the chosen records are no longer this person's"),
        ("name_from", "Name the new person after one of the chosen name forms."),
    ],
)
def test_split_refuses(nguyens, choice, message):
    chosen, name_from = {
        "none": ([], None),
        "all": (ids(nguyens.first, nguyens.second), None),
        "foreign": (ids(nguyens.third), None),
        "name_from": (ids(nguyens.second), ids(nguyens.first)[0]),
    }[choice]
    before = printed()

    with pytest.raises(people.PeopleError, match=message):
        people.split_person(person=nguyens.patrick, authorship_ids=chosen, name_from=name_from)

    assert printed() == before
    assert not PersonChange.objects.exists()


def test_undo_of_a_split_moves_back_and_deletes_the_split_off_person(nguyens):
    before = printed()
    authors_before = sorted(Author.objects.values_list("pk", flat=True))
    change = people.split_person(person=nguyens.patrick, authorship_ids=ids(nguyens.second))

    message = people.undo_change(change=change)

    assert message == (
        f"Moved 1 record back to Patrick Nguyen (#{nguyens.patrick.pk}) and removed "
        f"P. Nguyen (#{change.other_id})."
    )
    assert printed() == before
    assert sorted(Author.objects.values_list("pk", flat=True)) == authors_before


def test_undo_of_a_split_keeps_the_split_off_person_when_it_has_other_records(nguyens):
    change = people.split_person(person=nguyens.patrick, authorship_ids=ids(nguyens.second))
    split_off = Author.objects.get(pk=change.other_id)
    people.merge_people(keep=split_off, others=[nguyens.p])

    message = people.undo_change(change=change)

    assert message == (
        f"Moved 1 record back to Patrick Nguyen (#{nguyens.patrick.pk}); "
        f"P. Nguyen (#{split_off.pk}) has other records, so stays."
    )
    assert Author.objects.filter(pk=split_off.pk).exists()
    assert sorted(nguyens.patrick.authorships.values_list("pk", flat=True)) == ids(
        nguyens.first, nguyens.second
    )


def test_undo_of_a_split_refuses_when_the_split_off_person_was_merged_away(nguyens):
    change = people.split_person(person=nguyens.patrick, authorship_ids=ids(nguyens.second))
    split_off = Author.objects.get(pk=change.other_id)
    people.merge_people(keep=nguyens.p, others=[split_off])

    with pytest.raises(people.PeopleError, match="no longer exists"):
        people.undo_change(change=change)


# Search ------------------------------------------------------------------------------------


@pytest.fixture
def _empty_cache():
    caches["default"].clear()


def run(q: str = "", **include) -> search.SearchResult:
    params = SearchParams.build(query=parse_query(q), include=include)
    return search.search(params=params, page=1, page_size=20)


def test_after_a_merge_search_finds_the_record_and_the_facet_counts_one_person(
    nguyens, _empty_cache
):
    assert sorted(
        (value.label, value.count) for value in run("nguyen").facets["author"].values
    ) == [("Ada Other", 1), ("P Nguyen", 2), ("Patrick Nguyen", 2)]

    # No cache clearing: the index's generation moves with the merge, and the cache with it.
    people.merge_people(keep=nguyens.patrick, others=[nguyens.p])

    result = run("nguyen")
    assert sorted(article.title for article in result.articles) == [
        "Alliance repair",
        "Alliance ruptures",
        "Both Nguyens",
        "Dropout in therapy",
    ]
    assert [(value.label, value.count) for value in result.facets["author"].values] == [
        ("Patrick Nguyen", 4),
        ("Ada Other", 1),
    ]
    assert [article.title for article in run("dropout nguyen").articles] == ["Dropout in therapy"]
    # Filtering by the kept person finds the removed person's records too.
    assert len(run("", author=[str(nguyens.patrick.pk)]).articles) == 4


def test_after_a_merge_search_for_a_different_printed_form_finds_the_record(db, _empty_cache):
    lovelace = make_author(family_name="Lovelace", given_names="Ada")
    byron = make_author(family_name="Byron", given_names="Ada")
    make_article(title="Notes on the analytical engine", authors=[byron])

    people.merge_people(keep=lovelace, others=[byron])

    assert [article.title for article in run("byron").articles] == [
        "Notes on the analytical engine"
    ]
    assert [article.title for article in run("lovelace").articles] == [
        "Notes on the analytical engine"
    ]


def test_undo_of_a_merge_restores_the_facet(nguyens, _empty_cache):
    assert len(run("nguyen").facets["author"].values) == 3
    (change,) = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])
    assert len(run("nguyen").facets["author"].values) == 2
    people.undo_change(change=change)

    assert sorted(
        (value.label, value.count) for value in run("nguyen").facets["author"].values
    ) == [("Ada Other", 1), ("P Nguyen", 2), ("Patrick Nguyen", 2)]


# The command -------------------------------------------------------------------------------


def command(*args: str) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("merge_people", *args, stdout=out)
    return out.getvalue()


def test_the_command_merges_splits_lists_and_undoes(nguyens):
    before = printed()
    patrick, p = nguyens.patrick.pk, nguyens.p.pk

    merged = command(str(patrick), str(p))
    merge = PersonChange.objects.get()
    assert merged == (
        f"Change #{merge.pk}: merged P Nguyen (#{p}) into Patrick Nguyen (#{patrick}), "
        "2 records moved.\n"
    )
    split = command("--split", str(patrick), str(ids(nguyens.second)[0]))
    change = PersonChange.objects.get(kind=PersonChangeKind.SPLIT)
    assert split == (
        f"Change #{change.pk}: moved 1 record of Patrick Nguyen (#{patrick}) to "
        f"P. Nguyen (#{change.other_id}).\n"
    )
    listing = command("--list").splitlines()
    assert [line.split(" ", 3)[3] for line in listing] == [
        f"{change}, 1 record, in force",
        f"{merge}, 2 records, in force",
    ]
    command("--undo", str(change.pk))
    command("--undo", str(merge.pk))
    assert printed() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Give the person to keep and at least one person to merge."),
        (("999999", "1"), "There is no person #999999."),
        (("--undo", "999999"), "There is no person change #999999."),
        (("--split", "1"), "Give the person and at least one of their authorship ids."),
    ],
)
def test_the_command_reports_errors(nguyens, args, message):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match=message):
        command(*args)


def test_the_command_reports_an_orcid_conflict(nguyens):
    from django.core.management import CommandError

    Author.objects.filter(pk=nguyens.patrick.pk).update(orcid="0000-0002-1825-0097")
    Author.objects.filter(pk=nguyens.p.pk).update(orcid="0000-0001-5109-3700")

    with pytest.raises(CommandError, match="different ORCID iDs"):
        command(str(nguyens.patrick.pk), str(nguyens.p.pk))
