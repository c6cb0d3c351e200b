"""Journal, author, keyword and subject pages as searches (issue 18, "Lists that are searches").

Each entity page is the search page narrowed by the entity (search.scopes.Scope): the same
sort, filters, year chart, export, cache and feed, with the entity's header above. A
subject's page includes its narrower subjects' articles.
"""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.http import QueryDict

from catalogue.search import views as search_views
from catalogue.search.views import list_state
from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject

pytestmark = pytest.mark.django_db


def page_of(response) -> str:
    return response.content.decode()


def result_titles(response) -> list[str]:
    """Return the result titles as text, in page order."""
    found = re.findall(r'class="result__title"[^>]*><a href="[^"]+">(.*?)</a>', page_of(response))
    return [html_lib.unescape(re.sub(r"</?mark>", "", title)) for title in found]


def facet_values(response, facet: str) -> tuple[str, list[tuple[str, str, str]]]:
    """Return a sidebar facet's heading and its values as (label, link, count)."""
    section = re.search(
        rf'<section class="facet" aria-labelledby="facet-{facet}">(.*?)</section>',
        page_of(response),
        flags=re.S,
    )
    if section is None:
        return "", []
    body = section.group(1)
    heading = re.search(r'class="facet__heading">(.*?)</h3>', body).group(1)
    values = re.findall(
        r'<a class="facet__link" href="([^"]*)"><span class="facet__label">(.*?)</span></a>.*?'
        r'<span class="facet__count">(.*?)</span>',
        body,
        flags=re.S,
    )
    return heading, [
        (html_lib.unescape(label), html_lib.unescape(href), count) for href, label, count in values
    ]


def heading_text(response) -> str:
    found = re.search(r'<h2 id="results-heading"[^>]*>(.*?)</h2>', page_of(response), re.S)
    return " ".join(found.group(1).split()) if found else ""


def make_subjects():
    """Psychology (broad) with Clinical and General narrower subjects, and Medicine."""
    broad = make_subject(name="Psychology", code="3200")
    clinical = make_subject(name="Clinical Psychology", code="3203", parent=broad)
    general = make_subject(name="General Psychology", code="3201", parent=broad)
    medicine = make_subject(name="Medicine", code="2700")
    return broad, clinical, general, medicine


# The scope: each kind's articles ---------------------------------------------------------------


def test_a_subject_page_lists_its_narrower_subjects_articles_and_other_subjects(client):
    broad, clinical, general, medicine = make_subjects()
    make_article(title="Broad only", subject_areas=[broad], year=2001)
    make_article(title="Clinical", subject_areas=[clinical], year=2002)
    make_article(title="General and medicine", subject_areas=[general, medicine], year=2003)
    make_article(title="Medicine only", subject_areas=[medicine], year=2004)

    response = client.get(broad.get_absolute_url())

    assert response.status_code == 200
    assert result_titles(response) == ["General and medicine", "Clinical", "Broad only"]
    assert heading_text(response) == "3 articles"
    # The subject and its narrower ones are the page's own: not filters, not chips.
    heading, values = facet_values(response, "subject")
    assert heading == "Other subject areas"
    assert values == [("Medicine", medicine.get_absolute_url(), "1")]
    assert 'class="chip' not in page_of(response)
    assert "The articles below include those of the narrower subjects." in page_of(response)


def test_a_narrower_subject_page_lists_only_its_own_articles(client):
    broad, clinical, _general, _medicine = make_subjects()
    make_article(title="Broad only", subject_areas=[broad])
    make_article(title="Clinical", subject_areas=[clinical])

    response = client.get(clinical.get_absolute_url())

    assert result_titles(response) == ["Clinical"]


def test_an_author_page_shows_name_forms_co_authors_journals_and_years(client):
    person = make_author(given_names="Patrick", family_name="Nguyen")
    ada = make_author(given_names="Ada", family_name="Lovelace")
    bob = make_author(given_names="Bob", family_name="Builder")
    review = make_journal(title="Review of Things")
    letters = make_journal(title="Letters")
    make_article(
        title="First", authors=[(person, {"given_names": "P"}), ada], journal=review, year=2001
    )
    make_article(title="Second", authors=[person, ada, bob], journal=review, year=2003)
    make_article(title="Third", authors=[bob, person], journal=letters, year=2004)
    make_article(title="Not theirs", authors=[ada], journal=letters, year=2010)

    response = client.get(person.get_absolute_url())

    page = page_of(response)
    assert result_titles(response) == ["Third", "Second", "First"]
    assert '<dd class="name-forms">Patrick Nguyen (2), P Nguyen (1)</dd>' in page
    assert facet_values(response, "author") == (
        "Co-authors",
        [
            # Equal counts in name order (family name first).
            ("Bob Builder", bob.get_absolute_url(), "2"),
            ("Ada Lovelace", ada.get_absolute_url(), "2"),
        ],
    )
    assert facet_values(response, "journal") == (
        "Journal",
        [
            ("Review of Things", f"?journal={review.pk}", "2"),
            ("Letters", f"?journal={letters.pk}", "1"),
        ],
    )
    # Every year from the first to the last has a bar: 2002 has none.
    bars = re.findall(r'<span class="visually-hidden">(\d{4}: [^<]*)</span>', page)
    assert bars == ["2001: 1 result", "2002: no results", "2003: 1 result", "2004: 1 result"]


