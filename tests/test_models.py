import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from catalogue.models import (
    Article,
    Author,
    Authorship,
    Contributor,
    ContributorRole,
    Journal,
    Keyword,
    PublicationState,
    SubjectArea,
)
from catalogue.pages import printed_pages, split_range

pytestmark = pytest.mark.django_db


def new_journal(*, title="Journal of Tests", issn_print="", issn_electronic="") -> Journal:
    return Journal.objects.create(
        title=title, issn_print=issn_print, issn_electronic=issn_electronic
    )


def new_article(*, title="A title", **fields) -> Article:
    return Article.objects.create(title=title, **fields)


def integrity_error(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


# Journals


def test_journal_issn_is_normalised_on_save():
    journal = new_journal(issn_print="0003066x", issn_electronic="1935 990X")
    journal.refresh_from_db()
    assert (journal.issn_print, journal.issn_electronic) == ("0003-066X", "1935-990X")
    assert journal.issns == ["0003-066X", "1935-990X"]


def test_journal_bad_issn_fails_validation():
    journal = Journal(title="Bad", issn_print="0003-0661")
    with pytest.raises(ValidationError) as excinfo:
        journal.full_clean()
    assert excinfo.value.message_dict == {
        "issn_print": ["0003-0661 has a wrong check digit (expected X)."]
    }


def test_journal_issn_unique_but_blank_allowed_many_times():
    new_journal(title="A", issn_print="0003-066X")
    new_journal(title="B")
    new_journal(title="C")
    integrity_error(lambda: new_journal(title="D", issn_print="0003-066X"))
    duplicate = Journal(title="E", issn_print="0003-066X")
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "Another journal already has this print ISSN." in str(excinfo.value)


def test_journal_same_issn_in_both_slots_rejected():
    journal = Journal(title="Twice", issn_print="0003-066X", issn_electronic="0003-066x")
    with pytest.raises(ValidationError) as excinfo:
        journal.full_clean()
    assert excinfo.value.message_dict == {
        "issn_electronic": ["The electronic ISSN must differ from the print ISSN."]
    }


# Authors


def test_author_names():
    person = Author.objects.create(
        family_name="Berg", particle="van der", given_names="Anna", suffix="Jr."
    )
    assert person.display_name == "Anna van der Berg Jr."
    assert person.sort_name == "van der Berg, Anna, Jr."
    assert person.full_family_name == "van der Berg"
    group = Author.objects.create(corporate_name="Open Science Collaboration")
    assert (group.display_name, group.sort_name, group.is_corporate) == (
        "Open Science Collaboration",
        "Open Science Collaboration",
        True,
    )
    assert str(person) == "Anna van der Berg Jr."


def test_author_needs_a_name_and_cannot_be_both():
    integrity_error(lambda: Author.objects.create(given_names="Only given"))
    integrity_error(lambda: Author.objects.create(family_name="Smith", corporate_name="Smith & Co"))


def test_author_orcid_validated_normalised_and_unique():
    author = Author.objects.create(
        family_name="Carberry", orcid="https://orcid.org/0000-0002-1825-0097"
    )
    assert author.orcid == "0000-0002-1825-0097"
    assert author.orcid_url == "https://orcid.org/0000-0002-1825-0097"
    Author.objects.create(family_name="No Orcid")
    Author.objects.create(family_name="No Orcid Either")
    integrity_error(lambda: Author.objects.create(family_name="X", orcid="0000-0002-1825-0097"))
    bad = Author(family_name="Bad", orcid="0000-0002-1825-0098")
    with pytest.raises(ValidationError) as excinfo:
        bad.full_clean()
    assert list(excinfo.value.message_dict) == ["orcid"]


# Keywords and subjects


def test_keyword_slug_and_case_insensitive_uniqueness():
    keyword = Keyword.objects.create(term="  Alliance-outcome   association ")
    assert (keyword.term, keyword.slug) == (
        "Alliance-outcome association",
        "alliance-outcome-association",
    )
    accented = Keyword.objects.create(term="Zürich études")
    assert accented.slug == "zurich-etudes"
    integrity_error(lambda: Keyword.objects.create(term="ALLIANCE-OUTCOME ASSOCIATION", slug="x"))
    # Different terms that slugify alike get distinct slugs.
    assert Keyword.objects.create(term="Alliance outcome association").slug == (
        "alliance-outcome-association-2"
    )


def test_subject_area_code_unique_per_scheme_and_parent():
    parent = SubjectArea.objects.create(code="32", name="Psychology")
    child = SubjectArea.objects.create(code="3200", name="General Psychology", parent=parent)
    assert list(parent.children.all()) == [child]
    SubjectArea.objects.create(code="3200", name="Other scheme", scheme="ANZSRC")
    integrity_error(lambda: SubjectArea.objects.create(code="3200", name="Dup"))


# Articles


def test_article_doi_normalised_and_unique():
    article = new_article(doi="https://doi.org/10.1037/A0040435")
    assert article.doi == "10.1037/a0040435"
    assert article.doi_url == "https://doi.org/10.1037/a0040435"
    new_article(title="no doi 1")
    new_article(title="no doi 2")
    integrity_error(lambda: new_article(title="dup", doi="doi:10.1037/a0040435"))
    assert list(Article.objects.with_doi("DOI:10.1037/A0040435")) == [article]
    assert list(Article.objects.with_doi("")) == []


def test_article_doi_pasted_as_link_passes_validation():
    article = Article(title="x", doi="https://doi.org/10.1037/A0040435")
    article.full_clean()
    assert article.doi == "10.1037/a0040435"


def test_article_bad_doi_fails_validation():
    article = Article(title="x", doi="not-a-doi")
    with pytest.raises(ValidationError) as excinfo:
        article.full_clean()
    assert excinfo.value.message_dict["doi"] == [
        "not-a-doi is not a DOI: expected 10.<registrant>/<suffix>, e.g. 10.1037/a0040435."
    ]


def test_article_page_numbers_cannot_run_backwards_in_the_database():
    # Numbers are derived from the printed pages; the constraint guards bulk writers.
    integrity_error(
        lambda: Article.objects.bulk_create([Article(title="x", first_page=325, last_page=311)])
    )
    integrity_error(lambda: Article.objects.bulk_create([Article(title="x", last_page=311)]))


@pytest.mark.parametrize(
    ("printed", "numbers", "count"),
    [
        ("311–325", (311, 325), 15),
        ("7", (7, 7), 1),
        ("052102", (None, None), None),
        ("E3313–E3322", (None, None), None),
        ("xii–xv", (None, None), None),
        ("123–", (None, None), None),
        ("325–311", (None, None), None),
        ("1198–201", (1198, 1201), 4),
        ("311–25", (311, 325), 15),
        ("99–5", (None, None), None),
        ("1, 5–7", (None, None), None),
        ("", (None, None), None),
    ],
)
def test_article_keeps_pages_as_printed_and_derives_numbers_only_from_plain_ones(
    printed, numbers, count
):
    article = new_article(pages=printed)
    article.refresh_from_db()
    assert article.pages == printed
    assert (article.first_page, article.last_page) == numbers
    assert (article.page_count, article.number_of_pages) == (count, count)


def test_article_pages_set_as_numbers_are_printed():
    article = new_article(first_page=311, last_page=325)
    assert (article.pages, article.page_count, article.number_of_pages) == ("311–325", 15, 15)
    single = new_article(first_page=7, last_page=7)
    assert (single.pages, single.number_of_pages) == ("7", 1)


def test_article_pages_or_number_and_explicit_page_count():
    numbered = new_article(article_number="aac4716", page_count=8)
    assert (numbered.pages, numbered.pages_or_number, numbered.number_of_pages) == (
        "",
        "aac4716",
        8,
    )
    both = new_article(pages="e0123", article_number="e0123x")
    assert both.pages_or_number == "e0123"
    assert new_article().pages_or_number == ""
    assert new_article().number_of_pages is None


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        ("311--325", "311–325"),
        ("311-325", "311–325"),
        ("311 -- 325", "311–325"),
        ("E3313--E3322", "E3313–E3322"),
        ("123--", "123–"),
        ("1, 5--7", "1, 5–7"),
        ("052102", "052102"),
        ("S-12-S-15", "S-12-S-15"),
        ("  12\n ", "12"),
    ],
)
def test_printed_pages_write_each_range_with_an_en_dash(value, printed):
    assert printed_pages(value.replace("\\n", "\n")) == printed


