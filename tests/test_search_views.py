"""Tests for catalogue.search.views: the /search/ page, "all values" lists and exports."""

import html as html_lib
import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import caches
from django.db import connection
from django.http import QueryDict
from django.urls import clear_script_prefix, reverse, set_script_prefix

from catalogue.models import Article
from catalogue.search import FacetValue
from catalogue.search.links import decorate_values, querystring
from catalogue.search.views import _year_url
from tests.factories import make_article, make_author, make_journal, make_keyword

pytestmark = pytest.mark.django_db

SEARCH = "/search/"


@pytest.fixture(autouse=True)
def _empty_cache():
    caches["default"].clear()


def page_of(response) -> str:
    return response.content.decode()


def result_titles(response) -> list[str]:
    """Return the result titles as text (highlight marks removed), in page order."""
    found = re.findall(r'class="result__title"[^>]*><a href="[^"]+">(.*?)</a>', page_of(response))
    return [html_lib.unescape(re.sub(r"</?mark>", "", title)) for title in found]


def links(response, css_class: str) -> list[tuple[str, str]]:
    """Return (href, text) of the links with `css_class`."""
    pattern = rf'<a class="{css_class}" href="([^"]*)"[^>]*>(.*?)</a>'
    return [
        (html_lib.unescape(href), re.sub(r"<[^>]+>", "", text).strip())
        for href, text in re.findall(pattern, page_of(response), flags=re.S)
    ]


