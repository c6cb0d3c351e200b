"""The record page around the record (issue 18): the way back to the result list and previous/
next within it (catalogue.search.trail), more by the authors, the rest of the issue, the Edit
link, the canonical link, and a constant number of queries."""

import re
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from catalogue import search
from catalogue.citations import available_styles, default_style
from catalogue.models import Article, ArticleTopic, RelatedArticle, TopicConcept
from catalogue.search import trail
from catalogue.topics.pages import SHOWN_CONCEPTS
from catalogue.views import articles
from tests.factories import make_article, make_author, make_journal

pytestmark = pytest.mark.django_db

SEARCH = "/search/?sort=oldest"


def html(response) -> str:
    return response.content.decode()


def make_list(*, count: int, title: str = "Listed", start_year: int = 1900) -> list:
    """Return `count` articles "<title> NN", one a year from `start_year` (oldest first)."""
    journal = make_journal(title="The Listing Journal")
    return [
        make_article(title=f"{title} {n:02d}", year=start_year + n, journal=journal)
        for n in range(count)
    ]


def make_user(*, username: str, staff: bool = False, codenames: tuple[str, ...] = ()) -> User:
    """Return a saved user, staff or not, with the given catalogue permissions."""
    user = User.objects.create_user(username=username, password="not-a-real-secret-1")
    user.is_staff = staff
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="catalogue", codename__in=codenames)
    )
    return user


def nav(page: str) -> str:
    """Return the record page's result-list nav, or "" when there is none."""
    match = re.search(r'<nav class="record-trail".*?</nav>', page, re.DOTALL)
    return match.group(0) if match else ""


def step_links(page: str) -> dict[str, str]:
    """Return {"prev": url, "next": url} of the nav's previous/next links."""
    return {
        rel: unescape(href)
        for rel, href in re.findall(
            r'<a class="record-trail__step" rel="(\w+)" href="([^"]+)"', page
        )
    }


def back_link(page: str) -> str:
    return unescape(re.search(r'class="record-trail__back" href="([^"]+)"', page).group(1))


def position_text(page: str) -> str:
    match = re.search(r'<p class="record-trail__position">(.*?)</p>', page)
    return match.group(1) if match else ""


def open_from(client, article, *, back: str = SEARCH, position: int):
    return client.get(trail.result_link(article.get_absolute_url(), back=back, position=position))


# The trail on a link ---------------------------------------------------------------------------


def test_result_link_adds_the_list_without_its_page_and_the_position():
    link = trail.result_link(
        "/articles/42/", back="/search/?q=heart+failure&page=3&sort=newest", position=27
    )

    assert link == "/articles/42/?back=/search/?q=heart%2Bfailure%26sort=newest&pos=27"
    parsed = trail.parse_trail(QueryDict(urlsplit(link).query))
    assert parsed == trail.Trail(back="/search/?q=heart+failure&sort=newest", position=27)


def test_result_link_keeps_a_query_the_record_link_has_and_quotes_what_would_break_it():
    # `back` is a URL's path and query, already encoded: "a#b c%" is "a%23b+c%25" in it.
    link = trail.result_link(
        "/articles/7/?cite_style=apa", back="/search/?q=a%23b+c%25", position=1
    )

    assert link == "/articles/7/?cite_style=apa&back=/search/?q=a%2523b%2Bc%2525&pos=1"
    assert QueryDict(urlsplit(link).query)["back"] == "/search/?q=a%23b+c%25"


def test_a_trail_names_the_list_page_of_its_position():
    found = trail.Trail(back="/journals/3/?sort=title", position=41)

    assert found.page_url(1) == "/journals/3/?sort=title"
    assert found.page_url(3) == "/journals/3/?sort=title&page=3"
    assert trail.Trail(back="/search/", position=1).page_url(2) == "/search/?page=2"
    assert found.link("/articles/9/", 42) == "/articles/9/?back=/journals/3/?sort=title&pos=42"


@pytest.mark.parametrize(
    "back",
    [
        "",
        "search/",
        "//evil.example/search/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example/",
        "https://evil.example/search/",
        "javascript:alert(1)",
        " /search/",
        "/\t/evil.example/",
        "/search/\n",
        "/search/?q=a#fragment",
        "/search/\x7f",
        "/" + "a" * trail.MAX_BACK_LENGTH,
    ],
)
def test_a_back_that_is_not_a_local_path_is_no_trail(back):
    assert trail.parse_trail(QueryDict(mutable=True) | {"back": back, "pos": "1"}) is None