def test_split_range_gives_the_printed_ends():
    assert split_range("E3313–E3322") == ("E3313", "E3322")
    assert split_range("123–") == ("123", "")
    assert split_range("052102") == ("052102", "")
    assert split_range("1, 5–7") == ("1, 5–7", "")


def test_article_state_date_at_each_precision():
    assert new_article(year=2017, month=5).state_display == "Published - May 2017"
    assert new_article(year=2017).state_display == "Published - 2017"
    assert new_article(year=2017, month=5, day=3).state_display == "Published - 3 May 2017"
    in_press = new_article(state=PublicationState.IN_PRESS)
    assert in_press.state_display == "E-pub ahead of print"


def test_article_date_rules():
    integrity_error(lambda: new_article(month=5))
    integrity_error(lambda: new_article(year=2017, day=3))
    integrity_error(lambda: new_article(year=2017, month=13))
    article = Article(title="x", year=2019, month=2, day=30)
    with pytest.raises(ValidationError) as excinfo:
        article.full_clean()
    assert excinfo.value.message_dict == {"day": ["February 2019 has 28 days."]}


def test_article_language_validated_and_named():
    article = new_article(language="en")
    assert article.language_name == "English"
    bad = Article(title="x", language="English")
    with pytest.raises(ValidationError) as excinfo:
        bad.full_clean()
    assert list(excinfo.value.message_dict) == ["language"]


