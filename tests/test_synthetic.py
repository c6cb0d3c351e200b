"""The synthetic catalogue generator (catalogue/synthetic.py) and its management command."""

import calendar
import hashlib
import re
import statistics
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import NOT_PROVIDED, Count, F
from django.db.models.functions import Lower

from catalogue import identifiers, synthetic
from catalogue.models import (
    RECORD_TEXT_FIELDS,
    Article,
    Author,
    Authorship,
    Contributor,
    ContributorRole,
    Journal,
    Keyword,
    OutputType,
    PublicationState,
    SubjectArea,
)
from catalogue.pages import page_numbers
from catalogue.search import index as search_index
from catalogue.synthetic import containers, writers
from catalogue.synthetic.articles import ArticleStream, cap_date

pytestmark = pytest.mark.django_db


# The tests generate as on this day, so that what they generate does not change with the date.
TODAY = date(2026, 12, 7)


def make_catalogue(
    *, articles=200, seed=1, batch_size=synthetic.DEFAULT_BATCH_SIZE, today=TODAY, **kwargs
):
    """Generate a synthetic catalogue (as on `today`) and return the report."""
    return synthetic.generate_catalogue(
        articles=articles, seed=seed, batch_size=batch_size, today=today, **kwargs
    )


def run_command(*args, **options):
    """Run generate_catalogue; return what it printed."""
    out = StringIO()
    call_command("generate_catalogue", *args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def table_counts():
    return {
        "articles": Article.objects.count(),
        "journals": Journal.objects.count(),
        "authors": Author.objects.count(),
        "keywords": Keyword.objects.count(),
        "subjects": SubjectArea.objects.count(),
        "authorships": Authorship.objects.count(),
        "keyword links": Article.keywords.through.objects.count(),
        "subject links": Article.subject_areas.through.objects.count(),
        "contributors": Contributor.objects.count(),
    }


def snapshot():
    """Return the generated content, without database ids or timestamps."""
    rows = []
    for article in Article.objects.with_related().order_by("doi"):
        rows.append(
            (
                article.doi,
                article.title,
                article.abstract,
                article.output_type,
                article.language,
                article.year,
                article.month,
                article.day,
                article.pages,
                article.journal.title if article.journal else "",
                tuple(a.author.sort_name for a in article.ordered_authorships),
                tuple(sorted(k.term for k in article.keywords.all())),
                tuple(sorted(s.code for s in article.subject_areas.all())),
                tuple(a.printed_sort_name for a in article.ordered_authorships),
                article.et_al,
                article.citation_key,
                article.publisher,
                tuple(getattr(article, name) for name in RECORD_TEXT_FIELDS),
                tuple(
                    (c.role, c.position, c.printed_sort_name)
                    for c in sorted(article.contributors.all(), key=lambda c: (c.role, c.position))
                ),
            )
        )
    return rows


class _Undo(Exception):
    pass


def snapshot_of_a_run(**options):
    """Generate, take a snapshot, and roll the generation back (the database is as before)."""
    try:
        with transaction.atomic():
            make_catalogue(**options)
            rows = snapshot()
            raise _Undo
    except _Undo:
        return rows


# --- sizes, counts, report -------------------------------------------------------------------


def test_pool_sizes_scale_with_the_article_count():
    assert synthetic.pool_sizes(articles=1_000_000) == synthetic.PoolSizes(
        journals=5_000, authors=400_000, keywords=50_000
    )
    assert synthetic.pool_sizes(articles=200) == synthetic.PoolSizes(
        journals=20, authors=80, keywords=50
    )


def test_the_generator_writes_every_article_column_without_a_database_default():
    # The generator's rows are positional tuples in ARTICLE_FIELDS' order, so the list is
    # written out beside them; this ties it to the model, so a new column cannot be missed.
    columns = {field.attname for field in Article._meta.concrete_fields}
    defaulted = {
        field.attname
        for field in Article._meta.concrete_fields
        if field.db_default is not NOT_PROVIDED
    }
    assert len(set(synthetic.ARTICLE_FIELDS)) == len(synthetic.ARTICLE_FIELDS)
    assert columns - defaulted <= set(synthetic.ARTICLE_FIELDS) <= columns
    # Of the defaulted columns, those the generator gives values (a record's own fields).
    assert set(synthetic.ARTICLE_FIELDS) & defaulted == {
        "pages", "publisher", *RECORD_TEXT_FIELDS, "et_al", "citation_key",
    }  # fmt: skip


def test_generates_the_requested_articles_and_reports_every_table():
    report = make_catalogue(articles=200, seed=7)

    counts = table_counts()
    assert counts["articles"] == 200
    assert counts["journals"] == 20
    assert counts["authors"] == 80
    assert counts["keywords"] == 50
    assert counts["subjects"] == len(synthetic.SUBJECT_AREAS)
    assert report.articles == 200
    assert report.seed == 7
    assert report.rows == {
        "subjectarea": len(synthetic.SUBJECT_AREAS),
        "keyword": 50,
        "journal": 20,
        "author": 80,
        "article": 200,
        "authorship": counts["authorships"],
        "article_keywords": counts["keyword links"],
        "article_subject_areas": counts["subject links"],
        "contributor": counts["contributors"],
    }
    assert counts["contributors"] > 0
    assert report.total_rows == sum(report.rows.values())
    assert report.seconds > 0
    assert report.rows_per_second > 0


def test_progress_is_reported_per_stage():
    calls = []
    make_catalogue(articles=120, batch_size=50, progress=lambda *call: calls.append(call))

    assert [call for call in calls if call[0] == "articles"] == [
        ("articles", 50, 120),
        ("articles", 100, 120),
        ("articles", 120, 120),
    ]
    assert calls[0] == ("authors", 50, 50)
    # PostgreSQL indexes the articles for search after their commit; SQLite as it writes.
    if connection.vendor == "postgresql":
        assert calls[-2:] == [("checking references", 0, 0), ("search index", 120, 120)]
    else:
        assert calls[-1] == ("checking references", 0, 0)


def test_ids_and_sequences_continue_after_generation():
    make_catalogue(articles=30)
    last = {
        model: model.objects.order_by("-pk").values_list("pk", flat=True)[0]
        for model in (Article, Author, Journal, Keyword)
    }

    article = Article.objects.create(title="Written after the generator")
    author = Author.objects.create(family_name="Later")
    journal = Journal.objects.create(title="Later Journal")
    keyword = Keyword.objects.create(term="a later keyword")

    assert article.pk == last[Article] + 1
    assert author.pk == last[Author] + 1
    assert journal.pk == last[Journal] + 1
    assert keyword.pk == last[Keyword] + 1


# --- constraints and validity ----------------------------------------------------------------


def test_every_record_passes_model_validation_and_constraints():
    make_catalogue(articles=300, seed=2)

    for journal in Journal.objects.all():
        journal.full_clean()
        for issn in journal.issns:
            identifiers.validate_issn(issn)
        assert journal.abbreviated_title
    for author in Author.objects.all():
        author.full_clean()
        if author.orcid:
            identifiers.validate_orcid(author.orcid)
    for article in Article.objects.all():
        article.full_clean()
        assert article.doi.startswith("10.5555/syn2.")
        if article.last_page is not None:
            assert article.last_page >= article.first_page
            assert article.page_count == article.last_page - article.first_page + 1
        if article.day:
            assert article.day <= calendar.monthrange(article.year, article.month)[1]
        if article.month:
            assert article.year
    for subject in SubjectArea.objects.all():
        subject.full_clean()


def test_identifiers_keywords_and_positions_are_unique():
    make_catalogue(articles=300, seed=2)

    dois = list(Article.objects.values_list("doi", flat=True))
    assert len(dois) == len(set(dois)) == 300
    orcids = list(Author.objects.exclude(orcid="").values_list("orcid", flat=True))
    assert len(orcids) == len(set(orcids)) > 0
    issns = [
        i for pair in Journal.objects.values_list("issn_print", "issn_electronic") for i in pair
    ]
    issns = [issn for issn in issns if issn]
    assert len(issns) == len(set(issns)) > 0
    terms = list(Keyword.objects.annotate(key=Lower("term")).values_list("key", flat=True))
    assert len(terms) == len(set(terms))
    slugs = list(Keyword.objects.values_list("slug", flat=True))
    assert len(slugs) == len(set(slugs))
    for article_id, positions in _positions_by_article().items():
        assert positions == list(range(1, len(positions) + 1)), article_id
        assert 1 <= len(positions) <= 12


def _positions_by_article():
    positions = {}
    for article_id, position in Authorship.objects.order_by("article", "position").values_list(
        "article_id", "position"
    ):
        positions.setdefault(article_id, []).append(position)
    return positions


def test_an_article_has_each_author_and_keyword_once():
    make_catalogue(articles=300, seed=4)

    assert not (
        Authorship.objects.values("article", "author")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )
    assert not (
        Article.keywords.through.objects.values("article", "keyword")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )


def test_multiline_text_survives_the_bulk_write():
    make_catalogue(articles=200, seed=1)

    note = Article.objects.exclude(bibliographical_note="").first().bibliographical_note
    assert note.startswith("Publisher Copyright:\n© ")


def test_issn_orcid_and_abbreviation_helpers():
    assert synthetic.abbreviate_title("Journal of Applied Ecology") == "J Appl Ecol"
    assert (
        synthetic.abbreviate_title("International Journal of Clinical Psychology")
        == "Int J Clin Psychol"
    )
    assert synthetic.abbreviate_title("Perinatology Letters") == "Perinat Lett"
    assert synthetic.doi_for(seed=12, number=3) == "10.5555/syn12.3"


# --- determinism -----------------------------------------------------------------------------


def test_same_count_and_seed_give_the_same_records_whatever_the_batch_size():
    first = snapshot_of_a_run(articles=150, seed=11)
    assert table_counts()["articles"] == 0

    make_catalogue(articles=150, seed=11, batch_size=7)

    assert snapshot() == first
    assert len(first) == 150


def test_generated_content_is_pinned():
    # Guards against hidden nondeterminism (hash seeds, set order) between processes: this
    # digest changes only when the generator is changed on purpose; update it then.
    make_catalogue(articles=50, seed=1)
    digest = hashlib.sha256(repr(snapshot()).encode()).hexdigest()

    assert digest == PINNED_DIGEST


PINNED_DIGEST = "94b9f26de16c49bf0a9df291a1fec069e677b35e72a3e722210f23c2a96fc2bb"


def test_a_different_seed_adds_new_records_and_shares_keywords_and_subjects():
    make_catalogue(articles=200, seed=1)
    before = table_counts()

    make_catalogue(articles=200, seed=2)

    after = table_counts()
    assert after["articles"] == 400
    assert after["journals"] == before["journals"] + 20
    assert after["authors"] == before["authors"] + 80
    assert after["keywords"] == before["keywords"]
    assert after["subjects"] == before["subjects"]
    assert Article.objects.filter(doi__startswith="10.5555/syn2.").count() == 200


def test_existing_keywords_are_reused_ignoring_case():
    existing = Keyword.objects.create(term="Machine Learning", slug="machine-learning")

    make_catalogue(articles=200)

    assert Keyword.objects.filter(term__iexact="machine learning").count() == 1
    assert existing.articles.exists()
    assert Keyword.objects.count() == 50


def test_seed_fixture_subject_areas_and_keywords_are_reused(seed):
    fixture_subjects = SubjectArea.objects.count()

    make_catalogue(articles=100)

    assert fixture_subjects == 4
    assert SubjectArea.objects.count() == len(synthetic.SUBJECT_AREAS)
    assert Article.objects.count() == 103
    assert Keyword.objects.count() == 4 + 50


def test_keyword_terms_are_stable_and_grow_by_appending():
    assert synthetic.keyword_terms(300)[:120] == synthetic.keyword_terms(120)
    assert synthetic.keyword_terms(3)[:2] == ["machine learning", "depression"]


# --- distributions ---------------------------------------------------------------------------


@pytest.fixture
def catalogue_2000(db):
    make_catalogue(articles=2000, seed=3)


def _uses(queryset, field):
    return sorted(queryset.values(field).annotate(n=Count("id")).values_list("n", flat=True))


def test_keywords_journals_and_authors_have_a_few_very_common_values(catalogue_2000):
    keyword_uses = _uses(Article.keywords.through.objects, "keyword")
    journal_uses = _uses(Article.objects.exclude(journal=None), "journal")
    author_uses = _uses(Authorship.objects, "author")

    # Pools are small at 2,000 articles (100 keywords, 20 journals, 800 authors), which
    # flattens the curves; at 1M the ratios are far larger (docs/performance.md).
    assert keyword_uses[-1] >= 8 * statistics.median(keyword_uses)
    assert journal_uses[-1] >= 2 * statistics.median(journal_uses)
    assert author_uses[-1] >= 5 * statistics.median(author_uses)
    assert sum(keyword_uses[-10:]) >= 0.3 * sum(keyword_uses)  # top 10% of 100 keywords
    # Nearly every author of the pool has an article.
    assert len(author_uses) >= 0.97 * Author.objects.count()


def test_links_per_article_are_near_the_targets(catalogue_2000):
    authorships = Authorship.objects.count() / 2000
    keywords = Article.keywords.through.objects.count() / 2000
    subjects = Article.subject_areas.through.objects.count() / 2000

    assert 3.8 <= authorships <= 4.8
    assert 4.8 <= keywords <= 6.2
    assert 1.3 <= subjects <= 1.9


def test_years_states_types_and_languages_look_like_a_catalogue(catalogue_2000):
    years = Counter(Article.objects.values_list("year", flat=True))
    dated = sum(n for year, n in years.items() if year)
    types = Counter(Article.objects.values_list("output_type", flat=True))
    languages = Counter(Article.objects.values_list("language", flat=True))
    states = Counter(Article.objects.values_list("state", flat=True))

    assert all(1950 <= year <= 2026 for year in years if year)
    assert sum(n for year, n in years.items() if year and year >= 2000) >= 0.85 * dated
    assert types[OutputType.ARTICLE] >= 0.65 * 2000
    assert len(types) >= 8
    assert languages["en"] >= 0.85 * 2000
    assert {"de", "fr", "es"} <= set(languages)
    assert states[PublicationState.PUBLISHED] >= 0.88 * 2000
    assert states[PublicationState.IN_PRESS] > 0
    assert Article.objects.filter(peer_reviewed=True).count() >= 0.7 * 2000
    precision = Counter(
        "day" if day else "month" if month else "year"
        for month, day in Article.objects.exclude(year=None).values_list("month", "day")
    )
    assert min(precision.values()) >= 0.08 * 2000
    assert Article.objects.exclude(article_number="").exists()
    assert Article.objects.exclude(first_page=None).exists()


def test_titles_and_abstracts_have_realistic_lengths(catalogue_2000):
    texts = list(Article.objects.values_list("title", "abstract"))
    title_words = statistics.mean(len(title.split()) for title, _ in texts)
    abstract_words = statistics.mean(len(abstract.split()) for _, abstract in texts)

    assert 9 <= title_words <= 14
    assert 150 <= abstract_words <= 250


def test_authors_include_particles_suffixes_corporate_bodies_and_orcids(catalogue_2000):
    authors = Author.objects.all()
    total = authors.count()

    assert authors.exclude(particle="").count() > 0
    assert authors.exclude(suffix="").count() > 0
    assert authors.exclude(corporate_name="").count() > 0
    assert 0.25 * total <= authors.exclude(orcid="").count() <= 0.45 * total


def test_authorships_print_their_persons_name(catalogue_2000):
    names = Authorship.NAME_FIELDS
    mismatched = Authorship.objects.exclude(**{name: F(f"author__{name}") for name in names})

    assert Authorship.objects.count() > 8000
    assert not mismatched.exists()


def test_pages_are_printed_from_the_page_numbers(catalogue_2000):
    checked = 0
    for pages, first, last, count in Article.objects.values_list(
        "pages", "first_page", "last_page", "page_count"
    ):
        if first is None:
            assert pages == ""
            continue
        assert pages == (f"{first}–{last}" if last != first else str(first))
        assert page_numbers(pages) == (first, last)
        assert count == last - first + 1
        checked += 1
    assert checked > 1000


def test_every_record_has_a_citation_key_from_author_year_and_title(catalogue_2000):
    keys = list(Article.objects.values_list("citation_key", flat=True))

    assert all(re.fullmatch(r"[a-z0-9]+(\d{4}|nd)[a-z0-9]*", key) for key in keys), keys[:5]
    assert len(set(keys)) >= 0.95 * len(keys)


def test_citation_keys_follow_google_scholars_pattern():
    assert containers.citation_key(("Berg", "Jan", "van der", "", ""), 2019, "The alliance") == (
        "vanderberg2019alliance"
    )
    group = ("", "", "", "", "Étude Group")
    assert containers.citation_key(group, None, "Ça va") == "etudendca"
    assert containers.citation_key(None, 2001, "") == "anon2001"


def test_some_records_have_et_al_contributors_and_book_fields(catalogue_2000):
    articles = Article.objects.all()
    chapters = articles.filter(output_type=OutputType.CHAPTER)
    editors = Contributor.objects.filter(role=ContributorRole.EDITOR)

    assert 0 < articles.filter(et_al=True).count() < 0.05 * 2000
    assert all(authorships >= 8 for authorships in _author_counts(articles.filter(et_al=True)))
    assert chapters.count() > 5
    assert not chapters.filter(book_title="").exists()
    assert set(editors.values_list("article__output_type", flat=True)) == {OutputType.CHAPTER}
    assert set(chapters.values_list("pk", flat=True)) == set(
        editors.values_list("article_id", flat=True)
    )
    books = articles.filter(output_type__in=[OutputType.BOOK, OutputType.CHAPTER])
    assert not books.filter(isbn="").exists() and not books.filter(publisher="").exists()
    for isbn in books.values_list("isbn", flat=True):
        digits = [int(digit) for digit in isbn.replace("-", "")]
        assert sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0, isbn
    assert not articles.filter(output_type=OutputType.THESIS, genre="").exists()
    assert not articles.filter(output_type=OutputType.REPORT, report_number="").exists()
    assert articles.filter(eprint_type="arXiv").exclude(eprint="").exists()
    for contributor in Contributor.objects.all():
        contributor.full_clean()


def _author_counts(articles):
    return [article.authorships.count() for article in articles]


def test_subject_areas_have_parent_fields():
    make_catalogue(articles=50)

    psychology = SubjectArea.objects.get(scheme="ASJC", code="32")
    clinical = SubjectArea.objects.get(scheme="ASJC", code="3203")
    assert clinical.parent == psychology
    assert clinical.name == "Clinical Psychology"
    assert SubjectArea.objects.filter(parent=None).count() == 27
    assert 290 <= SubjectArea.objects.count() <= 340


# --- the command -----------------------------------------------------------------------------


def test_command_generates_and_prints_a_summary():
    output = run_command("--articles", "60", "--seed", "9", "--batch-size", "25")

    assert Article.objects.count() == 60
    assert "Generated 60 articles (seed 9)" in output
    assert "articles/s" in output
    assert "article " in output
    assert Article.objects.filter(doi="10.5555/syn9.60").exists()


class Terminal(StringIO):
    def isatty(self):
        return True


def test_command_shows_progress_on_a_terminal_only():
    terminal, pipe = Terminal(), StringIO()

    call_command("generate_catalogue", "--articles", "30", stdout=StringIO(), stderr=terminal)
    call_command(
        "generate_catalogue", "--articles", "30", "--seed", "2", stdout=StringIO(), stderr=pipe
    )

    assert "\r  articles: 30 / 30 (100%)\x1b[K" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r\x1b[K")
    assert pipe.getvalue() == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--articles", "0"], "argument --articles: must be at least 1, not 0."),
        (["--articles", "-5"], "argument --articles: must be at least 1, not -5."),
        (["--articles", "many"], "argument --articles: must be a whole number, not 'many'."),
        (["--articles", "2.5"], "argument --articles: must be a whole number, not '2.5'."),
        (["--articles", "10", "--seed", "-1"], "argument --seed: must be at least 0, not -1."),
        (
            ["--articles", "10", "--batch-size", "0"],
            "argument --batch-size: must be at least 1, not 0.",
        ),
        (
            ["--articles", "10", "--today", "2026-13-01"],
            "argument --today: must be a day written YYYY-MM-DD, such as 2026-12-07, "
            "not '2026-13-01'",
        ),
        (
            ["--articles", "10", "--today", "yesterday"],
            "argument --today: must be a day written YYYY-MM-DD, such as 2026-12-07, "
            "not 'yesterday'",
        ),
    ],
)
def test_command_rejects_bad_arguments_without_writing(args, message):
    with pytest.raises(CommandError) as error:
        run_command(*args)

    assert message in str(error.value)
    assert table_counts() == dict.fromkeys(table_counts(), 0)