def params_of(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


@pytest.fixture
def shelf():
    """Twenty-five alliance studies over two journals and three keywords, and one other."""
    journals = [make_journal(title="Journal One"), make_journal(title="Journal Two")]
    keywords = [make_keyword(term=term) for term in ("alliance", "outcome", "dropout")]
    author = make_author(family_name="Zilcha-Mano", given_names="Sigal")
    for n in range(25):
        make_article(
            title=f"Alliance study {n:02d}",
            abstract="We measured the therapeutic alliance.",
            journal=journals[n % 2],
            keywords=[keywords[n % 3]],
            authors=[author, make_author()],
            year=2000 + n,
            output_type="editorial" if n == 24 else "article",
        )
    make_article(title="Something else entirely", year=1999)
    return {"journals": journals, "keywords": keywords, "author": author}


# The page -----------------------------------------------------------------------------------------


def test_results_with_total_highlights_and_facets(client, shelf):
    response = client.get(SEARCH, {"q": "alliance", "sort": "newest"})

    page = page_of(response)
    assert response.status_code == 200
    assert "25 results for “alliance”" in page
    assert "Showing 1–20 of 25" in page
    assert result_titles(response)[:3] == [
        "Alliance study 24",
        "Alliance study 23",
        "Alliance study 22",
    ]
    newest = Article.objects.get(title="Alliance study 24")
    assert (
        f'<a href="/articles/{newest.pk}/?back=/search/?q=alliance%26sort=newest&amp;pos=1">'
        "<mark>Alliance</mark> study 24</a>"
    ) in page
    assert "measured the therapeutic <mark>alliance</mark>" in page
    assert ">Sigal Zilcha-Mano</a>" in page
    facet_labels = [text for _, text in links(response, "facet__link")]
    assert facet_labels[:2] == ["Article", "Editorial"]
    assert "Journal One" in facet_labels and "Journal Two" in facet_labels
    assert re.search(
        r'<span class="facet__label">alliance</span></a>\s*<a class="facet__exclude"', page
    )


@pytest.mark.parametrize("script_name", ["", "/catalogue"])
def test_result_links_are_the_records_own_urls(client, db, script_name):
    # The view puts each key into a URL reversed once (search.links.detail_url): the links
    # must stay what get_absolute_url() gives, under a script prefix too, for the ten
    # authors shown of a longer byline.
    authors = [make_author(family_name=f"Author{n:02d}") for n in range(12)]
    article = make_article(title="Alliance with many authors", authors=authors)
    other = make_article(title="Alliance alone", authors=[authors[5]])

    set_script_prefix(f"{script_name}/")
    try:
        response = client.get(SEARCH, {"q": "alliance"})
        urls = {record: record.get_absolute_url() for record in [article, other, *authors]}
    finally:
        clear_script_prefix()

    page = page_of(response)
    assert response.status_code == 200
    assert urls[article] == f"{script_name}/articles/{article.pk}/"
    # Each link carries the list's trail (search.trail): the request's path (the test
    # client sends no SCRIPT_NAME), its query and the record's rank.
    assert f'<a href="{urls[article]}?back=/search/?q=alliance&amp;pos=' in page
    assert f'<a href="{urls[other]}?back=/search/?q=alliance&amp;pos=' in page
    bylines = re.findall(r'<p class="result__authors">(.*?)</p>', page)
    shown = [re.findall(r'<a href="([^"]+)">', byline) for byline in bylines]
    assert sorted(shown, key=len) == [[urls[authors[5]]], [urls[a] for a in authors[:10]]]
    assert " and 2 more" in page


def test_every_link_carries_the_whole_state(client, shelf):
    alliance, outcome, dropout = (keyword.pk for keyword in shelf["keywords"])
    url = (
        f"{SEARCH}?q=alliance&keyword={alliance}&not_type=editorial&year_min=2005&sort=newest"
        "&page=1"
    )

    response = client.get(url)

    assert response.status_code == 200
    include = dict((text, href) for href, text in links(response, "facet__link"))
    # Adding a keyword keeps the query, the other keyword, the exclusion, the range and the sort,
    # and goes back to page 1.
    assert params_of(include["outcome"]) == {
        "q": ["alliance"],
        "keyword": [str(alliance), str(outcome)],
        "not_type": ["editorial"],
        "year_min": ["2005"],
        "sort": ["newest"],
    }
    # The selected keyword's link removes it.
    assert params_of(include["✓ alliance"]) == {
        "q": ["alliance"], "not_type": ["editorial"], "year_min": ["2005"], "sort": ["newest"],
    }  # fmt: skip
    exclude = dict(
        (re.sub(r"^Exclude ", "", label), html_lib.unescape(href))
        for href, label in re.findall(
            r'<a class="facet__exclude" href="([^"]*)" title="Exclude ([^"]*)"', page_of(response)
        )
    )
    assert params_of(exclude["dropout"])["not_keyword"] == [str(dropout)]


def test_chips_remove_one_filter_and_clear_all_keeps_the_words(client, shelf):
    alliance, outcome, _ = (keyword.pk for keyword in shelf["keywords"])
    url = (
        f"{SEARCH}?q=alliance&keyword={alliance}&keyword={outcome}&year_min=2010&year_max=2020"
        "&not_type=editorial"
    )

    response = client.get(url)

    page = page_of(response)
    chips = re.findall(
        r'<span class="chip__facet">(.*?)</span> <span class="chip__label">(.*?)</span> '
        r'<a class="chip__remove" href="([^"]*)"',
        page,
    )
    assert [(facet, label) for facet, label, _ in chips] == [
        ("Year:", "2010–2020"),
        ("Output type is not", "Editorial"),
        ("Keyword:", "alliance"),
        ("Keyword:", "outcome"),
    ]
    year_removed = params_of(html_lib.unescape(chips[0][2]))
    assert "year_min" not in year_removed and "year_max" not in year_removed
    assert params_of(html_lib.unescape(chips[2][2]))["keyword"] == [str(outcome)]
    clear = re.search(r'<a class="chips__clear" href="([^"]*)"', page).group(1)
    assert params_of(html_lib.unescape(clear)) == {"q": ["alliance"]}


def test_year_histogram_bars_and_range_form(client, shelf):
    response = client.get(SEARCH, {"q": "alliance", "year_min": "2020"})

    page = page_of(response)
    bars = re.findall(
        r'<li class="histogram__bar( histogram__bar--outside)?"><a href="([^"]*)"', page
    )
    assert len(bars) == 25  # counted without the range: every year shows
    outside = [bool(flag) for flag, _ in bars]
    assert outside == [True] * 20 + [False] * 5
    first = params_of(html_lib.unescape(bars[0][1]))
    assert (first["year_min"], first["year_max"]) == (["2000"], ["2000"])
    assert 'name="year_min" type="number"' in page and 'value="2020"' in page
    assert "5 results" in page


def test_every_year_of_the_histograms_range_has_a_bar(client, db):
    for year in (1998, 2001, 2001):
        make_article(title=f"Sparse study {year}", year=year)
    make_article(title="Sparse study undated", year=None)

    page = page_of(client.get(SEARCH, {"q": "sparse"}))

    bars = re.findall(r'<li class="histogram__bar([^"]*)">(.*?)</li>', page)
    texts = [re.search(r'visually-hidden">([^<]*)<', bar).group(1) for _, bar in bars]
    assert texts == [
        "1998: 1 result",
        "1999: no results",
        "2000: no results",
        "2001: 2 results",
    ]
    # Empty years are drawn, not links: they would lead to no results.
    assert ["href" in bar for _, bar in bars] == [True, False, False, True]
    assert [flags.strip() for flags, _ in bars] == [
        "",
        "histogram__bar--empty",
        "histogram__bar--empty",
        "",
    ]
    assert (
        '<p class="histogram__axis" aria-hidden="true"><span>1998</span><span>2001</span></p>'
        in page
    )


def test_pagination_keeps_the_state(client, shelf):
    response = client.get(SEARCH, {"q": "alliance", "sort": "oldest", "page": "2"})

    page = page_of(response)
    assert result_titles(response) == [f"Alliance study {n}" for n in range(20, 25)]
    assert 'href="?q=alliance&amp;sort=oldest&amp;page=1" rel="prev"' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year_min=abc", "The year must be a whole number such as 2010."),
        ("keyword=999999", "There is no keyword with the id 999999."),
        ("journal=1.5", "“1.5” is not a journal id"),
        ("page=999999", "Only the first 10,000 results can be paged through"),
        ("page=3", "There is no page 3: the results have 2 pages."),
        ("page_size=100000", "The page size must be between 1 and 100 results (it was 100,000)."),
        (
            "q=" + "a" * 501,
            "Your search is too long: please use at most 500 characters (it has 501).",
        ),
        ("q=-dropout", "A search needs at least one word to look for"),
        ("sort=best", "“best” is not a sort order"),
    ],
)
def test_bad_input_is_a_400_with_a_helpful_message(client, shelf, query, message):
    response = client.get(
        f"{SEARCH}?q=alliance&{query}" if not query.startswith("q=") else f"{SEARCH}?{query}"
    )

    assert response.status_code == 400
    page = page_of(response)
    assert html_lib.escape(message, quote=False) in page or message in html_lib.unescape(page)
    assert 'role="alert"' in page
    assert 'class="result"' not in page