@pytest.mark.parametrize(
    "position", ["", "0", "-1", "+1", "1.5", "1e3", "１２", "١٢", " 1", str(trail.MAX_POSITION + 1)]
)
def test_a_position_that_is_not_a_plain_number_in_range_is_no_trail(position):
    assert (
        trail.parse_trail(QueryDict(mutable=True) | {"back": "/search/", "pos": position}) is None
    )


def test_a_trail_needs_both_parts():
    assert trail.parse_trail(QueryDict("back=/search/")) is None
    assert trail.parse_trail(QueryDict("pos=3")) is None
    assert trail.parse_trail(QueryDict("")) is None


# Previous and next on the record page ----------------------------------------------------------


@pytest.fixture
def listed():
    """45 records, "Listed 00" (1900) to "Listed 44" (1944): /search/?sort=oldest lists them
    in that order, 20 a page."""
    return make_list(count=45)


def test_a_record_in_the_middle_of_a_page_links_its_neighbours_and_its_page(client, listed):
    page = html(open_from(client, listed[9], position=10))

    assert back_link(page) == SEARCH
    assert position_text(page) == "Result 10 of 45"
    assert step_links(page) == {
        "prev": f"/articles/{listed[8].pk}/?back=/search/?sort=oldest&pos=9",
        "next": f"/articles/{listed[10].pk}/?back=/search/?sort=oldest&pos=11",
    }
    assert 'Previous<span class="record-trail__title">: Listed 08</span>' in page
    assert 'Next<span class="record-trail__title">: Listed 10</span>' in page


def test_the_last_record_of_a_page_links_the_first_of_the_next_page(client, listed):
    page = html(open_from(client, listed[19], position=20))

    assert back_link(page) == SEARCH
    assert position_text(page) == "Result 20 of 45"
    assert (
        step_links(page)["next"] == f"/articles/{listed[20].pk}/?back=/search/?sort=oldest&pos=21"
    )


def test_the_first_record_of_a_page_links_the_last_of_the_previous_page(client, listed):
    page = html(open_from(client, listed[20], position=21))

    assert back_link(page) == "/search/?sort=oldest&page=2"
    assert (
        step_links(page)["prev"] == f"/articles/{listed[19].pk}/?back=/search/?sort=oldest&pos=20"
    )


def test_the_first_and_last_records_of_the_list_have_one_neighbour(client, listed):
    first = html(open_from(client, listed[0], position=1))
    last = html(open_from(client, listed[44], position=45))

    assert list(step_links(first)) == ["next"]
    assert (
        '<span class="record-trail__step record-trail__step--none">'
        '<span aria-hidden="true">‹</span> Previous</span>' in first
    )
    assert list(step_links(last)) == ["prev"]
    assert back_link(last) == "/search/?sort=oldest&page=3"
    assert position_text(last) == "Result 45 of 45"


def test_the_list_page_size_decides_the_page_to_go_back_to(client, listed):
    back = "/search/?sort=oldest&page_size=5"

    page = html(open_from(client, listed[10], back=back, position=11))

    assert back_link(page) == "/search/?sort=oldest&page_size=5&page=3"
    assert step_links(page) == {
        "prev": f"/articles/{listed[9].pk}/?back=/search/?sort=oldest%26page_size=5&pos=10",
        "next": f"/articles/{listed[11].pk}/?back=/search/?sort=oldest%26page_size=5&pos=12",
    }


def test_a_search_with_words_and_filters_is_followed(client, listed):
    other = make_list(count=3, title="Unrelated", start_year=1950)
    back = f"/search/?q=listed&year_min=1910&sort=oldest&journal={listed[0].journal_id}"

    page = html(open_from(client, listed[10], back=back, position=1))

    assert position_text(page) == "Result 1 of 35"
    assert list(step_links(page)) == ["next"]
    assert f"/articles/{listed[11].pk}/" in step_links(page)["next"]
    assert all(f"/articles/{item.pk}/" not in page for item in other)


def test_walking_next_from_the_first_record_visits_the_whole_list_in_order(client):
    records = make_list(count=7)
    url = trail.result_link(records[0].get_absolute_url(), back=SEARCH + "&page_size=3", position=1)
    seen = []
    while url:
        page = html(client.get(url))
        seen.append(re.search(r'<h1 id="record-title" class="record__title">(.*?)</h1>', page)[1])
        url = step_links(page).get("next")

    assert seen == [f"Listed {n:02d}" for n in range(7)]