def test_command_requires_the_article_count():
    with pytest.raises(CommandError, match="--articles"):
        run_command()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        # call_command parses required options such as --articles like the command line.
        ({"articles": 0}, "argument --articles: must be at least 1, not 0."),
        ({"articles": "lots"}, "argument --articles: must be a whole number, not 'lots'."),
        ({"articles": 10, "seed": -3}, "--seed must be at least 0, not -3."),
        ({"articles": 10, "batch_size": -1}, "--batch-size must be at least 1, not -1."),
    ],
)
def test_command_rejects_bad_keyword_options_without_writing(options, message):
    with pytest.raises(CommandError) as error:
        run_command(**options)

    assert message in str(error.value)
    assert Article.objects.count() == 0


def test_function_rejects_bad_arguments():
    with pytest.raises(synthetic.GenerationError, match="articles must be at least 1"):
        make_catalogue(articles=0)
    with pytest.raises(synthetic.GenerationError, match="articles must be a whole number"):
        make_catalogue(articles=True)
    with pytest.raises(synthetic.GenerationError, match="batch size must be at most 100,000"):
        make_catalogue(articles=5, batch_size=100_001)
    assert Journal.objects.count() == 0


def test_same_seed_twice_is_refused_before_writing():
    run_command("--articles", "40", "--seed", "5")
    before = table_counts()

    with pytest.raises(CommandError) as error:
        run_command("--articles", "40", "--seed", "5")

    assert str(error.value) == (
        "The catalogue already holds the articles of seed 5 "
        "(DOI 10.5555/syn5.1 exists): use another --seed."
    )
    assert table_counts() == before


