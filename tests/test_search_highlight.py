"""Tests for catalogue.search.highlight: a results page's articles, their marks and authors."""

import random

import pytest
from django.db import connection
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from catalogue.models import Article
from catalogue.search import highlight, postgres, sqlite
from catalogue.search.query import parse_query
from catalogue.search.statement import is_postgres
from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject

pytestmark = pytest.mark.django_db

WORDS = ["alliance", "therapy", "outcome", "dropout", "measure", "patient"]
STOP = ["the", "of", "and"]
# Names and titles that JSON, HTML and SQL each treat specially.
ODD = ['Ø\'Brien "the" \\ 1', "<b>Bold</b> & co", "Łukasz ] [ }", "Zoë\u2028Line", "日本 😀"]


def reference(hits, query):
    """Return {id: (title_html, snippet_html, authors, journal)} loaded as the page did before:
    the ORM's prefetch and the backend's own headline functions."""
    ids = [article_id for article_id, _ in hits]
    articles = Article.objects.filter(pk__in=ids).for_listing()
    if query.groups:
        if is_postgres():
            title = postgres.headline_sql(query, "catalogue_article.title", snippet=False)
            abstract = postgres.headline_sql(query, "catalogue_article.abstract", snippet=True)
        else:
            title = sqlite.headline_sql(query, 0, snippet=False)
            abstract = sqlite.headline_sql(query, 3, snippet=True)
        # Constants; the query's words are parameters.
        articles = articles.annotate(
            title_marked=RawSQL(title.sql, title.params),  # noqa: S611
            abstract_marked=RawSQL(abstract.sql, abstract.params),  # noqa: S611
        )
    found = {}
    for article in articles:
        marked = getattr(article, "abstract_marked", None)
        found[article.pk] = (
            highlight.highlight_html(getattr(article, "title_marked", None) or article.title),
            highlight.highlight_html(marked)
            if marked
            else highlight.plain_snippet(article.abstract),
            authors_of(article),
            article.journal.title if article.journal else None,
        )
    return found


def authors_of(article) -> list[tuple]:
    return [
        (
            slot.pk,
            slot.position,
            slot.author_id,
            slot.given_names,
            slot.family_name,
            slot.particle,
            slot.suffix,
            slot.corporate_name,
            slot.affiliation,
            slot.author.pk,
            slot.author.display_name,
            slot.author.orcid,
        )
        for slot in article.ordered_authorships
    ]


def random_catalogue(rng: random.Random, count: int) -> list[Article]:
    people = [make_author(family_name=f"Family{n}", given_names=rng.choice(ODD)) for n in range(6)]
    people.append(make_author(corporate_name="<Group> & Partners"))
    journals = [make_journal(title=rng.choice(ODD)), None]
    articles = []
    for _ in range(count):
        authors = []
        for person in rng.sample(people, rng.randint(0, 4)):
            if rng.random() < 0.3:  # printed differently from the person's own name
                authors.append((person, {"given_names": rng.choice(ODD)}))
            else:
                authors.append(person)
        articles.append(
            make_article(
                title=" ".join(rng.choices(WORDS + STOP + ODD, k=rng.randint(1, 6))),
                abstract=" ".join(rng.choices(WORDS + STOP, k=rng.randint(0, 80))),
                journal=rng.choice(journals),
                authors=authors,
            )
        )
    return articles


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_articles_marks_and_authors_equal_the_orm_and_the_headline_functions(seed):
    rng = random.Random(seed)
    articles = random_catalogue(rng, 25)

    for _ in range(12):
        text = " ".join(rng.sample(WORDS, rng.randint(0, 2)))
        query = parse_query(text)
        chosen = rng.sample(articles, rng.randint(1, 20))
        hits = [(article.pk, rng.random()) for article in chosen]

        with CaptureQueriesContext(connection) as queries:
            loaded = highlight.marked_articles(hits=hits, query=query, detail=False)
        expected = reference(hits, query)

        assert len(queries.captured_queries) == 1, text
        assert [article.pk for article in loaded] == [pk for pk, _ in hits]
        with CaptureQueriesContext(connection) as queries:
            shown = {
                article.pk: (
                    article.title_html,
                    article.snippet_html,
                    authors_of(article),
                    article.journal.title if article.journal else None,
                )
                for article in loaded
            }
        assert queries.captured_queries == []
        assert shown == expected, text
        assert [article.score for article in loaded] == [score for _, score in hits]