def test_a_keyword_page_links_other_keywords_to_their_searches(client):
    alliance = make_keyword(term="alliance")
    outcome = make_keyword(term="outcome")
    make_article(title="Both", keywords=[alliance, outcome])
    make_article(title="Alliance only", keywords=[alliance])
    make_article(title="Outcome only", keywords=[outcome])

    response = client.get(alliance.get_absolute_url())

    assert sorted(result_titles(response)) == ["Alliance only", "Both"]
    assert facet_values(response, "keyword") == (
        "Keywords used with it",
        [("outcome", f"/search/?keyword={outcome.pk}", "1")],
    )


def test_an_entity_page_without_articles_says_so(client):
    journal = make_journal(title="Empty Journal")

    response = client.get(journal.get_absolute_url())

    assert response.status_code == 200
    assert "The catalogue has no articles from this journal yet." in page_of(response)
    assert result_titles(response) == []


# The search page's controls, narrowed ----------------------------------------------------------


@pytest.fixture
def journal_shelf():
    """A journal with five articles (2001-2005; 2003 an editorial) and one elsewhere."""
    journal = make_journal(title="Shelf Journal")
    author = make_author(family_name="Shelver")
    for year in range(2001, 2006):
        make_article(
            title=f"Zeta {year}" if year % 2 else f"Alpha {year}",
            journal=journal,
            authors=[author] if year < 2004 else [],
            output_type="editorial" if year == 2003 else "article",
            abstract="Alliance ruptures and repairs." if year > 2002 else "",
            year=year,
        )
    make_article(title="Elsewhere", year=2003, abstract="Alliance ruptures.")
    return journal, author


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("", ["Zeta 2005", "Alpha 2004", "Zeta 2003", "Alpha 2002", "Zeta 2001"]),
        ("sort=oldest", ["Zeta 2001", "Alpha 2002", "Zeta 2003", "Alpha 2004", "Zeta 2005"]),
        ("sort=title", ["Alpha 2002", "Alpha 2004", "Zeta 2001", "Zeta 2003", "Zeta 2005"]),
        ("type=editorial", ["Zeta 2003"]),
        ("not_type=editorial", ["Zeta 2005", "Alpha 2004", "Alpha 2002", "Zeta 2001"]),
        ("year_min=2002&year_max=2003", ["Zeta 2003", "Alpha 2002"]),
        ("q=ruptures&sort=newest", ["Zeta 2005", "Alpha 2004", "Zeta 2003"]),
    ],
)
def test_a_journal_page_sorts_filters_and_searches_within_the_journal(
    client, journal_shelf, query, titles
):
    journal, _ = journal_shelf

    response = client.get(f"{journal.get_absolute_url()}?{query}")

    assert response.status_code == 200
    assert result_titles(response) == titles


def test_excluding_an_author_on_a_journal_page(client, journal_shelf):
    journal, author = journal_shelf

    response = client.get(f"{journal.get_absolute_url()}?not_author={author.pk}")

    assert result_titles(response) == ["Zeta 2005", "Alpha 2004"]
    assert re.search(r'<span class="chip__facet">Author is not</span>', page_of(response))


def test_the_page_keeps_its_own_path_in_every_control(client, journal_shelf):
    journal, _ = journal_shelf
    path = journal.get_absolute_url()

    page = page_of(client.get(f"{path}?type=article"))

    assert f'<form class="results-bar__sort" action="{path}" method="get"' in page
    assert f'<form class="year-range" action="{path}" method="get"' in page
    assert 'href="/articles/' in page and f"?back={path}?type=article&amp;pos=1" in page
    assert (
        '<link rel="alternate" type="application/atom+xml" '
        f'href="/search/feed/?type=article&amp;journal={journal.pk}" '
        'title="Newest articles of Shelf Journal (Atom feed)">'
    ) in page
    assert f'action="{path}export/"' in page  # the Export form, with the state
    assert '<input type="hidden" name="type" value="article">' in page