def test_skip_if_populated_does_nothing_when_enough_articles_exist(seed):
    before = table_counts()

    output = run_command("--articles", "3", "--skip-if-populated")

    assert output.strip() == (
        "Skipped: the catalogue already has 3 articles (at least 3 asked for)."
    )
    assert table_counts() == before


def test_skip_if_populated_generates_when_too_few_articles_exist(seed):
    output = run_command("--articles", "10", "--skip-if-populated")

    assert "Generated 10 articles" in output
    assert Article.objects.count() == 13


# --- atomicity -------------------------------------------------------------------------------


def test_a_constraint_violation_in_a_late_batch_leaves_the_catalogue_as_it_was(seed, monkeypatch):
    before = table_counts()
    original = ArticleStream._article
    first_page = synthetic.ARTICLE_FIELDS.index("first_page")

    def article_with_bad_pages(self, batch, article_id, number, now):
        original(self, batch, article_id, number, now)
        if number == 170:  # in the fourth batch of 50
            row = list(batch.articles[-1])
            row[first_page : first_page + 2] = [20, 10]  # last page before the first
            batch.articles[-1] = tuple(row)

    monkeypatch.setattr(ArticleStream, "_article", article_with_bad_pages)

    with pytest.raises(IntegrityError):
        make_catalogue(articles=200, batch_size=50)
    assert table_counts() == before


