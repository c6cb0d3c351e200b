"""Tests for catalogue.feeds: the Atom feed of a search's newest records (/search/feed/)."""

import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.db import connection
from django.urls import reverse

from catalogue import feeds
from tests.factories import make_article, make_author, make_journal, make_keyword

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/search/feed/"


def atom(response) -> ET.Element:
    """Return the feed element after checking what RFC 4287 requires of it and its entries."""
    assert response.status_code == 200
    assert response["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.content)  # noqa: S314 -- the app's own feed, made by the test
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{name}") is not None, name
    rels = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert set(rels) == {"self", "alternate"}
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "author", "summary"):
            assert entry.find(f"{ATOM}{name}") is not None, name
        assert len(entry.findall(f"{ATOM}id")) == 1
        assert entry.find(f"{ATOM}link").get("rel") == "alternate"
    return root


def parsed(response) -> feedparser.FeedParserDict:
    """Return the feed read by feedparser, which must find nothing wrong with it."""
    result = feedparser.parse(response.content)
    assert not result.bozo, result.get("bozo_exception")
    assert result.version == "atom10"
    return result


def test_a_journals_feed_is_valid_atom_newest_first(client, db):
    journal = make_journal(title="Psychotherapy Research")
    other = make_journal(title="Other")
    author = make_author(family_name="Zilcha-Mano", given_names="Sigal")
    old = make_article(title="Old", journal=journal, year=2001, authors=[author], abstract="A.")
    new = make_article(title="New", journal=journal, year=2020, month=5, day=2, authors=[author])
    mid = make_article(title="Mid", journal=journal, year=2020, month=5, authors=[author])
    make_article(title="Elsewhere", journal=other, year=2024)
    response = client.get(f"{FEED}?journal={journal.pk}")
    root = atom(response)
    feed = parsed(response)
    assert (
        feed.feed.title == "Research catalogue: newest records for Journal: Psychotherapy Research"
    )
    assert feed.feed.id == f"http://testserver/search/feed/?journal={journal.pk}"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {
        "self": f"http://testserver/search/feed/?journal={journal.pk}",
        "alternate": f"http://testserver/search/?journal={journal.pk}&sort=newest",
    }
    assert [e.title for e in feed.entries] == ["New", "Mid", "Old"]
    first = feed.entries[0]
    assert first.id == first.link == f"http://testserver/articles/{new.pk}/"
    assert first.published == "2020-05-02T00:00:00+00:00"
    assert [a.name for a in first.authors] == ["Sigal Zilcha-Mano"]
    assert feed.entries[2].summary == "A."
    assert first.tags[0].term == "Psychotherapy Research"
    # Without an abstract, the summary says where and when the record was published.
    assert first.summary == "Psychotherapy Research, 2020. No abstract."
    # The feed's <updated> is its newest entry's.
    latest = max(a.updated for a in (old, new, mid))
    assert root.find(f"{ATOM}updated").text == latest.isoformat()


def test_fifty_newest_of_sixty(client, db):
    journal = make_journal()
    made = [make_article(journal=journal, year=1950 + n, title=f"T{n:02d}") for n in range(60)]
    feed = parsed(client.get(f"{FEED}?journal={journal.pk}"))
    assert len(feed.entries) == feeds.FEED_ENTRIES == 50
    assert [e.title for e in feed.entries] == [f"T{n:02d}" for n in range(59, 9, -1)]
    assert feed.entries[-1].id.endswith(f"/articles/{made[10].pk}/")


def test_same_dates_newest_added_first_and_undated_last(client, db):
    undated = make_article(title="Undated", year=None)
    first = make_article(title="First", year=2020)
    second = make_article(title="Second", year=2020)
    feed = parsed(client.get(FEED))
    assert [e.title for e in feed.entries] == ["Second", "First", "Undated"]
    assert "published" not in feed.entries[2]
    assert first.pk < second.pk and undated.pk < first.pk


def test_the_search_parameters_select_as_on_the_search_page(client, db):
    alliance = make_keyword(term="alliance")
    make_article(title="Therapeutic alliance in 2010", keywords=[alliance], year=2010)
    make_article(title="Alliance ruptures", year=2015, output_type="editorial")
    make_article(title="Dropout", keywords=[alliance], year=2018)
    feed = parsed(client.get(f"{FEED}?q=alliance&year_min=2005&not_type=editorial"))
    # Words match keywords too, as on the search page.
    assert [e.title for e in feed.entries] == ["Dropout", "Therapeutic alliance in 2010"]
    assert feed.feed.title == (
        "Research catalogue: newest records for “alliance”, not Output type: Editorial, "
        "years 2005–…"
    )
    keyword = parsed(client.get(f"{FEED}?keyword={alliance.pk}&page=3&sort=title"))
    # Page and sort say which slice a page shows: a feed is always the newest.
    assert [e.title for e in keyword.entries] == ["Dropout", "Therapeutic alliance in 2010"]
    assert keyword.feed.id == f"http://testserver/search/feed/?keyword={alliance.pk}"