@pytest.mark.parametrize(
    ("query", "notice"),
    [
        ('"therapeutic alliance', "The closing quotation mark was missing"),
        ("alliance OR", "“OR” needs a word on each side"),
        ("OR OR alliance", "“OR” needs a word on each side"),
        ("alliance -", "A lone “-” at the end was ignored."),
    ],
)
def test_odd_syntax_still_searches_with_a_notice(client, shelf, query, notice):
    response = client.get(SEARCH, {"q": query})

    assert response.status_code == 200
    assert notice in html_lib.unescape(page_of(response))
    assert len(result_titles(response)) == 20


@pytest.mark.parametrize(
    "query", ["' OR 1=1 --", '"; DROP TABLE catalogue_article; --', "100% _", "<b>alliance</b>"]
)
def test_sql_and_html_in_the_query_are_searched_as_words_and_escaped(client, shelf, query):
    response = client.get(SEARCH, {"q": query})

    page = page_of(response)
    assert response.status_code == 200
    assert "<b>alliance</b>" not in page.replace("<mark>", "")
    assert Article.objects.count() == 26


def test_the_query_is_escaped_everywhere(client, db):
    response = client.get(SEARCH, {"q": "<script>alert('x')</script> study"})

    page = page_of(response)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; study" in page


def test_a_result_is_its_title_authors_source_snippet_select_and_cite(client, db):
    journal = make_journal(title="Journal One")
    people = [make_author(family_name=f"Author{n:02d}", given_names="Ada") for n in range(12)]
    article = make_article(
        title="Alliance study",
        abstract="We measured the alliance.",
        journal=journal,
        authors=people,
        et_al=True,
        volume="12",
        issue="3",
        pages="45-67",
        year=2017,
        month=5,
    )

    page = page_of(client.get(SEARCH, {"q": "alliance"}))

    pk = article.pk
    url = f"/articles/{pk}/?back=/search/?q=alliance&amp;pos=1"
    # ts_headline's fragment starts and ends at a word that is not a stop word.
    snippet = (
        "measured the <mark>alliance</mark>"
        if connection.vendor == "postgresql"
        else "We measured the <mark>alliance</mark>."
    )
    # The first ten authors are named and linked.
    authors = ", ".join(
        f'<a href="/authors/{person.pk}/">Ada Author{n:02d}</a>'
        for n, person in enumerate(people[:10])
    )
    assert (
        f'<li class="result" id="result-{pk}">\n'
        f'  <h3 class="result__title" id="result-title-{pk}"><a href="{url}">'
        "<mark>Alliance</mark> study</a></h3>\n"
        "  \n"
        f'  <p class="result__authors">{authors} and 2 more et al.</p>\n'
        "  \n"
        '  <p class="result__source"><span class="result__type">Article</span> · '
        '<span class="result__journal">Journal One</span>, 12(3), 45-67 · '
        '<span class="result__date">Published - May 2017</span> · '
        '<span class="result__peer">Peer reviewed</span></p>\n'
        f'  <p class="result__snippet">{snippet}</p>\n'
        '  <div class="result__actions">\n'
        f'    <span class="result__select"><input type="checkbox" id="select-{pk}" name="add" '
        f'value="{pk}" form="selected-form" aria-labelledby="select-label-{pk} '
        f'result-title-{pk}" data-select-box><label id="select-label-{pk}" '
        f'for="select-{pk}">Select</label></span>\n'
        f'    <a class="result__cite" href="{url}#cite-heading" id="cite-link-{pk}" '
        f'aria-labelledby="cite-link-{pk} result-title-{pk}" '
        f'data-cite-dialog="/articles/{pk}/cite/?box=1">Cite</a>\n'
        "  </div>\n"
        "</li>"
    ) in page


HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_every_part_of_a_result_from_a_record_is_escaped(client, db):
    # Record fields come from imports: none may become markup on the results page (only the
    # CSL rich-text tags of a title or abstract, and the page's own <mark>, are tags).
    person = make_author(family_name=f"Doe{HOSTILE}", given_names="Ann")
    other = make_author(corporate_name=f"Group{HOSTILE}")
    make_article(
        title=f"Alliance {HOSTILE} <i>in vivo</i>",
        abstract=f"The alliance {HOSTILE} & more.",
        journal=make_journal(title=f"Journal{HOSTILE}"),
        authors=[person, (other, {"corporate_name": f"Printed{HOSTILE}"})],
        volume=f"v{HOSTILE}"[:50],
        issue=f"i{HOSTILE}"[:50],
        pages=f"p{HOSTILE}",
        date_text=f"d{HOSTILE}",
    )
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"

    for response in (
        client.get(SEARCH, {"q": "alliance"}),
        client.get(SEARCH),
        client.get(person.get_absolute_url()),
        client.get(other.get_absolute_url(), {"q": "alliance"}),
    ):
        page = page_of(response)
        start = page.index('<ol class="results')
        results = page[start : page.index("</ol>", start)]
        assert response.status_code == 200
        assert "<script" not in results and "<img" not in results
        for text in (
            f"Doe{escaped}",
            f"Printed{escaped}",
            f"Journal{escaped}",
            f"p{escaped}",
            f"d{escaped}",
            ", v&lt;script&gt;alert(&quot;x&quot;)",
            "(i&lt;script&gt;alert(&quot;x&quot;)",
            "<i>in vivo</i>",
        ):
            assert text in results, text
        snippet = results.split('class="result__snippet">')[1].split("</p>")[0]
        # PostgreSQL's ts_headline drops what its parser reads as tags; the rest is text.
        assert "&lt;img src=x onerror=alert(1)&gt;" in snippet