def test_authorship_positions_unique_and_ordered():
    article = new_article()
    first = Author.objects.create(family_name="First")
    second = Author.objects.create(family_name="Second")
    Authorship.objects.create(article=article, author=second, position=2)
    Authorship.objects.create(article=article, author=first, position=1, affiliation="Haifa")
    integrity_error(lambda: Authorship.objects.create(article=article, author=first, position=2))
    integrity_error(lambda: Authorship.objects.create(article=article, author=first, position=0))
    loaded = Article.objects.with_related().get(pk=article.pk)
    assert [a.author.family_name for a in loaded.ordered_authorships] == ["First", "Second"]


def test_authorship_keeps_its_printed_name_apart_from_the_person():
    person = Author.objects.create(family_name="Nguyen", given_names="Patrick")
    article = new_article()
    printed = Authorship.objects.create(
        article=article, author=person, position=1, family_name="Nguyen", given_names="P"
    )
    unnamed = Authorship.objects.create(article=new_article(), author=person, position=1)
    printed.refresh_from_db()
    unnamed.refresh_from_db()
    assert (printed.printed_name, printed.printed_sort_name) == ("P Nguyen", "Nguyen, P")
    assert str(printed) == "1. P Nguyen"
    # A slot saved without a printed form shows its person's.
    assert (unnamed.family_name, unnamed.given_names) == ("Nguyen", "Patrick")
    particle = Authorship(particle="van der", family_name="Berg", given_names="J.", suffix="Jr")
    assert particle.printed_name == "J. van der Berg Jr"
    assert particle.printed_sort_name == "van der Berg, J., Jr"
    assert Authorship(corporate_name="WHO", family_name="x").printed_name == "WHO"


def test_contributors_keep_role_order_and_need_a_name():
    article = new_article()
    Contributor.objects.create(
        article=article, role=ContributorRole.EDITOR, position=2, family_name="Second"
    )
    Contributor.objects.create(
        article=article, role=ContributorRole.EDITOR, position=1, family_name="First"
    )
    Contributor.objects.create(
        article=article, role=ContributorRole.TRANSLATOR, position=1, corporate_name="DeepL"
    )
    integrity_error(
        lambda: Contributor.objects.create(
            article=article, role=ContributorRole.EDITOR, position=1, family_name="Again"
        )
    )
    integrity_error(
        lambda: Contributor.objects.create(
            article=article, role=ContributorRole.EDITOR, position=3, given_names="Only"
        )
    )
    assert [str(c) for c in article.contributors.all()] == [
        "Editor 1. First",
        "Editor 2. Second",
        "Translator 1. DeepL",
    ]


def test_newest_first_orders_by_date_with_undated_last():
    undated = new_article(title="undated")
    old = new_article(title="old", year=1999)
    may = new_article(title="may", year=2017, month=5)
    june = new_article(title="june", year=2017, month=6, day=1)
    year_only = new_article(title="2017", year=2017)
    titles = list(Article.objects.newest_first().values_list("title", flat=True))
    assert titles == ["june", "may", "2017", "old", "undated"]
    assert [a.pk for a in Article.objects.all()] == [
        june.pk,
        may.pk,
        year_only.pk,
        old.pk,
        undated.pk,
    ]


def test_with_related_is_a_constant_number_of_queries(django_assert_num_queries):
    journal = new_journal()
    for index in range(5):
        article = new_article(title=f"t{index}", journal=journal)
        for position in range(1, 4):
            author = Author.objects.create(family_name=f"A{index}{position}")
            Authorship.objects.create(article=article, author=author, position=position)
        article.keywords.add(Keyword.objects.create(term=f"k{index}"))
    # Articles with journals, authorships with people, contributors, keywords, subjects.
    with django_assert_num_queries(5):
        articles = list(Article.objects.with_related())
        names = [[a.author.family_name for a in art.ordered_authorships] for art in articles]
        keywords = [[k.term for k in art.keywords.all()] for art in articles]
        subjects = [list(art.subject_areas.all()) for art in articles]
        journals = [art.journal.title for art in articles]
    assert len(names) == len(keywords) == len(subjects) == len(journals) == 5
    assert names[0] == ["A41", "A42", "A43"]