def test_a_record_moved_within_its_cached_page_is_found_there(client, listed):
    client.get(SEARCH)  # the reader came from the list: its page's rows are cached
    # The link says 3rd; the record is 10th (the list changed since the link was made).
    page = html(open_from(client, listed[9], position=3))

    assert position_text(page) == "Result 10 of 45"
    assert (
        step_links(page)["next"] == f"/articles/{listed[10].pk}/?back=/search/?sort=oldest&pos=11"
    )


@pytest.mark.parametrize(
    ("query", "back"),
    [
        # The record is 10th: the link says 30th, on page 2.
        ("back=/search/?sort=oldest&pos=30", "/search/?sort=oldest&page=2"),
        # Read without the list page's cache: only the records around the 3rd.
        ("back=/search/?sort=oldest&pos=3", "/search/?sort=oldest"),
        # Twice: the last one counts, as for every parameter.
        ("back=/search/?sort=oldest&pos=1&pos=25", "/search/?sort=oldest&page=2"),
    ],
)
def test_a_stale_position_keeps_the_way_back_but_no_neighbours(client, listed, query, back):
    page = html(client.get(f"{listed[9].get_absolute_url()}?{query}"))

    assert back_link(page) == back
    assert position_text(page) == ""
    assert step_links(page) == {}


@pytest.mark.parametrize(
    "query",
    [
        "back=//evil.example/&pos=1",
        "back=https://evil.example/search/&pos=1",
        "back=/%5Cevil.example/&pos=1",
        "back=/admin/&pos=1",
        "back=/articles/1/&pos=1",
        "back=/no/such/page/&pos=1",
        "back=/search/?page_size=abc&pos=1",
        "back=/search/?sort=sideways&pos=1",
        "back=/search/?journal=999999&pos=1",
        "back=/search/?sort=oldest&pos=46",
        "back=/search/?sort=oldest&pos=99999",
        "back=/search/?q=nothing+matches&pos=1",
        "back=/search/?q=10.1234/abc&pos=1",
        "back=/search/?q=https://doi.org/10.1234/abc&pos=1",
        "back=/search/?q=%22unclosed&pos=1",
        "back=/search/?q=-listed&pos=1",
        "back=/search/?q=" + "x" * 600 + "&pos=1",
        "back=/search/?year_min=3000&pos=1",
        "back=/search/?year_min=%EF%BC%91&pos=1",
        "back=/search/facets/journal/&pos=1",
        "back=/search/export/?format=ris&pos=1",
        "back=/search/feed/&pos=1",
        "back=/journals/999999/&pos=1",
        "back=/journals/abc/&pos=1",
        "back=/search/?sort=oldest&pos=0",
        "back=/search/?sort=oldest&pos=%EF%BC%91",
        "back=/search/%00&pos=1",
        "back=/search/?q=%00&pos=1",
        "pos=1",
        "back=/search/",
    ],
)
def test_a_bad_or_stale_trail_is_ignored_quietly(client, listed, query):
    response = client.get(f"{listed[0].get_absolute_url()}?{query}")

    assert response.status_code == 200
    assert nav(html(response)) == ""
    assert "Listed 00</h1>" in html(response)


def test_a_hostile_list_is_escaped_on_the_way_back(client, listed):
    # A parameter the search does not read is kept on the way back, as the list page had it.
    back = '/search/?sort=oldest&x="><script>alert(1)</script>'
    record = make_article(title="<script>alert(2)</script>", year=1800)

    page = html(open_from(client, listed[0], back=back, position=2))

    assert "<script>alert(" not in page
    # Read back as a list's state, written again percent-encoded: nothing left to escape.
    assert back_link(page) == "/search/?sort=oldest&x=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E"
    assert (
        'Previous<span class="record-trail__title">: &lt;script&gt;alert(2)&lt;/script&gt;</span>'
        in page
    )
    assert step_links(page)["prev"].startswith(f"/articles/{record.pk}/?back=")


def test_the_canonical_link_is_the_record_without_its_trail(client, listed):
    page = html(open_from(client, listed[3], position=4))

    assert re.findall(r'<link rel="canonical" href="([^"]+)">', page) == [
        f"http://testserver/articles/{listed[3].pk}/"
    ]


def test_a_record_opened_without_a_trail_has_no_result_nav(client, listed):
    page = html(client.get(listed[3].get_absolute_url()))

    assert nav(page) == ""
    assert '<link rel="canonical" href="http://testserver/articles/' in page


# The Cite box keeps the trail -------------------------------------------------------------------


def cite_links(page: str) -> list[str]:
    """Return the record page's links that choose a Cite box style (?cite_style=), unescaped."""
    found = re.findall(r'href="([^"]*[?&](?:amp;)?cite_style=[^"]*)"', page)
    return [unescape(href) for href in found]