def test_every_part_of_a_facet_value_from_a_record_is_escaped(client, db):
    # The sidebar's sections and a facet's full list are built in Python (search.markup): the
    # labels come from imports, the links carry the reader's words.
    journal = make_journal(title=f"Journal{HOSTILE}")
    kept = make_keyword(term=f"Kept{HOSTILE}")
    dropped = make_keyword(term=f"Dropped{HOSTILE}")
    person = make_author(family_name=f"Doe{HOSTILE}", given_names="Ann")
    make_article(title="Alliance one", journal=journal, keywords=[kept], authors=[person])
    make_article(title="Alliance two", journal=journal, keywords=[dropped], authors=[person])
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    state = {"q": "alliance", "journal": journal.pk, "not_keyword": dropped.pk}

    sidebar = page_of(client.get(SEARCH, state))
    aside = sidebar[sidebar.index('<aside id="facets"') : sidebar.index("</aside>")]
    full = page_of(client.get(reverse("catalogue:search-facet", args=["keyword"]), state))
    values = full[full.index('<ul class="facet__values') :]
    values = values[: values.index("</ul>")]

    assert "<script" not in aside and "<img" not in aside
    assert "<script" not in values and "<img" not in values
    # A selected value (its removal), an excluded one (the same), a value to select or exclude.
    assert f'aria-label="Remove Journal{escaped}"' in aside
    assert f'<span class="facet__label">Journal{escaped}</span>' in aside
    for region in (aside, values):
        assert f'aria-label="Stop excluding Dropped{escaped}"' in region
        assert f'<span class="facet__label">Dropped{escaped}</span>' in region
        assert f'<span class="facet__label">Kept{escaped}</span>' in region
        assert f'title="Exclude Kept{escaped}" aria-label="Exclude Kept{escaped}"' in region
    assert f"Doe{escaped}" in aside
    # Every link's query string is an attribute's text: its "&" written as "&amp;".
    hrefs = re.findall(r'href="([^"]*)"', aside + values)
    assert len(hrefs) >= 12
    for href in hrefs:
        assert "&" not in href.replace("&amp;", ""), href


def test_an_author_page_marks_the_persons_own_name_and_links_the_others(client, db):
    person = make_author(family_name="Nguyen", given_names="Patrick")
    other = make_author(family_name="Berg", given_names="Jan")
    make_article(title="Alliance study", authors=[other, (person, {"given_names": "P"})])

    page = page_of(client.get(person.get_absolute_url()))

    assert (
        f'<p class="result__authors"><a href="/authors/{other.pk}/">Jan Berg</a>, '
        "<strong>P Nguyen</strong></p>"
    ) in page


def test_did_you_mean(client, shelf):
    response = client.get(SEARCH, {"q": "aliance"})

    page = page_of(response)
    assert "No results" in page
    assert 'Did you mean <a href="/search/?q=alliance">alliance</a>?' in page


def test_a_pasted_doi_jumps_to_the_record(client, db):
    article = make_article(doi="10.1037/a0040435")

    response = client.get(SEARCH, {"q": "https://doi.org/10.1037/A0040435"})

    assert response.status_code == 302
    assert response["Location"] == article.get_absolute_url()
    missing = client.get(SEARCH, {"q": "doi:10.9999/none"})
    assert missing.status_code == 404
    assert "No article in the catalogue has the DOI “10.9999/none”." in page_of(missing)


def test_empty_catalogue_and_empty_search(client, db):
    response = client.get(SEARCH)

    assert response.status_code == 200
    assert "The catalogue has no articles yet." in page_of(response)


def test_header_and_home_search_boxes_go_to_the_search_page(client, db):
    home = page_of(client.get("/"))
    assert '<form class="search-form" role="search" action="/search/" method="get">' in home

    search_page = page_of(client.get(SEARCH, {"q": 'a"b'}))
    assert '<form class="search-box" role="search" action="/search/" method="get">' in search_page
    # One search box: the header's is the page's, with the query syntax as its help.
    assert 'id="search-q" type="search" name="q" value="a&quot;b"' in search_page
    assert 'id="page-q"' not in search_page
    assert (
        '<p id="search-q-help" class="search-box__help">'
        "Words, “exact phrases”, OR, -excluded words, or a DOI</p>"
    ) in search_page


# Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 25])
def test_the_page_makes_a_constant_number_of_queries(client, db, django_assert_num_queries, count):
    for n in range(count):
        make_article(title=f"Constant study {n}", authors=[make_author(), make_author()])

    # Index generation, the results statement, the page's articles with their authors
    # (search.highlight.marked_articles), and (with words in the query) the evidence
    # summaries matching them.
    with django_assert_num_queries(4):
        response = client.get(SEARCH, {"q": "constant", "sort": "title"})
    assert len(result_titles(response)) == min(count, 20)
    with django_assert_num_queries(4):
        client.get(SEARCH, {"q": "constant study", "type": "article", "not_language": "fr"})
    with django_assert_num_queries(3):
        client.get(SEARCH)
    # The same page again: the index generation and the summaries; the results are cached.
    with django_assert_num_queries(2):
        again = client.get(SEARCH, {"q": "constant", "sort": "title"})
    assert result_titles(again) == result_titles(response)


def test_no_results_makes_fewer_queries(client, db, django_assert_num_queries):
    make_article(title="Anything")

    # Generation, results statement, "did you mean", matching evidence summaries.
    with django_assert_num_queries(4):
        client.get(SEARCH, {"q": "nothingatall"})
    # Generation, results statement.
    with django_assert_num_queries(2):
        client.get(SEARCH, {"type": "dataset"})
    # Refused before any query.
    with django_assert_num_queries(0):
        client.get(SEARCH, {"year_min": "abc"})


# All values of a facet ----------------------------------------------------------------------------


def test_all_values_sorted_and_filtered_without_accents(client, shelf):
    url = reverse("catalogue:search-facet", args=["author"])

    by_count = client.get(url, {"q": "alliance"})
    assert by_count.status_code == 200
    labels = [text for _, text in links(by_count, "facet__link")]
    assert labels[0] == "Sigal Zilcha-Mano"
    assert len(labels) == 26
    assert "26 values" in page_of(by_count)

    filtered = client.get(url, {"q": "alliance", "values_filter": "ZILCHA", "values_sort": "az"})
    assert [text for _, text in links(filtered, "facet__link")] == ["Sigal Zilcha-Mano"]
    href = links(filtered, "facet__link")[0][0]
    assert href.startswith("/search/?")
    assert params_of(href) == {"q": ["alliance"], "author": [str(shelf["author"].pk)]}