def test_seed_fixture_has_every_seed_field(seed):
    article = Article.objects.with_related().get(doi="10.1037/a0040435")
    assert article.title == (
        "Is the alliance really therapeutic? Revisiting this question in light of recent "
        "methodological advances"
    )
    assert article.abstract.startswith("The therapeutic value of alliance is a contested")
    assert article.abstract.endswith("is the predictor of treatment outcome.")
    assert (article.output_type, article.peer_reviewed, article.language_name) == (
        "article",
        True,
        "English",
    )
    # The portal prints "311-325"; a range is stored with its en dash.
    assert (article.pages, article.number_of_pages, article.volume, article.issue) == (
        "311–325",
        15,
        "72",
        "4",
    )
    assert article.state_display == "Published - May 2017"
    assert article.journal.title == "American Psychologist"
    assert article.journal.issn_print == "0003-066X"
    assert article.journal.abbreviated_title == "Am Psychol"
    assert [a.author.display_name for a in article.ordered_authorships] == ["Sigal Zilcha-Mano"]
    assert [k.term for k in article.keywords.all()] == [
        "Active therapeutic ingredients",
        "Alliance",
        "Alliance-outcome association",
        "Psychotherapy process research",
    ]
    assert [str(s) for s in article.subject_areas.all()] == ["General Psychology"]
    assert article.subject_areas.get().code == "3200"
    assert article.bibliographical_note == (
        "Publisher Copyright:\n© 2017 American Psychological Association."
    )
    cuijpers = Article.objects.get(doi="10.1146/annurev-clinpsy-050718-095424")
    assert (cuijpers.journal.title, cuijpers.volume, cuijpers.pages, cuijpers.year) == (
        "Annual Review of Clinical Psychology",
        "15",
        "207–231",
        2019,
    )
    assert [a.author.family_name for a in cuijpers.ordered_authorships] == [
        "Cuijpers",
        "Reijnders",
        "Huibers",
    ]
    fluckiger = Article.objects.get(doi="10.1037/pst0000172")
    assert (fluckiger.journal.title, fluckiger.volume, fluckiger.issue, fluckiger.pages) == (
        "Psychotherapy",
        "55",
        "4",
        "316–340",
    )
    assert [a.author.family_name for a in fluckiger.ordered_authorships] == [
        "Flückiger",
        "Del Re",
        "Wampold",
        "Horvath",
    ]
    for model_instance in [article, cuijpers, fluckiger, *Journal.objects.all()]:
        model_instance.full_clean()


# Newest first, and its index (migration 0022)


def test_newest_first_orders_by_date_with_undated_parts_last():
    undated = new_article(title="Undated")
    old = new_article(title="Old", year=1999, month=5)
    year_only = new_article(title="Year only", year=2020)
    dated = new_article(title="Dated", year=2020, month=3, day=9)
    later_same_day = new_article(title="Later", year=2020, month=3, day=9)

    assert list(Article.objects.newest_first()) == [
        later_same_day,
        dated,
        year_only,
        old,
        undated,
    ]


def test_newest_first_reads_its_index_instead_of_sorting_every_article():
    for year in range(1990, 2010):
        new_article(title=f"Article of {year}", year=year, month=1 + year % 12)
    query = Article.objects.newest_first().values("pk")[:10].query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # With 20 rows a sequential scan is cheaper: forbid it to see whether the index
            # can give this order at all (NULLS LAST must match the query's).
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = "\n".join(str(row) for row in cursor.fetchall())
    assert "article_newest_first" in plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan


# Indexes (migration 0030)


def _indexes(table: str) -> dict[str, tuple[str, ...]]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        name: tuple(info["columns"])
        for name, info in constraints.items()
        if info["index"] or info["unique"]
    }


@pytest.mark.parametrize(
    ("table", "column", "composite"),
    [
        ("catalogue_article", "journal_id", ("journal_id", "year")),
        ("catalogue_authorship", "article_id", ("article_id", "position")),
        ("catalogue_authorship", "author_id", ("author_id", "article_id")),
        ("catalogue_contributor", "article_id", ("article_id", "role", "position")),
    ],
)
def test_a_foreign_key_a_composite_index_leads_with_has_no_index_of_its_own(
    table, column, composite
):
    indexes = _indexes(table)
    # Each import writes every index: the composite one serves every lookup by the column.
    assert (column,) not in indexes.values()
    assert composite in indexes.values()


def test_foreign_keys_without_a_composite_index_keep_their_own():
    # The keyword and subject links and the topics still need theirs.
    assert ("keyword_id",) in _indexes("catalogue_article_keywords").values()
    assert ("subjectarea_id",) in _indexes("catalogue_article_subject_areas").values()