def link_query(url: str) -> QueryDict:
    return QueryDict(urlsplit(url).query)


def more_styles_form(page: str) -> str:
    match = re.search(r'<form class="cite-box__styles".*?</form>', page, re.DOTALL)
    return match.group(0)


def hidden_fields(form: str) -> dict[str, str]:
    return {
        name: unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form)
    }


def test_every_cite_style_link_keeps_the_trail(client, listed):
    page = html(open_from(client, listed[9], position=10))

    links = cite_links(page)
    # Every core style but the one the box opens on is a link to the page in that style.
    assert len(links) == len(available_styles()) - 1
    for link in links:
        query = link_query(link)
        assert urlsplit(link).path == listed[9].get_absolute_url()
        assert query["back"] == SEARCH
        assert query["pos"] == "10"
        assert query["cite_style"] in available_styles()
        assert link.endswith("#cite-heading")


def test_following_a_cite_link_shows_the_style_and_keeps_the_way_back_and_neighbours(
    client, listed
):
    first = html(open_from(client, listed[9], position=10))
    style = next(s for s in available_styles() if s != default_style())
    [link] = [url for url in cite_links(first) if link_query(url)["cite_style"] == style]

    page = html(client.get(link))

    assert back_link(page) == SEARCH
    assert position_text(page) == "Result 10 of 45"
    assert step_links(page) == {
        "prev": f"/articles/{listed[8].pk}/?back=/search/?sort=oldest&pos=9",
        "next": f"/articles/{listed[10].pk}/?back=/search/?sort=oldest&pos=11",
    }
    # The style asked for is the one the box opens on.
    assert f'data-default-style="{style}"' in page


def test_the_more_styles_form_carries_the_trail_and_its_matches_keep_it(client, listed):
    first = html(open_from(client, listed[9], position=10))
    fields = hidden_fields(more_styles_form(first))
    assert fields == {"back": SEARCH, "pos": "10"}

    # What the browser sends without JavaScript: the form's fields, here a few words.
    page = html(client.get(listed[9].get_absolute_url(), {"cite_q": "natur", **fields}))

    assert back_link(page) == SEARCH
    assert position_text(page) == "Result 10 of 45"
    matches = re.search(r'<ul class="cite-box__matches".*?</ul>', page, re.DOTALL).group(0)
    links = [unescape(href) for href in re.findall(r'<a href="([^"]+)">', matches)]
    assert len(links) == 20
    for link in links:
        query = link_query(link)
        assert (query["back"], query["pos"]) == (SEARCH, "10")
        assert "cite_locale" not in query
    assert hidden_fields(more_styles_form(page)) == {"back": SEARCH, "pos": "10"}


def test_a_moved_record_keeps_the_position_it_was_found_at(client, listed):
    client.get(SEARCH)
    page = html(open_from(client, listed[9], position=3))

    assert {link_query(link)["pos"] for link in cite_links(page)} == {"10"}
    assert hidden_fields(more_styles_form(page))["pos"] == "10"


def test_a_stale_position_keeps_the_trail_it_came_with(client, listed):
    # No neighbours can be trusted, but the way back is shown: Cite keeps it.
    page = html(client.get(f"{listed[9].get_absolute_url()}?back=/search/?sort=oldest&pos=30"))

    assert back_link(page) == "/search/?sort=oldest&page=2"
    assert {link_query(link)["pos"] for link in cite_links(page)} == {"30"}
    assert hidden_fields(more_styles_form(page)) == {"back": SEARCH, "pos": "30"}


@pytest.mark.parametrize("query", ["", "?back=//evil.example/&pos=1", "?back=/admin/&pos=1"])
def test_without_a_valid_trail_cite_links_carry_none(client, listed, query):
    page = html(client.get(f"{listed[9].get_absolute_url()}{query}"))

    links = cite_links(page)
    assert len(links) == len(available_styles()) - 1
    assert all(set(link_query(link)) == {"cite_style"} for link in links)
    assert hidden_fields(more_styles_form(page)) == {}


def test_a_hostile_trail_is_escaped_in_the_cite_links(client, listed):
    back = '/search/?sort=oldest&x="><script>alert(1)</script>'
    page = html(open_from(client, listed[0], back=back, position=1))

    assert "<script>alert(" not in page
    kept = "/search/?sort=oldest&x=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E"
    assert {link_query(link)["back"] for link in cite_links(page)} == {kept}
    assert hidden_fields(more_styles_form(page)) == {"back": kept, "pos": "1"}