def test_a_second_value_of_the_entitys_own_facet_is_a_400(client, journal_shelf):
    journal, _ = journal_shelf
    other = make_journal(title="Other")

    response = client.get(f"{journal.get_absolute_url()}?journal={other.pk}")

    assert response.status_code == 400
    page = page_of(response)
    assert 'role="alert"' in page
    assert (
        "This page lists the articles of one journal, so it takes no other “journal” "
        "parameter. To combine several, use the search page."
    ) in html_lib.unescape(page)
    assert "<h1>Shelf Journal</h1>" in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("type=poem", "“poem” is not a known output type; use one of: article,"),
        ("year_min=%D9%A1", "The year must be a whole number such as 2010."),
        ("not_author=%C2%B2", "“²” is not a author id: ids are whole numbers such as 12."),
        ("sort=title%00", "is not a sort order; use one of: relevance, newest, oldest, title."),
    ],
)
def test_bad_parameters_on_an_entity_page_are_a_400_with_a_message(
    client, journal_shelf, query, message
):
    journal, _ = journal_shelf

    response = client.get(f"{journal.get_absolute_url()}?{query}")

    assert response.status_code == 400
    assert message in html_lib.unescape(page_of(response))


def test_entity_bodies_are_cached_per_entity_and_state(client, django_assert_num_queries):
    first, second = make_journal(title="First"), make_journal(title="Second")
    make_article(title="In the first", journal=first)
    make_article(title="In the second", journal=second)

    assert result_titles(client.get(first.get_absolute_url())) == ["In the first"]
    # The same parameters on another entity's page are another body.
    assert result_titles(client.get(second.get_absolute_url())) == ["In the second"]
    # The journal, its research topics (concepts, statistics) and the index generation.
    with django_assert_num_queries(4):
        assert result_titles(client.get(first.get_absolute_url())) == ["In the first"]


def test_the_export_is_the_pages_list(client, journal_shelf):
    journal, _ = journal_shelf

    response = client.get(
        f"{journal.get_absolute_url()}export/?format=csl-json&type=article&sort=oldest"
    )

    assert response.status_code == 200
    import json

    records = json.loads(b"".join(response.streaming_content))
    assert [record["title"] for record in records] == [
        "Zeta 2001",
        "Alpha 2002",
        "Alpha 2004",
        "Zeta 2005",
    ]
    assert "shelf-journal" in response["Content-Disposition"]


def test_the_export_refuses_widening_the_entity(client, journal_shelf):
    journal, _ = journal_shelf

    response = client.get(f"{journal.get_absolute_url()}export/?format=ris&journal=1")

    assert response.status_code == 400


# A facet's full list within an entity page --------------------------------------------------------


def test_a_facets_full_list_within_an_author_page(client):
    person = make_author(family_name="Centre")
    others = [make_author(family_name=f"Other{n:02d}") for n in range(12)]
    for other in others:
        make_article(title=f"With {other.family_name}", authors=[person, other])

    response = client.get(f"/search/facets/author/?within=author:{person.pk}")

    assert response.status_code == 200
    page = page_of(response)
    assert "<h1>Co-authors: all values</h1>" in page
    assert f'<a href="{person.get_absolute_url()}">← Back to the results</a>' in page
    assert f'<input type="hidden" name="within" value="author:{person.pk}">' in page
    links = re.findall(r'<a class="facet__link" href="([^"]*)">', page)
    assert sorted(links) == sorted(other.get_absolute_url() for other in others)


def test_another_facets_full_list_within_an_author_page_links_back_to_it(client):
    person = make_author(family_name="Centre")
    alliance, outcome = make_keyword(term="alliance"), make_keyword(term="outcome")
    make_article(title="One", authors=[person], keywords=[alliance, outcome])
    make_article(title="Two", authors=[person], keywords=[alliance])
    make_article(title="Not theirs", keywords=[outcome])

    response = client.get(f"/search/facets/keyword/?within=author:{person.pk}&type=article")

    page = html_lib.unescape(page_of(response))
    path = person.get_absolute_url()
    assert f'<a href="{path}?type=article">← Back to the results</a>' in page
    values = re.findall(
        r'<a class="facet__link" href="([^"]*)"><span class="facet__label">(.*?)</span>.*?'
        r'<span class="facet__count">(.*?)</span>',
        page,
        flags=re.S,
    )
    assert values == [
        (f"{path}?type=article&keyword={alliance.pk}", "alliance", "2"),
        (f"{path}?type=article&keyword={outcome.pk}", "outcome", "1"),
    ]


@pytest.mark.parametrize(
    ("within", "message"),
    [
        ("poem:1", "“poem:1” names no journal, author, keyword or subject page."),
        ("author:x", "“author:x” names no journal, author, keyword or subject page."),
        ("author:%00", "“author:%00” names no journal, author, keyword or subject page."),
        ("journal:99999", "There is no journal with the id 99999."),
    ],
)
def test_a_bad_within_is_a_400_with_a_message(client, db, within, message):
    response = client.get(f"/search/facets/author/?within={within}")

    assert response.status_code == 400
    assert message in html_lib.unescape(page_of(response))