def break_one_authorship(monkeypatch, *, number):
    """Make the `number`-th article's first authorship point to an author that does not exist."""
    original = ArticleStream._article

    def article_with_a_missing_author(self, batch, article_id, article_number, now):
        before = len(batch.authorships)
        original(self, batch, article_id, article_number, now)
        if article_number == number:
            article, _, *rest = batch.authorships[before]
            batch.authorships[before] = (article, 10**9, *rest)

    monkeypatch.setattr(ArticleStream, "_article", article_with_a_missing_author)


def test_a_reference_to_a_missing_row_leaves_the_catalogue_as_it_was(seed, monkeypatch):
    before = table_counts()
    break_one_authorship(monkeypatch, number=170)

    with pytest.raises(IntegrityError):
        make_catalogue(articles=200, batch_size=50)
    assert table_counts() == before


def foreign_keys():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text LIKE 'catalogue%%'"
            "ORDER BY 1, 2"
        )
        return cursor.fetchall()


@pytest.mark.postgres
def test_a_load_keeps_the_foreign_keys_and_never_locks_readers_out():
    constraints = foreign_keys()
    readers = []

    def read_meanwhile(stage, done, total):
        # Another session reads the tables being written while the run's transaction holds
        # its locks: it must not wait (lock_timeout makes waiting an error).
        if stage == "articles" and not readers:
            readers.append(read_from_another_session())

    make_catalogue(articles=200, batch_size=50, progress=read_meanwhile)

    assert foreign_keys() == constraints
    assert len(constraints) >= 8
    assert readers == [(0, 0)]  # it sees the catalogue as it was before the commit
    assert Article.objects.count() == 200