def test_browsing_every_style_and_using_one_keeps_the_trail(client, listed):
    first = html(open_from(client, listed[9], position=10))
    [browse] = set(re.findall(r'<a href="([^"]+)">Browse every style</a>', first))
    assert link_query(unescape(browse))["back"] == SEARCH

    # What the style list's search form sends: its query and hidden fields.
    styles = html(client.get(unescape(browse) + "&q=nature"))

    uses = [unescape(href) for href in re.findall(r'<a href="([^"]+)" aria-label="Use in', styles)]
    assert uses
    for link in uses:
        assert urlsplit(link).path == listed[9].get_absolute_url()
        assert (link_query(link)["back"], link_query(link)["pos"]) == (SEARCH, "10")
    [back] = re.findall(r'<a href="([^"]+)">Back to the record</a>', styles)
    assert unescape(back) == f"{listed[9].get_absolute_url()}?back={SEARCH}&pos=10#cite-heading"
    search_form = re.search(r'<form class="search-form style-list__search".*?</form>', styles, re.S)
    assert hidden_fields(search_form.group(0)) == {
        "article": str(listed[9].pk),
        "back": SEARCH,
        "pos": "10",
    }
    page = html(client.get(uses[0]))
    assert back_link(page) == SEARCH
    assert position_text(page) == "Result 10 of 45"
    # The style used opens the box, as an extra tab when it is not one of the core styles.
    style = link_query(uses[0])["cite_style"]
    opens_on = "chosen" if style not in available_styles() else style
    assert f'data-default-style="{opens_on}"' in page
    assert f'data-style="{style}"' in page


def test_the_style_list_from_a_record_without_a_trail_carries_none(client, listed):
    page = html(client.get(listed[9].get_absolute_url()))
    [browse] = set(re.findall(r'<a href="([^"]+)">Browse every style</a>', page))
    assert unescape(browse) == f"/styles/?article={listed[9].pk}"

    styles = html(client.get(unescape(browse)))

    assert "back=" not in styles
    assert 'name="back"' not in styles


# More by these authors -------------------------------------------------------------------------


def test_more_by_these_authors_lists_the_newest_other_records_once_each(client):
    ada, bob, carl = make_author(family_name="Ada"), make_author(family_name="Bob"), make_author()
    record = make_article(title="The record", authors=[ada, bob], year=2015)
    make_article(title="Both, 2019", authors=[ada, bob], year=2019)
    make_article(title="Ada alone, 2021", authors=[ada], year=2021)
    make_article(title="Bob and Carl, 2020", authors=[carl, bob], year=2020)
    make_article(title="Carl alone, 2022", authors=[carl], year=2022)
    make_article(title="Ada, undated", authors=[ada], year=None)
    make_article(title="Bob, 1999", authors=[bob], year=1999)

    more = articles.more_by_authors(record)
    page = html(client.get(record.get_absolute_url()))

    assert [item.title for item in more.articles] == [
        "Ada alone, 2021",
        "Bob and Carl, 2020",
        "Both, 2019",
        "Bob, 1999",
        "Ada, undated",
    ]
    assert not more.single_author
    assert more.see_all_url == f"/search/?author={ada.pk}&author={bob.pk}&sort=newest"
    assert "More by these authors</h2>" in page
    assert (
        f'<a href="/search/?author={ada.pk}&amp;author={bob.pk}&amp;sort=newest">'
        "All records by these authors</a>" in page
    )


def test_more_by_shows_five_and_a_single_author_links_their_page(client):
    ada = make_author()
    record = make_article(authors=[ada], year=2000)
    for year in range(2001, 2008):
        make_article(title=f"Ada {year}", authors=[ada], year=year)

    more = articles.more_by_authors(record)
    page = html(client.get(record.get_absolute_url()))

    assert [item.title for item in more.articles] == [
        f"Ada {year}" for year in range(2007, 2002, -1)
    ]
    assert more.single_author and more.see_all_url == f"/authors/{ada.pk}/"
    assert "More by this author</h2>" in page
    assert f'<a href="/authors/{ada.pk}/">All records by this author</a>' in page


def test_a_record_whose_authors_have_nothing_else_has_no_more_by(client):
    lonely = make_article(authors=[make_author()])
    anonymous = make_article(authors=[])

    assert articles.more_by_authors(lonely) is None
    assert articles.more_by_authors(anonymous) is None
    assert 'id="more-by-heading"' not in html(client.get(lonely.get_absolute_url()))