def test_the_query_words_are_marked_and_everything_else_escaped():
    person = make_author(family_name="<i>Doe</i>", given_names='A "B"')
    article = make_article(
        title="<script>alert(1)</script> Alliance <i>in vivo</i> & more",
        abstract="<img src=x onerror=alert(1)> the alliance held",
        authors=[person],
    )

    [loaded] = highlight.marked_articles(
        hits=[(article.pk, 1.0)], query=parse_query("alliance"), detail=False
    )

    # A record's own <i> is CSL rich text, kept; any other tag is text.
    assert loaded.title_html == (
        "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Alliance</mark> <i>in vivo</i> &amp; more"
    )
    # PostgreSQL's ts_headline leaves out what its parser reads as the start of a tag.
    shown = "" if is_postgres() else "&lt;img src=x "
    assert loaded.snippet_html == f"{shown}onerror=alert(1)&gt; the <mark>alliance</mark> held"
    [slot] = loaded.ordered_authorships
    assert (slot.family_name, slot.given_names) == ("<i>Doe</i>", 'A "B"')
    assert slot.author.display_name == 'A "B" <i>Doe</i>'


def test_without_words_nothing_is_marked_and_the_abstract_is_cut():
    article = make_article(title="Alliance", abstract=" ".join(["alliance"] * 50))

    [loaded] = highlight.marked_articles(
        hits=[(article.pk, None)], query=parse_query(""), detail=False
    )

    assert loaded.title_html == "Alliance"
    assert loaded.snippet_html == " ".join(["alliance"] * highlight.SNIPPET_WORDS) + " …"
    assert loaded.score is None


def test_no_hits_no_query_and_deleted_articles_left_out(django_assert_num_queries):
    kept, deleted = make_article(title="Kept"), make_article(title="Deleted")
    hits = [(deleted.pk, 2.0), (kept.pk, 1.0)]
    deleted.delete()

    with django_assert_num_queries(0):
        assert highlight.marked_articles(hits=[], query=parse_query("x"), detail=False) == []
    with django_assert_num_queries(1):
        loaded = highlight.marked_articles(hits=hits, query=parse_query("kept"), detail=False)

    assert [article.pk for article in loaded] == [kept.pk]
    assert loaded[0].ordered_authorships == []


def test_detail_loads_keywords_and_subject_areas_in_two_more_queries(django_assert_num_queries):
    keywords = [make_keyword(term="zeta"), make_keyword(term="alpha")]
    subject = make_subject(name="Psychology")
    article = make_article(
        title="Alliance", keywords=keywords, subject_areas=[subject], authors=[make_author()]
    )

    with django_assert_num_queries(3):
        [loaded] = highlight.marked_articles(
            hits=[(article.pk, 1.0)], query=parse_query("alliance"), detail=True
        )
        terms = sorted(keyword.term for keyword in loaded.keywords.all())
        subjects = [area.name for area in loaded.subject_areas.all()]
        names = [slot.author.display_name for slot in loaded.ordered_authorships]

    assert terms == ["alpha", "zeta"]
    assert subjects == ["Psychology"]
    assert len(names) == 1


def test_a_column_json_would_change_falls_back_to_a_prefetch(monkeypatch):
    rng = random.Random(7)
    articles = random_catalogue(rng, 6)
    hits = [(article.pk, 1.0) for article in articles]
    query = parse_query("alliance")
    monkeypatch.setattr(highlight, "_JSON_TYPES", frozenset({"CharField"}))

    with CaptureQueriesContext(connection) as queries:
        loaded = highlight.marked_articles(hits=hits, query=query, detail=False)
        shown = {article.pk: authors_of(article) for article in loaded}

    # The articles, then their authorships with their people.
    assert len(queries.captured_queries) == 2
    assert shown == {pk: value[2] for pk, value in reference(hits, query).items()}