def read_from_another_session():
    """Return (articles, search rows) as a new session sees them, failing if it has to wait."""
    import psycopg2

    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
            cursor.execute("SELECT count(*) FROM catalogue_article")
            articles = cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM catalogue_search")
            return articles, cursor.fetchone()[0]
    finally:
        other.close()


@pytest.mark.postgres
@pytest.mark.parametrize("replica", [True, False], ids=["checked-by-the-run", "checked-per-row"])
def test_a_missing_reference_is_rolled_back_with_the_foreign_keys_in_place(replica, monkeypatch):
    if not replica:  # as a run that may not switch the reference checks off (no superuser)
        real = writers.triggers_to_switch_off
        monkeypatch.setattr(
            writers,
            "triggers_to_switch_off",
            lambda cursor, references: real(cursor, references=False),
        )
    break_one_authorship(monkeypatch, number=150)
    constraints = foreign_keys()

    with pytest.raises(IntegrityError, match="catalogue_authorship") as error:
        make_catalogue(articles=200, batch_size=50)
    assert foreign_keys() == constraints
    assert table_counts() == dict.fromkeys(table_counts(), 0)
    assert search_rows() == 0
    if replica:  # the generator's own check words it as PostgreSQL does
        assert str(error.value) == (
            'insert or update on table "catalogue_authorship" violates foreign key constraint '
            f'"{authorship_author_constraint()}"\nDETAIL:  Key (author_id)=(1000000000) is not '
            'present in table "catalogue_author".'
        )