def test_more_by_asks_about_the_first_authors_only():
    many = [make_author() for _ in range(articles.MORE_BY_AUTHORS + 1)]
    record = make_article(authors=many)
    make_article(title="By the last author", authors=[many[-1]])
    make_article(title="By the tenth author", authors=[many[articles.MORE_BY_AUTHORS - 1]])

    assert [item.title for item in articles.more_by_authors(record).articles] == [
        "By the tenth author"
    ]


# Also in this issue ----------------------------------------------------------------------------


def test_also_in_this_issue_lists_the_issue_in_page_order(client):
    journal, other_journal = make_journal(title="Issue Journal"), make_journal()
    record = make_article(title="Record", journal=journal, volume="12", issue="3", pages="20-29")
    make_article(title="Pages 30", journal=journal, volume="12", issue="3", pages="30-39")
    make_article(title="Pages 1", journal=journal, volume="12", issue="3", pages="1-19")
    make_article(title="Number e5", journal=journal, volume="12", issue="3", article_number="e5")
    make_article(title="Issue 4", journal=journal, volume="12", issue="4", pages="1-9")
    make_article(title="Volume 13", journal=journal, volume="13", issue="3", pages="1-9")
    make_article(title="Other journal", journal=other_journal, volume="12", issue="3")

    found = articles.same_issue(record)
    page = html(client.get(record.get_absolute_url()))

    assert [item.title for item in found.articles] == ["Pages 1", "Pages 30", "Number e5"]
    assert not found.has_more
    assert '<p class="record-more__issue">Issue Journal, volume 12, issue 3</p>' in page
    assert (
        re.findall(r'id="same-issue-heading".*?</section>', page, re.DOTALL)[0].count("<li>") == 3
    )
    # Pages as printed, an article number instead when there are none.
    assert re.findall(r'<span class="record-more__meta">([^<]+)</span>', page) == [
        Article.objects.get(title="Pages 1").pages,
        "30-39",
        "e5",
    ]


def test_a_big_issue_shows_the_first_records_and_links_the_journal_year(client):
    journal = make_journal()
    record = make_article(journal=journal, volume="1", issue="1", first_page=1, year=2011)
    for n in range(articles.SAME_ISSUE_COUNT + 1):
        make_article(
            title=f"Page {n + 2}",
            journal=journal,
            volume="1",
            issue="1",
            first_page=n + 2,
            year=2011,
        )

    found = articles.same_issue(record)
    page = html(client.get(record.get_absolute_url()))

    assert [item.title for item in found.articles] == [f"Page {n + 2}" for n in range(10)]
    assert found.has_more
    assert (
        found.see_all_url
        == f"/search/?journal={journal.pk}&year_min=2011&year_max=2011&sort=oldest"
    )
    assert "The first 10 in page order;" in page


def test_the_issue_is_read_within_a_year_of_the_record_and_undated_records_kept():
    journal = make_journal()
    record = make_article(title="Record", journal=journal, volume="9", issue="1", year=2020)
    for title, year in (("Online first", 2019), ("Late", 2021), ("Undated", None), ("Far", 2017)):
        make_article(title=title, journal=journal, volume="9", issue="1", year=year)

    assert sorted(item.title for item in articles.same_issue(record).articles) == [
        "Late",
        "Online first",
        "Undated",
    ]


def test_an_undated_record_reads_its_whole_issue_and_a_big_one_says_there_is_more(client):
    journal = make_journal()
    record = make_article(journal=journal, volume="2", issue="5", year=None)
    for n in range(articles.SAME_ISSUE_COUNT + 1):
        make_article(journal=journal, volume="2", issue="5", year=1990 + n, first_page=n + 1)

    found = articles.same_issue(record)
    page = html(client.get(record.get_absolute_url()))

    assert len(found.articles) == articles.SAME_ISSUE_COUNT
    assert found.has_more and found.see_all_url == ""
    assert '<p class="record-more__all">The first 10 in page order.</p>' in page


@pytest.mark.parametrize(
    "fields",
    [
        {"volume": "", "issue": "3"},
        {"volume": "12", "issue": ""},
        {"journal": None, "volume": "1", "issue": "1"},
    ],
)
def test_without_journal_volume_and_issue_there_is_no_issue_list(client, fields):
    journal = make_journal()
    record = make_article(**{"journal": journal, **fields})
    make_article(journal=journal, volume=fields["volume"], issue=fields["issue"])

    assert articles.same_issue(record) is None
    assert 'id="same-issue-heading"' not in html(client.get(record.get_absolute_url()))