def test_a_facet_value_is_the_same_markup_in_the_sidebar_and_the_full_list(client, shelf):
    keywords = shelf["keywords"]
    state = {"q": "alliance", "keyword": keywords[0].pk, "not_keyword": keywords[1].pk}
    sidebar = page_of(client.get(SEARCH, state))
    full = page_of(client.get(reverse("catalogue:search-facet", args=["keyword"]), state))

    def value_items(page: str, start: str) -> list[str]:
        region = page[page.index(start) :]
        region = region[: region.index("</ul>")]
        return sorted(re.findall(r'<li class="facet__value[^"]*">.*?</li>', region, flags=re.S))

    # Selected and excluded values name what their link does, on both pages.
    for page in (sidebar, full):
        assert 'aria-label="Remove alliance"' in page
        assert 'aria-label="Stop excluding outcome"' in page
        assert 'aria-label="Exclude dropout"' in page
    # The sidebar links within the page ("?..."), the full list back to /search/?...
    full_items = value_items(full, 'class="facet__values facet__values--full"')
    assert len(full_items) == 3
    assert [item.replace('href="/search/?', 'href="?') for item in full_items] == value_items(
        sidebar, 'id="facet-keyword"'
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        # 500s before issue 16: int() refused "²" and "①", PostgreSQL a NUL and 2**63.
        ({"values_page": "²"}, "The page must be a whole number such as 2."),
        ({"values_page": "①"}, "The page must be a whole number such as 2."),
        ({"values_page": "١٢"}, "The page must be a whole number such as 2."),
        ({"values_page": str(2**63)}, "There is no such page."),
        ({"values_page": str(2**64)}, "The page must be a whole number such as 2."),
        ({"values_page": "-1"}, "Pages are numbered from 1."),
        ({"values_page": "0"}, "Pages are numbered from 1."),
        ({"values_filter": "zil\x00cha"}, "Null characters are not allowed."),
        ({"values_sort": "az\x00"}, "Null characters are not allowed."),
        ({"values_filter": "a" * 1001}, "The filter is too long: at most 1000 characters."),
        ({"journal": "²"}, "“²” is not a journal id: ids are whole numbers such as 12."),
        ({"page_size": "①"}, "The page size must be a whole number between 1 and 100."),
        ({"utm\x00": "1"}, "The parameter “utm%00” holds a NUL character (%00)."),
    ],
)
def test_bad_list_parameters_are_a_400_with_a_message(client, shelf, query, message):
    url = reverse("catalogue:search-facet", args=["author"])

    response = client.get(url, {"q": "alliance", **query})

    assert response.status_code == 400
    assert message in html_lib.unescape(page_of(response))
    assert 'class="facet__link"' not in page_of(response)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("journal=%C2%B2", "“²” is not a journal id: ids are whole numbers such as 12."),
        ("not_keyword=%E2%91%A0", "“①” is not a keyword id: ids are whole numbers such as 12."),
        ("page_size=%C2%B2", "The page size must be a whole number between 1 and 100."),
        ("page=%D9%A1%D9%A2", "The page must be a whole number such as 2."),
        ("year_min=%EF%BC%92%EF%BC%90%EF%BC%91%EF%BC%90", "The year must be a whole number"),
        ("sort=newest&x=%00", "The parameter “x” holds a NUL character (%00)."),
    ],
)
@pytest.mark.parametrize("url", [SEARCH, "/search/export/"])
def test_unicode_digits_and_nul_are_a_400_on_the_page_and_the_export(
    client, shelf, url, query, message
):
    response = client.get(f"{url}?q=alliance&{query}")

    assert response.status_code == 400
    assert message in html_lib.unescape(page_of(response))


def test_all_values_of_an_unknown_facet_is_a_404(client, db):
    response = client.get("/search/facets/colour/")

    assert response.status_code == 404
    assert "There is no facet called “colour”." in html_lib.unescape(page_of(response))


# Exports ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("export", "media_type", "marker"),
    [
        ("bibtex", "application/x-bibtex", "@article{"),
        ("ris", "application/x-research-info-systems", "TY  - "),
        ("csl-json", "application/vnd.citationstyles.csl+json", '"type": "article-journal"'),
    ],
)
def test_the_result_set_exports_streamed_in_every_format(client, shelf, export, media_type, marker):
    keyword = shelf["keywords"][0].pk

    response = client.get(
        reverse("catalogue:search-export"), {"q": "alliance", "keyword": keyword, "format": export}
    )

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == f"{media_type}; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="catalogue-export.')
    body = b"".join(response.streaming_content).decode()
    assert body.count(marker) == 9  # studies 0, 3, ..., 24 carry "alliance"
    if export == "csl-json":
        titles = [item["title"] for item in json.loads(body)]
        assert titles[0] == "Alliance study 24"


def test_export_links_on_the_page(client, shelf):
    page = html_lib.unescape(page_of(client.get(SEARCH, {"q": "alliance"})))

    assert 'href="/search/export/?q=alliance&format=bibtex"' in page
    assert "Export these 25 results:" in page


def test_a_bad_export_format_is_a_400(client, db):
    response = client.get(reverse("catalogue:search-export"), {"format": "docx"})

    assert response.status_code == 400
    assert (
        "Unknown format “docx”; available formats: bibtex, ris, csl-json, text."
        in html_lib.unescape(page_of(response))
    )


def test_the_result_set_exports_as_a_formatted_bibliography(client, db):
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)

    response = client.get(
        reverse("catalogue:search-export"), {"q": "alliance", "format": "text", "style": "apa"}
    )
    unknown = client.get(
        reverse("catalogue:search-export"), {"q": "alliance", "format": "text", "style": "nope"}
    )

    assert response.status_code == 200
    assert response["Content-Disposition"] == ('attachment; filename="catalogue-export-apa.txt"')
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("Flückiger, C., Del Re, A. C., Wampold, B. E., & Horvath, A. O.")
    assert lines[1].startswith("Zilcha-Mano, S. (2017). Is the alliance really therapeutic?")
    assert unknown.status_code == 406