def test_an_empty_feed_is_still_valid(client, db):
    response = client.get(f"{FEED}?q=nothingmatches")
    root = atom(response)
    assert root.findall(f"{ATOM}entry") == []
    assert parsed(response).feed.title == "Research catalogue: newest records for “nothingmatches”"


def test_hostile_titles_and_abstracts_stay_text(client, db):
    make_article(
        title='<script>alert("t")</script> & <i>Rich</i> ]]>',
        abstract="<img src=x onerror=alert(1)> a < b & c",
        authors=[make_author(family_name="<b>O'Brien</b>")],
        journal=make_journal(title="J & <K>"),
    )
    response = client.get(FEED)
    body = response.content.decode()
    assert "<script>" not in body and "<img" not in body and "<b>O" not in body
    entry = parsed(response).entries[0]
    # The rich-text markup is dropped; anything else is literal text.
    assert entry.title == '<script>alert("t")</script> & Rich ]]>'
    assert entry.title_detail.type == "text/plain"
    assert entry.summary == "<img src=x onerror=alert(1)> a < b & c"
    assert entry.summary_detail.type == "text/plain"
    assert entry.authors[0].name == "Ada <b>O'Brien</b>"
    assert entry.tags[0].term == "J & <K>"


@pytest.mark.parametrize(
    ("query", "status", "lines"),
    [
        (
            "journal=abc",
            400,
            ["journal: “abc” is not a journal id: ids are whole numbers such as 12."],
        ),
        ("year_min=２０１０", 400, ["year_min: The year must be a whole number such as 2010."]),
        (
            "sort=best",
            400,
            ["sort: “best” is not a sort order; use one of: relevance, newest, oldest, title."],
        ),
        ("page=0", 400, ["page: Pages are numbered from 1."]),
        ("q=a%00b", 400, ["q: Null characters are not allowed."]),
        ("journal=987654", 404, ["There is no journal with the id 987654."]),
        ("author=987654", 404, ["There is no author with the id 987654."]),
        (
            "q=10.1037/0003-066X.59.1.29",
            400,
            ["q: a DOI names one record; follow a search, a journal or an author."],
        ),
    ],
)
def test_bad_parameters_are_a_plain_message(client, db, query, status, lines):
    response = client.get(f"{FEED}?{query}")
    assert response.status_code == status
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    expected = "This feed's search is not valid:\n" + "".join(f"- {line}\n" for line in lines)
    assert response.content.decode() == expected


def test_a_constant_number_of_queries(client, db, django_assert_num_queries):
    journal = make_journal()
    for n in range(55):
        make_article(journal=journal, authors=[make_author(), make_author()], year=1960 + n)
    # The results statement, the articles, their authorships; on PostgreSQL first the
    # entity's count (and name), which says whether to read the newest-first index instead.
    with django_assert_num_queries(4 if connection.vendor == "postgresql" else 3):
        response = client.get(f"{FEED}?journal={journal.pk}")
    assert len(parsed(response).entries) == 50


def test_feed_url_drops_paging_sort_and_format():
    data = {"q": ["a b"], "journal": ["1", "2"], "page": ["2"], "sort": ["title"], "format": ["x"]}
    assert feeds.feed_url(data.items()) == "/search/feed/?q=a+b&journal=1&journal=2"
    assert feeds.feed_url({}.items()) == reverse("catalogue:search-feed") == "/search/feed/"


def test_feed_link_include(rf):
    from django.template.loader import render_to_string

    assert render_to_string("catalogue/includes/_feed_link.html", {}).strip() == ""
    html = render_to_string(
        "catalogue/includes/_feed_link.html", {"feed_url": "/search/feed/?q=a&b=<"}
    )
    assert html.strip() == (
        '<link rel="alternate" type="application/atom+xml" href="/search/feed/?q=a&amp;b=&lt;" '
        'title="Newest records of this search (Atom feed)">'
    )


@pytest.mark.postgres
@pytest.mark.parametrize("facet", ["journal", "author", "keyword", "subject"])
def test_a_popular_entity_read_down_the_newest_first_index_gives_the_same_feed(
    client, db, monkeypatch, facet
):
    from tests.factories import make_subject

    journal, author = make_journal(), make_author()
    keyword, subject = make_keyword(), make_subject()
    for n in range(60):
        make_article(
            title=f"T{n:02d}",
            journal=journal if n % 3 else make_journal(),
            authors=[author] if n % 4 else [],
            keywords=[keyword] if n % 5 else [],
            subject_areas=[subject] if n % 2 else [],
            year=1990 + n % 20,
            month=n % 12 or None,
        )
    value = {"journal": journal, "author": author, "keyword": keyword, "subject": subject}[facet]
    url = f"{FEED}?{facet}={value.pk}"
    statement = client.get(url).content
    monkeypatch.setattr(feeds, "WALK_MIN_ARTICLES", 1)
    walked = client.get(url).content
    assert [e.id for e in feedparser.parse(walked).entries] == [
        e.id for e in feedparser.parse(statement).entries
    ]
    assert feedparser.parse(walked).feed.title == feedparser.parse(statement).feed.title
    assert len(feedparser.parse(walked).entries) > 20