def test_other_records_escape_hostile_titles_and_journals(client):
    journal = make_journal(title="<img src=x onerror=alert(1)>")
    ada = make_author()
    record = make_article(journal=journal, volume="1", issue="1", authors=[ada])
    make_article(
        title="<script>alert(1)</script>", journal=journal, volume="1", issue="1", authors=[ada]
    )

    page = html(client.get(record.get_absolute_url()))

    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2


# The Edit link ---------------------------------------------------------------------------------


EDIT = re.compile(r'<a class="record-actions__edit" href="([^"]+)">Edit')


@pytest.mark.parametrize(
    ("staff", "codenames", "shown"),
    [
        (False, (), False),
        (False, ("change_article",), False),  # not staff: the admin would refuse them
        (True, (), False),
        (True, ("view_article",), False),
        (True, ("change_article",), True),
    ],
)
def test_the_edit_link_needs_staff_who_may_change_articles(client, staff, codenames, shown):
    record = make_article()
    client.force_login(make_user(username="someone", staff=staff, codenames=codenames))

    page = html(client.get(record.get_absolute_url()))

    assert EDIT.findall(page) == (
        [f"/admin/catalogue/article/{record.pk}/change/"] if shown else []
    )


def test_anonymous_readers_get_no_edit_link(client):
    assert EDIT.findall(html(client.get(make_article().get_absolute_url()))) == []


def test_a_staff_librarian_and_a_superuser_get_an_edit_link_that_opens_the_form(client):
    record = make_article(title="Editable")
    librarian = make_user(username="librarian", staff=True)
    librarians, _ = Group.objects.get_or_create(name="Librarians")
    librarians.permissions.add(Permission.objects.get(codename="change_article"))
    librarian.groups.add(librarians)
    superuser = User.objects.create_superuser("root", password="not-a-real-secret-1")

    for user in (librarian, superuser):
        client.force_login(user)
        [edit] = EDIT.findall(html(client.get(record.get_absolute_url())))
        form = client.get(edit)
        assert form.status_code == 200
        assert "<title>Editable | Change article |" in html(form)


# Constant queries ------------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    """Return how many queries the page at `url` makes (after one request warmed the caches)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def make_record(*, authors: int, related: int) -> Article:
    """Return a record of `authors` authors whose issue and first author have `related` more
    records, with `related` research topics and related records (issue 19)."""
    journal = make_journal()
    people = [make_author() for _ in range(authors)]
    record = make_article(journal=journal, volume="1", issue="2", authors=people, year=2000)
    others = [
        make_article(journal=journal, volume="1", issue="2", authors=people[:1], first_page=n + 1)
        for n in range(related)
    ]
    concepts = TopicConcept.objects.bulk_create(
        TopicConcept(key=f"concept {record.pk} {n}", label=f"Concept {n}", kind="term")
        for n in range(related)
    )
    ArticleTopic.objects.bulk_create(
        ArticleTopic(article=record, concept=concept, weight=100 - n, unit=0.1, fields="title")
        for n, concept in enumerate(concepts)
    )
    RelatedArticle.objects.bulk_create(
        RelatedArticle(article=record, related=other, similarity=0.5, shared="Concept 0")
        for other in others
    )
    return record


# The record page without a trail: the article (with its journal), its authorships, keywords,
# subject areas and contributors, the summaries citing it, more by its authors, the rest of
# its issue, and its research topics (the fingerprint, the statistics, related records).
RECORD_PAGE_QUERIES = 11


def test_a_record_page_makes_the_same_queries_whatever_its_authors_and_related_records(client):
    small = make_record(authors=1, related=1)
    big = make_record(authors=40, related=25)

    assert count_queries(client, small.get_absolute_url()) == RECORD_PAGE_QUERIES
    assert count_queries(client, big.get_absolute_url()) == RECORD_PAGE_QUERIES
    page = html(client.get(big.get_absolute_url()))
    assert page.count('class="topics-related__item"') == 25
    assert page.count('class="topics__concept"') == min(25, SHOWN_CONCEPTS)


def test_the_record_page_has_a_select_button_for_the_record(client):
    record = make_article()

    page = html(client.get(record.get_absolute_url()))

    assert re.findall(
        r'<button type="submit" name="(\w+)" value="(\d+)"[^>]*>([^<]+)</button>', page
    ) == [("add", str(record.pk), "Select")]


def test_a_record_without_authors_or_issue_skips_those_queries(client, django_assert_num_queries):
    record = make_article(authors=[], journal=None)
    client.get(record.get_absolute_url())

    with django_assert_num_queries(RECORD_PAGE_QUERIES - 2):
        client.get(record.get_absolute_url())