def authorship_author_constraint():
    return next(
        name
        for table, name, definition in foreign_keys()
        if table == "catalogue_authorship" and "(author_id)" in definition
    )


# --- the search index (PostgreSQL: built after the data commit, in batches) ----------------


def search_rows():
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_search")
        return cursor.fetchone()[0]


def facet_counts():
    """Return the search index's stored facet counts, and a recount of them from its rows."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT facet, value, count FROM catalogue_search_facet WHERE count <> 0")
        stored = set(cursor.fetchall())
        cursor.execute(
            "SELECT v.facet, v.value, count(*) FROM catalogue_search s "
            "CROSS JOIN LATERAL catalogue_search_facet_values(s) v GROUP BY 1, 2"
        )
        return stored, set(cursor.fetchall())


def search_titles(text):
    from catalogue import search

    params = search.SearchParams.build(query=search.parse_query(text))
    return [article.title for article in search.search(params=params, page_size=100).articles]


@pytest.mark.postgres
@pytest.mark.parametrize("replica", [True, False], ids=["checked-by-the-run", "checked-per-row"])
def test_the_search_index_is_built_in_batches_after_the_data_commit(replica, monkeypatch):
    if not replica:
        real = writers.triggers_to_switch_off
        monkeypatch.setattr(
            writers,
            "triggers_to_switch_off",
            lambda cursor, references: real(cursor, references=False),
        )
    monkeypatch.setattr(synthetic.indexing, "SEARCH_BATCH", 70)
    calls = []

    report = make_catalogue(articles=200, batch_size=50, progress=lambda *c: calls.append(c))

    assert [c for c in calls if c[0] == "search index"] == [
        ("search index", 70, 200),
        ("search index", 140, 200),
        ("search index", 200, 200),
    ]
    assert calls.index(("checking references", 0, 0)) < calls.index(("search index", 70, 200))
    assert report.indexed == 200
    assert search_rows() == 200
    stored, recounted = facet_counts()
    assert stored == recounted
    assert ("type", "article", Article.objects.filter(output_type="article").count()) in stored
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_search_pending")
        assert cursor.fetchone()[0] == 0  # nothing left for a COMMIT to index
    article = Article.objects.get(doi="10.5555/syn1.123")
    assert article.title in search_titles(f'"{article.title}"')
    assert list(report.phases) == [
        "pools",
        "articles",
        "checks",
        "commit",
        "search index",
        "match keys",
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM catalogue_match_pending")
        assert cursor.fetchone()[0] == 0  # the import's matching keys are stored, none queued
        cursor.execute("SELECT count(*) FROM catalogue_article_match")
        assert cursor.fetchone()[0] == Article.objects.count()
    assert report.longest_statement[0] > 0
    assert report.longest_commit >= 0


@pytest.mark.postgres
def test_an_interrupted_index_keeps_the_records_and_the_same_seed_finishes_it(monkeypatch):
    expected = snapshot_of_a_run(articles=200, seed=3)
    monkeypatch.setattr(synthetic.indexing, "SEARCH_BATCH", 50)
    original = search_index.refresh_search_index
    calls = []

    def failing_refresh(ids):
        calls.append(len(ids))
        if len(calls) == 3:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 / 0")  # a database error in the third batch
        return original(ids)

    monkeypatch.setattr(search_index, "refresh_search_index", failing_refresh)

    with pytest.raises(synthetic.GenerationError) as error:
        make_catalogue(articles=200, seed=3)

    assert str(error.value).startswith(
        "The 200 articles of seed 3 are written, but indexing them for search failed ("
    )
    assert str(error.value).endswith(
        "Run the generator again with the same seed to finish the index."
    )
    assert snapshot() == expected  # the records are all there
    assert search_rows() == 100  # two batches of 50 indexed, the third rolled back
    assert len(synthetic.unindexed_articles()) == 100

    monkeypatch.setattr(search_index, "refresh_search_index", original)
    report = make_catalogue(articles=200, seed=3)

    assert report.resumed
    assert report.articles == 0
    assert report.indexed == 100
    assert search_rows() == 200
    assert synthetic.unindexed_articles() == []
    stored, recounted = facet_counts()
    assert stored == recounted
    assert snapshot() == expected
    with pytest.raises(synthetic.GenerationError, match="already holds the articles of seed 3"):
        make_catalogue(articles=200, seed=3)


@pytest.mark.postgres
def test_the_command_says_when_a_run_only_finished_an_interrupted_index(monkeypatch):
    monkeypatch.setattr(synthetic.indexing, "SEARCH_BATCH", 50)
    original = search_index.refresh_search_index
    calls = []

    def failing_refresh(ids):
        calls.append(len(ids))
        if len(calls) == 2:
            raise DatabaseError("disk full")
        return original(ids)

    monkeypatch.setattr(search_index, "refresh_search_index", failing_refresh)
    with pytest.raises(CommandError, match="Run the generator again with the same seed"):
        run_command("--articles", "120", "--seed", "4")
    monkeypatch.setattr(search_index, "refresh_search_index", original)

    output = run_command("--articles", "120", "--seed", "4")

    assert output.startswith("Finished the search index of seed 4: 70 articles indexed in ")
    assert output.rstrip().endswith("s (the records were already written).")
    assert "Generated" not in output


@pytest.mark.postgres
def test_only_the_search_and_reference_checks_are_switched_off_and_back_on():
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE h2_audit (article_id bigint);"
            "CREATE FUNCTION h2_audit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN INSERT INTO h2_audit SELECT id FROM new_rows; RETURN NULL; END $$;"
            "CREATE TRIGGER h2_audit AFTER INSERT ON catalogue_article "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION h2_audit()"
        )
        switched = writers.triggers_to_switch_off(cursor, references=True)
        assert writers.triggers_to_switch_off(cursor, references=False) != switched
        cursor.execute("SELECT tgname, tgenabled FROM pg_trigger ORDER BY 1")
        before = cursor.fetchall()

    make_catalogue(articles=60)

    names = {name for _, name in switched}
    assert {"catalogue_article_search_insert", "catalogue_authorship_search_insert"} <= names
    assert "h2_audit" not in names
    assert {name.startswith("RI_ConstraintTrigger_c_") for name in names} == {True, False}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM h2_audit")
        assert cursor.fetchone()[0] == 60  # another trigger still ran for every row
        cursor.execute("SELECT tgname, tgenabled FROM pg_trigger ORDER BY 1")
        assert cursor.fetchall() == before  # every trigger is on again


def test_the_command_reports_a_database_failure_as_nothing_written(monkeypatch):
    monkeypatch.setattr(ArticleStream, "_length", staticmethod(lambda rng, kind: 0))

    with pytest.raises(CommandError, match="nothing was written"):
        run_command("--articles", "100")
    assert table_counts() == dict.fromkeys(table_counts(), 0)


def test_a_generator_failure_midway_leaves_the_catalogue_as_it_was(seed, monkeypatch):
    before = table_counts()
    original = ArticleStream._text
    calls = []

    def failing_text(self, rng, terms, output_type):
        calls.append(1)
        if len(calls) == 130:
            raise RuntimeError("generator broke")
        return original(self, rng, terms, output_type)

    monkeypatch.setattr(ArticleStream, "_text", failing_text)

    with pytest.raises(RuntimeError, match="generator broke"):
        make_catalogue(articles=200, batch_size=40)
    assert table_counts() == before
    assert len(calls) == 130


# Nothing dated after today -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("drawn", "capped"),
    [
        ((2026, 12, 31), (2026, 3, 15)),
        ((2026, 3, 16), (2026, 3, 15)),
        ((2026, 3, 15), (2026, 3, 15)),
        ((2026, 3, 2), (2026, 3, 2)),
        ((2026, 2, 28), (2026, 2, 28)),
        ((2026, 7, None), (2026, 3, None)),
        ((2026, None, None), (2026, None, None)),
        ((2027, 1, 1), (2026, 1, 1)),
        ((2027, 5, 20), (2026, 3, 15)),
        ((2025, 12, 31), (2025, 12, 31)),
        ((None, None, None), (None, None, None)),
    ],
)
def test_a_date_after_today_is_moved_back_to_today_at_its_precision(drawn, capped):
    state = PublicationState.IN_PRESS

    assert cap_date(*drawn, state, date(2026, 3, 15)) == (*capped, state)


def test_no_record_is_dated_after_today():
    today = date(2026, 3, 15)
    make_catalogue(articles=1500, seed=5, today=today)

    dated = Article.objects.exclude(year=None)
    latest = max(
        (year, month or 0, day or 0)
        for year, month, day in dated.values_list("year", "month", "day")
    )
    assert latest <= (2026, 3, 15)
    # The current year is still there (capped, not dropped), up to today.
    assert dated.filter(year=2026, month=3).exists()
    assert not dated.filter(year__gt=2026).exists()
    assert not dated.filter(year=2026, month__gt=3).exists()
    assert not dated.filter(year=2026, month=3, day__gt=15).exists()
    accessed = list(Article.objects.exclude(accessed="").values_list("accessed", flat=True))
    assert accessed and max(accessed) <= "2026-03-15"


def test_the_command_dates_no_record_after_its_today():
    run_command("--articles", "300", "--seed", "5", "--today", "2024-02-10")

    dated = Article.objects.exclude(year=None)
    assert not dated.filter(year__gt=2024).exists()
    assert not dated.filter(year=2024, month__gt=2).exists()
    assert not dated.filter(year=2024, month=2, day__gt=10).exists()
    assert dated.filter(year=2024).exists()


def test_today_changes_only_the_dates_after_it():
    early = {row[0]: row for row in snapshot_of_a_run(articles=300, seed=7, today=date(2025, 1, 1))}
    late = {row[0]: row for row in snapshot_of_a_run(articles=300, seed=7, today=date(2030, 1, 1))}

    assert early.keys() == late.keys()
    for doi, row in late.items():
        year = row[5]
        if year is not None and year < 2025:
            assert early[doi] == row
        else:
            # Only the date differs (and what is printed from it), never the title.
            assert early[doi][1:5] == row[1:5]
    moved = [doi for doi, row in late.items() if row[5] is not None and row[5] >= 2025]
    assert moved and all(early[doi][5] == 2025 for doi in moved)
    assert all(early[doi][6] in (None, 1) for doi in moved)


def test_the_same_seed_and_day_give_the_same_records():
    assert snapshot_of_a_run(articles=100, seed=8, today=date(2026, 3, 15)) == snapshot_of_a_run(
        articles=100, seed=8, today=date(2026, 3, 15)
    )