# list_state: a record page's trail back to its list ----------------------------------------------


def test_list_state_of_the_search_page_is_its_parameters_without_the_page():
    state = list_state("/search/?q=heart&keyword=3&page=4&sort=newest")

    assert state == QueryDict("q=heart&keyword=3&sort=newest")


def test_list_state_of_an_entity_page_adds_its_scope(client):
    broad, clinical, general, _medicine = make_subjects()
    journal = make_journal()
    keyword = make_keyword(term="alliance", slug="alliance")

    assert list_state(f"/journals/{journal.pk}/?type=article&page=2") == QueryDict(
        f"type=article&journal={journal.pk}"
    )
    assert list_state("/keywords/alliance/") == QueryDict(f"keyword={keyword.pk}")
    subject_state = list_state(f"{broad.get_absolute_url()}?sort=title")
    assert sorted(subject_state.getlist("subject")) == sorted(
        str(subject.pk) for subject in (broad, clinical, general)
    )
    assert subject_state.get("sort") == "title"


@pytest.mark.parametrize(
    "back",
    [
        "/articles/1/",
        "/journals/99999/",
        "/nowhere/",
        "https://evil.example/search/?q=x",
        "//evil.example/search/",
        "search/?q=x",
        "",
        "/journals/1/?journal=2",
    ],
)
def test_list_state_is_none_for_anything_else(back):
    make_journal()  # id 1 on a fresh database; 2 does not widen anything real

    assert list_state(back) is None


def test_list_state_reads_only_the_entity(django_assert_num_queries):
    broad, *_ = make_subjects()
    author = make_author()

    with django_assert_num_queries(1):  # the author; not the forms of their name
        assert list_state(author.get_absolute_url()) == QueryDict(f"author={author.pk}")
    with django_assert_num_queries(2):  # the subject, its narrower subjects
        assert list_state(broad.get_absolute_url()) is not None
    with django_assert_num_queries(0):
        assert list_state("/search/?q=x") == QueryDict("q=x")


def test_list_state_feeds_the_same_search(client, journal_shelf):
    from catalogue import search
    from catalogue.search.filters import ArticleFilterSet

    journal, _ = journal_shelf
    state = list_state(f"{journal.get_absolute_url()}?type=article&sort=title&page=2")
    filterset = ArticleFilterSet(state)
    assert filterset.is_valid()

    result = search.search(params=filterset.search_params())

    assert [article.title for article in result.articles] == [
        "Alpha 2002",
        "Alpha 2004",
        "Zeta 2001",
        "Zeta 2005",
    ]


# Escaping ----------------------------------------------------------------------------------------


def test_an_entity_name_is_escaped_in_the_feed_title(client):
    journal = make_journal(title="<script>alert(1)</script> & Co")

    page = page_of(client.get(journal.get_absolute_url()))

    assert "<script>alert(1)</script>" not in page
    assert (
        'title="Newest articles of &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co (Atom feed)"'
        in page
    )


def test_many_articles_count_the_own_facet_in_the_newest_ones(client, monkeypatch):
    # Above SCOPE_FACET_ARTICLES articles, the co-authors are counted in the most recently
    # added that many (by key), and the sidebar says so.
    monkeypatch.setattr(search_views, "SCOPE_FACET_ARTICLES", 2)
    person = make_author(family_name="Busy")
    old, new = make_author(family_name="Old"), make_author(family_name="New")
    make_article(title="First", authors=[person, old])
    make_article(title="Second", authors=[person, old])
    make_article(title="Third", authors=[person, new])
    make_article(title="Fourth", authors=[person, new, old])

    response = client.get(person.get_absolute_url())

    _, values = facet_values(response, "author")
    assert [(label, count) for label, _, count in values] == [
        ("Ada New", "2"),
        ("Ada Old", "1"),
    ]
    assert "Counted in the 2 most recently added of these articles." in page_of(response)
    assert heading_text(response) == "4 articles"


def test_author_and_journal_pages_show_their_research_topics(client):
    from io import StringIO

    from django.core.management import call_command

    journal = make_journal(title="Journal of Alliances")
    person = make_author(family_name="Flückiger")
    alliance = make_keyword(term="therapeutic alliance")
    for n in range(3):
        make_article(
            title=f"The therapeutic alliance in study {n}",
            journal=journal,
            authors=[person],
            keywords=[alliance],
        )
    make_article(title="Unrelated", keywords=[make_keyword(term="transistor")])
    call_command("refresh_topics", stdout=StringIO(), stderr=StringIO())

    for url in (person.get_absolute_url(), journal.get_absolute_url()):
        page = client.get(url).content.decode()
        topics = re.findall(r'<span class="topics__label">([^<]+)</span>', page)
        assert "Research topics" in page, url
        assert topics[0] == "therapeutic alliance", url
        assert "transistor" not in topics, url