# A trail adds the index generation and the neighbours' titles, and the results statement
# (without facets) when the list's pages around the record are not in the results cache.
TRAIL_CACHED = 2
TRAIL_UNCACHED = 3


@pytest.mark.parametrize("position", [1, 10, 20, 21, 45])
def test_a_trail_adds_a_fixed_number_of_queries(client, listed, position):
    record = listed[position - 1]
    url = trail.result_link(record.get_absolute_url(), back=SEARCH, position=position)
    alone = count_queries(client, record.get_absolute_url())

    assert count_queries(client, url) == alone + TRAIL_UNCACHED
    # The reader came from the list and paged across the boundary: every page is cached.
    for page in (1, 2, 3):
        client.get(f"{SEARCH}&page={page}")
    assert count_queries(client, url) == alone + TRAIL_CACHED


@pytest.mark.parametrize("position", [10, 20, 21])
def test_cached_pages_and_the_statement_give_the_same_neighbours(client, listed, position):
    url = trail.result_link(listed[position - 1].get_absolute_url(), back=SEARCH, position=position)
    cold = html(client.get(url))
    for page in (1, 2):
        client.get(f"{SEARCH}&page={page}")
    warm = html(client.get(url))

    assert nav(cold) == nav(warm)
    back = "back=/search/?sort=oldest"
    assert step_links(warm) == {
        "prev": f"/articles/{listed[position - 2].pk}/?{back}&pos={position - 1}",
        "next": f"/articles/{listed[position].pk}/?{back}&pos={position + 1}",
    }


def test_a_staff_editor_adds_only_the_session_and_permission_queries(client):
    record = make_record(authors=3, related=3)
    client.force_login(make_user(username="editor", staff=True, codenames=("change_article",)))

    # The session and its user, then the user's own and their groups' permissions.
    assert count_queries(client, record.get_absolute_url()) == RECORD_PAGE_QUERIES + 2 + 2


# From the list pages themselves ----------------------------------------------------------------


def result_links(page: str) -> list[str]:
    """Return the record links of a result list page, in order."""
    return [unescape(href) for href in re.findall(r'href="(/articles/\d+/\?back=[^"#]+)"', page)]


def test_the_search_page_links_its_results_with_their_trail(client, listed):
    page = html(client.get("/search/?sort=oldest&page=2"))

    links = list(dict.fromkeys(result_links(page)))
    assert links[0] == f"/articles/{listed[20].pk}/?back=/search/?sort=oldest&pos=21"
    assert links[-1] == f"/articles/{listed[39].pk}/?back=/search/?sort=oldest&pos=40"
    record = html(client.get(links[0]))
    assert back_link(record) == "/search/?sort=oldest&page=2"
    assert position_text(record) == "Result 21 of 45"


def test_a_journal_page_is_a_list_the_record_walks_through(client, listed):
    elsewhere = make_article(title="Elsewhere", year=1920)
    journal_page = f"/journals/{listed[0].journal_id}/?sort=oldest"

    first = html(client.get(journal_page))
    [link] = [url for url in result_links(first) if url.startswith(f"/articles/{listed[19].pk}/")][
        :1
    ]
    record = html(client.get(link))

    assert position_text(record) == "Result 20 of 45"
    assert back_link(record) == journal_page
    assert step_links(record) == {
        "prev": f"/articles/{listed[18].pk}/?back={journal_page}&pos=19",
        "next": f"/articles/{listed[20].pk}/?back={journal_page}&pos=21",
    }
    assert f"/articles/{elsewhere.pk}/" not in record


@pytest.mark.postgres
def test_a_list_too_big_to_count_shows_the_search_pages_estimate(client, settings):
    # Above the exact threshold PostgreSQL estimates a word's matches from a sample (about 1,200
    # here): the record page says "about" and the same rounded figure as the search page.
    settings.SEARCH_EXACT_THRESHOLD = 200
    settings.SEARCH_EXACT_THRESHOLD_OTHER_VALUES = 200
    journal = make_journal(title="Big Journal")
    Article.objects.bulk_create(
        (
            Article(title=f"Sampled study {n}", journal=journal, year=1990 + n % 60)
            for n in range(1200)
        ),
        batch_size=500,
    )
    back = "/search/?q=sampled&sort=newest"
    filterset = articles._list_filterset(back)
    result = search.search(params=filterset.search_params(), page=1, page_size=20)
    first = result.articles[0]

    page = html(open_from(client, first, back=back, position=1))

    assert not result.total_exact
    assert position_text(page) == f"Result 1 of about {result.total:,}"
    assert list(step_links(page)) == ["next"]