def test_a_bibliography_of_too_many_results_is_a_400(client, db, settings):
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)
    settings.CITATION_BIBLIOGRAPHY_MAX = 1

    response = client.get(reverse("catalogue:search-export"), {"q": "alliance", "format": "text"})

    assert response.status_code == 400
    assert "These results have more than 1 articles" in html_lib.unescape(page_of(response))


def test_matching_evidence_summaries_appear_above_the_article_results(client, db):
    from django.core.management import call_command

    call_command("loaddata", "seed", "evidence_summaries", verbosity=0)

    page = client.get(SEARCH, {"q": "therapeutic alliance"}).content.decode()
    second_page = client.get(SEARCH, {"q": "therapeutic alliance", "page": "2"}).content.decode()
    unrelated = client.get(SEARCH, {"q": "zebrafish"}).content.decode()

    heading = '<h2 id="summary-results-heading">Evidence summaries</h2>'
    assert heading in page
    assert "Is the therapeutic alliance the most important part of therapy?" in page
    assert page.index(heading) < page.index('id="results-heading"')
    assert heading not in unrelated
    assert heading not in second_page


def test_the_results_offer_a_bibliography_in_any_style_and_language(client, db):
    from django.core.management import call_command

    call_command("loaddata", "seed", verbosity=0)
    page = client.get(reverse("catalogue:search"), {"q": "alliance", "sort": "newest", "page": "1"})
    html = page.content.decode()

    form = html[html.index('<form class="export-menu"') :]
    form = form[: form.index("</form>")]
    assert 'action="/search/export/"' in form
    # The search travels with the form; the page number does not.
    assert '<input type="hidden" name="q" value="alliance">' in form
    assert '<input type="hidden" name="sort" value="newest">' in form
    assert 'name="page"' not in form
    assert '<option value="de-DE" lang="de-DE">' in form

    response = client.get(
        reverse("catalogue:search-export"),
        {"q": "alliance", "sort": "newest", "format": "text", "style": "ieee", "locale": "de-DE"},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        'attachment; filename="catalogue-export-ieee-de-DE.txt"'
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [line[:4] for line in lines] == ["[1] ", "[2] "]
    assert any("„Is the alliance really therapeutic?" in line for line in lines)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=health",
        "year_min=2010&q=a&year_max=2015&page=3",
        "year_max=2015&q=year_min%3D%2500&keyword=1&keyword=2",
        "q=%26year_min%3D%2500&year_min=1&year_min=2&sort=newest&page_size=50",
        "q=caf%C3%A9+%22x%22&not_type=editorial&year_max=",
    ],
)
def test_a_year_bars_link_is_the_state_with_that_year(query):
    data = QueryDict(query)
    url = _year_url(data)

    for year in (1000, 1987, 2024):
        assert url(year) == querystring(data, year_min=str(year), year_max=str(year))


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=health&page=2",
        "keyword=3&q=a&not_keyword=4&keyword=5&sort=newest",
        "not_keyword=7&q=%26keyword%3D1&page_size=50&year_min=2010",
        "q=caf%C3%A9&keyword=&not_journal=2",
    ],
)
def test_a_facet_values_links_are_the_state_with_its_value_changed(query):
    data = QueryDict(query)
    values = [FacetValue(3, "three", 1), FacetValue(4, "four", 2), FacetValue(9, "nine", 3)]

    decorate_values(values, "keyword", data, base="/search/")

    included = [v for v in data.getlist("keyword") if v]
    excluded = [v for v in data.getlist("not_keyword") if v]
    for value in values:
        param = value.param
        kept = [v for v in included if v != param]
        dropped = [v for v in excluded if v != param]
        assert value.include_url == "/search/" + querystring(
            data, keyword=[*included, param], not_keyword=dropped
        )
        assert value.exclude_url == "/search/" + querystring(
            data, not_keyword=[*excluded, param], keyword=kept
        )
        assert value.remove_url == "/search/" + querystring(data, keyword=kept, not_keyword=dropped)
