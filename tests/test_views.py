"""Tests for catalogue.views.pages: the reader pages, DOI redirect, search and error pages."""

import itertools
import re

import pytest
from django.test import RequestFactory
from django.urls import resolve, reverse

from catalogue.models import Article, Contributor
from catalogue.views import pages
from tests.factories import (
    make_article,
    make_author,
    make_journal,
    make_keyword,
    make_subject,
)

SEED_TITLE = (
    "Is the alliance really therapeutic? Revisiting this question in light of recent "
    "methodological advances"
)
XSS = "<script>alert('x')</script>"
XSS_ESCAPED = "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"


def html(response) -> str:
    return response.content.decode()


@pytest.fixture(autouse=True)
def _empty_search_cache():
    # Entity pages cache their bodies per index generation, which a rolled-back test reuses.
    from django.core.cache import caches

    from catalogue import conf

    caches[conf.get("SEARCH_CACHE_ALIAS")].clear()


def results_heading(response) -> str:
    """Return the text of the results heading, spaces collapsed."""
    found = re.search(r'<h2 id="results-heading"[^>]*>(.*?)</h2>', html(response), re.S)
    return " ".join(found.group(1).split()) if found else ""


def result_titles(response) -> list[str]:
    """Return the titles of the result list, in page order."""
    return re.findall(r'class="result__title"[^>]*><a href="[^"]+">(.*?)</a>', html(response))


def make_listing_data(*, count: int, authors_each: int = 3):
    """Return (journal, author, keyword, subject) shared by `count` new articles."""
    journal = make_journal(title="Shared Journal")
    author = make_author(family_name="Shared")
    keyword = make_keyword(term="shared keyword")
    parent = make_subject(name="Broad field", code="99")
    subject = make_subject(name="Narrow field", code="9901", parent=parent)
    for index in range(count):
        others = [make_author() for _ in range(authors_each - 1)]
        make_article(
            title=f"Shared study number {index}",
            journal=journal,
            authors=[author, *others],
            keywords=[keyword, make_keyword()],
            subject_areas=[subject],
            year=2000 + index,
        )
    return journal, author, keyword, parent


# Article page ----------------------------------------------------------------------------


def test_article_page_shows_every_seed_field(client, seed):
    response = client.get(reverse("catalogue:article-detail", args=[1]))

    assert response.status_code == 200
    assert response.templates[0].name == "catalogue/article_detail.html"
    page = html(response)
    assert f'<h1 id="record-title" class="record__title">{SEED_TITLE}</h1>' in page
    assert f"<title>{SEED_TITLE} · Research catalogue</title>" in page
    assert '<a href="/authors/1/">Sigal Zilcha-Mano</a>' in page
    assert "Research output: Contribution to journal › Article › peer-review" in page
    assert "The therapeutic value of alliance is a contested supposition." in page
    assert '<meta name="description" content="The therapeutic value of alliance is a' in page
    rows = dict(re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>', page))
    assert rows == {
        "Original language": "English",
        "Pages (from-to)": "311–325",
        "Number of pages": "15",
        "Journal": '<a href="/journals/1/">American Psychologist</a>',
        "Volume": "72",
        "Issue number": "4",
        "State": "Published - May 2017",
        "DOI": '<a href="https://doi.org/10.1037/a0040435">https://doi.org/10.1037/a0040435</a>',
    }
    assert (
        '<p class="note">Publisher Copyright:<br>© 2017 American Psychological Association.</p>'
        in page
    )
    for slug, term in [
        ("active-therapeutic-ingredients", "Active therapeutic ingredients"),
        ("alliance", "Alliance"),
        ("alliance-outcome-association", "Alliance-outcome association"),
        ("psychotherapy-process-research", "Psychotherapy process research"),
    ]:
        assert f'<a href="/keywords/{slug}/">{term}</a>' in page
    assert '<a href="/subjects/2/">General Psychology</a>' in page


def test_article_page_lists_authors_in_position_order(client, db):
    first, second, third = (make_author(family_name=name) for name in ["Zed", "Abe", "Mid"])
    article = make_article(authors=[first, second, third])

    page = html(client.get(article.get_absolute_url()))

    byline = page[page.index('class="byline"') : page.index("</ul>", page.index('class="byline"'))]
    assert re.findall(r">Ada (\w+)</a>", byline) == ["Zed", "Abe", "Mid"]


def test_article_page_omits_rows_without_a_value(client, db):
    article = make_article(journal=None, language="", year=None, peer_reviewed=False)

    page = html(client.get(article.get_absolute_url()))

    rows = re.findall(r'<tr><th scope="row">(.*?)</th>', page)
    assert rows == ["State"]
    assert "Published</td>" in page
    for absent in ["Abstract", "Bibliographical note", "Keywords", "Subject areas", "peer-review"]:
        assert absent not in page
    assert 'class="byline"' not in page


def test_article_page_shows_article_number_pmid_and_url(client, db):
    article = make_article(
        article_number="e0123",
        pmid="28481579",
        url="https://example.org/paper?a=1&b=2",
        output_type="review",
    )

    page = html(client.get(article.get_absolute_url()))

    rows = dict(re.findall(r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>', page))
    assert rows["Article number"] == "e0123"
    assert "Pages (from-to)" not in rows
    assert rows["PubMed ID"] == '<a href="https://pubmed.ncbi.nlm.nih.gov/28481579/">28481579</a>'
    assert rows["URL"] == (
        '<a href="https://example.org/paper?a=1&amp;b=2">https://example.org/paper?a=1&amp;b=2</a>'
    )
    assert "Research output: Contribution to journal › Review article › peer-review" in page


def test_article_page_never_links_a_non_web_url(client, db):
    article = make_article(url="javascript:alert(1)")

    page = html(client.get(article.get_absolute_url()))

    assert "<td>javascript:alert(1)</td>" in page
    assert 'href="javascript' not in page


def test_article_page_renders_csl_markup_in_the_title_and_plain_text_in_head(client, db):
    article = make_article(title="Growth of <i>E. coli</i> in H<sub>2</sub>O", abstract="")

    page = html(client.get(article.get_absolute_url()))

    assert ">Growth of <i>E. coli</i> in H<sub>2</sub>O</h1>" in page
    assert "<title>Growth of E. coli in H2O · Research catalogue</title>" in page
    assert '<meta name="description" content="Growth of E. coli in H2O, Journal' in page


def test_article_page_keeps_note_line_breaks_escaped(client, db):
    article = make_article(bibliographical_note="Line <one>\nLine & two")

    page = html(client.get(article.get_absolute_url()))

    assert '<p class="note">Line &lt;one&gt;<br>Line &amp; two</p>' in page


def test_article_page_with_a_single_page(client, db):
    article = make_article(first_page=7, last_page=7)

    rows = dict(
        re.findall(
            r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>',
            html(client.get(article.get_absolute_url())),
        )
    )

    assert rows["Pages (from-to)"] == "7"
    assert rows["Number of pages"] == "1"


def test_article_page_shows_an_own_publisher_but_not_the_journals(client, db):
    book = make_article(journal=None, output_type="book", publisher="Wiley & Sons")
    in_journal = make_article(journal=make_journal(publisher="APA"))

    rows = [
        dict(
            re.findall(
                r'<tr><th scope="row">(.*?)</th><td>(.*?)</td></tr>',
                html(client.get(article.get_absolute_url())),
            )
        )
        for article in (book, in_journal)
    ]

    assert rows[0]["Publisher"] == "Wiley &amp; Sons"
    assert "Publisher" not in rows[1]


# Script in any user-supplied field -------------------------------------------------------


def test_script_in_any_field_never_reaches_a_page_unescaped(client, db):
    journal = make_journal(title=f"Journal {XSS}", publisher=XSS, abbreviated_title=XSS)
    author = make_author(family_name=XSS, given_names=XSS)
    keyword = make_keyword(term=f"kw {XSS}")
    subject = make_subject(name=f"Subject {XSS}", code="1")
    article = make_article(
        title=f"Title {XSS}",
        abstract=f"Abstract {XSS}",
        bibliographical_note=f"Note {XSS}",
        journal=journal,
        authors=[author],
        keywords=[keyword],
        subject_areas=[subject],
        volume=XSS,
        issue=XSS,
        publisher=XSS,
    )
    urls = [
        reverse("catalogue:home"),
        article.get_absolute_url(),
        journal.get_absolute_url(),
        author.get_absolute_url(),
        keyword.get_absolute_url(),
        subject.get_absolute_url(),
        reverse("catalogue:search") + "?q=title",
        reverse("catalogue:search") + "?q=" + XSS,
    ]

    # The pages' own script elements (JSON-LD metadata, static files) are the only ones.
    own_scripts = re.compile(
        r'<script type="application/ld\+json">|<script src="/static/catalogue/[\w.-]+\.js" defer>'
    )
    for url in urls:
        page = html(client.get(url))
        assert "<script" not in own_scripts.sub("", page), url
        assert XSS_ESCAPED in page, url


# Listing pages ---------------------------------------------------------------------------


def test_journal_page_shows_the_journal_and_its_articles(client, seed):
    response = client.get(reverse("catalogue:journal-detail", args=[1]))

    page = html(response)
    assert response.status_code == 200
    assert "<h1>American Psychologist</h1>" in page
    for fact in ["Am Psychol", "0003-066X", "1935-990X", "American Psychological Association"]:
        assert f"<dd>{fact}</dd>" in page
    assert result_titles(response) == [SEED_TITLE]
    assert results_heading(response) == "1 article"


def test_journal_page_lists_articles_newest_first(client, db):
    journal = make_journal()
    make_article(title="Old", journal=journal, year=1999)
    make_article(title="Undated", journal=journal, year=None)
    make_article(title="May", journal=journal, year=2020, month=5)
    make_article(title="Year only", journal=journal, year=2020)
    make_article(title="Newest", journal=journal, year=2021, month=1, day=2)
    make_article(title="Other journal", year=2030)

    response = client.get(journal.get_absolute_url())

    assert result_titles(response) == ["Newest", "May", "Year only", "Old", "Undated"]


def test_journal_page_without_articles(client, db):
    journal = make_journal(title="Empty Journal")

    page = html(client.get(journal.get_absolute_url()))

    assert "The catalogue has no articles from this journal yet." in page
    assert "Abbreviated title" not in page


def test_author_page_shows_name_orcid_and_articles(client, db):
    author = make_author(given_names="Josiah", family_name="Carberry", orcid="0000-0002-1825-0097")
    co_author = make_author(family_name="Other")
    make_article(title="Earlier", authors=[co_author, author], year=2001)
    make_article(title="Later", authors=[author], year=2010)
    make_article(title="Not theirs", authors=[co_author], year=2020)

    response = client.get(author.get_absolute_url())

    page = html(response)
    assert "<h1>Josiah Carberry</h1>" in page
    assert (
        '<a href="https://orcid.org/0000-0002-1825-0097">https://orcid.org/0000-0002-1825-0097</a>'
        in page
    )
    assert result_titles(response) == ["Later", "Earlier"]
    assert '<dt>Published as</dt><dd class="name-forms">Josiah Carberry (2)</dd>' in page


def test_author_page_lists_an_article_once_when_the_author_appears_twice(client, db):
    author = make_author()
    make_article(title="Twice", authors=[author, author])

    response = client.get(author.get_absolute_url())

    assert result_titles(response) == ["Twice"]


def test_author_page_without_orcid_has_no_orcid_row(client, seed):
    page = html(client.get(reverse("catalogue:author-detail", args=[1])))

    assert "<h1>Sigal Zilcha-Mano</h1>" in page
    assert "ORCID" not in page


def test_keyword_page_lists_its_articles(client, seed):
    response = client.get(reverse("catalogue:keyword-detail", args=["alliance"]))

    assert response.status_code == 200
    assert "<h1>Alliance</h1>" in html(response)
    assert result_titles(response) == [
        "The alliance in adult psychotherapy: A meta-analytic synthesis",
        SEED_TITLE,
    ]


def test_subject_page_shows_code_parent_and_its_articles(client, seed):
    response = client.get(reverse("catalogue:subject-detail", args=[2]))

    page = html(response)
    assert "<h1>General Psychology</h1>" in page
    assert "<dd>ASJC 3200</dd>" in page
    assert '<dd><a href="/subjects/1/">Psychology</a></dd>' in page
    assert result_titles(response) == [SEED_TITLE]


def test_subject_page_shows_children_and_their_articles(client, seed):
    response = client.get(reverse("catalogue:subject-detail", args=[1]))

    page = html(response)
    assert "<h1>Psychology</h1>" in page
    assert "Broader subject" not in page
    assert '<a href="/subjects/4/">Clinical Psychology</a>' in page
    assert '<a href="/subjects/2/">General Psychology</a>' in page
    assert result_titles(response) == [
        "The role of common factors in psychotherapy outcomes",
        "The alliance in adult psychotherapy: A meta-analytic synthesis",
        SEED_TITLE,
    ]


def test_subject_page_lists_an_article_in_parent_and_child_once(client, db):
    parent = make_subject(name="Parent")
    child = make_subject(name="Child", parent=parent)
    make_article(title="Both", subject_areas=[parent, child])

    response = client.get(parent.get_absolute_url())

    assert result_titles(response) == ["Both"]


def test_listing_shows_authors_journal_and_date(client, seed):
    page = html(client.get(reverse("catalogue:keyword-detail", args=["alliance"])))

    bylines = re.findall(r'<p class="result__authors">(.*?)</p>', page)
    assert re.sub(r"<[^>]+>", "", bylines[0]) == (
        "Christoph Flückiger, A. C. Del Re, Bruce E. Wampold, Adam O. Horvath"
    )
    assert '<span class="result__journal">Psychotherapy</span>' in page
    assert '<span class="result__date">Published - 2018</span>' in page


def test_listing_shortens_long_author_lists(client, db):
    article = make_article(authors=[make_author() for _ in range(13)])
    journal = article.journal

    page = html(client.get(journal.get_absolute_url()))

    assert " and 3 more</p>" in page


# Pagination ------------------------------------------------------------------------------


@pytest.fixture
def twenty_five_articles(db, settings):
    settings.CATALOGUE_PAGE_SIZE = 10
    journal = make_journal()
    for index in range(25):
        make_article(title=f"Paper {index:02d}", journal=journal, year=2000 + index)
    return journal


def test_listing_pages_through_articles(client, twenty_five_articles):
    url = twenty_five_articles.get_absolute_url()

    first = client.get(url)
    second = client.get(url + "?page=2")
    last = client.get(url + "?page=3")

    assert result_titles(first) == [f"Paper {index:02d}" for index in range(24, 14, -1)]
    assert result_titles(second) == [f"Paper {index:02d}" for index in range(14, 4, -1)]
    assert result_titles(last) == [f"Paper {index:02d}" for index in range(4, -1, -1)]
    assert "Showing 11–20 of 25" in html(second)
    assert results_heading(second) == "25 articles"
    assert '<ol class="results search-results" start="11">' in html(second)
    assert '<a class="pagination__step" href="?page=1" rel="prev">' in html(second)
    assert '<a class="pagination__step" href="?page=3" rel="next">' in html(second)
    assert '<a href="?page=2" aria-current="page">' in html(second)
    assert 'rel="prev"' not in html(first)
    assert 'rel="next"' not in html(last)
    assert '<nav class="pagination" aria-label="Pages of results">' in html(first)


@pytest.mark.parametrize(
    ("page", "expected_first"),
    [
        ("abc", "Paper 24"),
        ("", "Paper 24"),
        ("0", "Paper 04"),
        ("-1", "Paper 04"),
        ("999", "Paper 04"),
        ("99999999999999999999999", "Paper 04"),
        ("1.5", "Paper 24"),
        ("%00", "Paper 24"),
    ],
)
def test_a_bad_page_value_falls_back_to_a_real_page(
    client, twenty_five_articles, page, expected_first
):
    response = client.get(twenty_five_articles.get_absolute_url() + f"?page={page}")

    assert response.status_code == 200
    assert result_titles(response)[0] == expected_first


def test_a_single_page_has_no_pagination(client, seed):
    page = html(client.get(reverse("catalogue:journal-detail", args=[1])))

    assert 'class="pagination"' not in page


# Query counts: constant whatever the number of results ------------------------------------


@pytest.mark.parametrize("count", [1, 25])
def test_listing_pages_make_a_constant_number_of_queries(
    client, db, django_assert_num_queries, count
):
    journal, author, keyword, subject = make_listing_data(count=count)
    # journal/author/keyword: the row, the index generation, the search statement (total,
    # page and facets), the page's articles with their authorships; an author's, keyword's or
    # subject's page also its own facet's other values (co-authors, keywords used with it,
    # other subjects: search.scopes.scope_facet_values); an author's page the forms of the
    # name they published under. subject: the row with its parent and its children first.
    # A journal's or author's page also its research topics (concepts, statistics: not cached).
    # A second visit is served from the body cache: the rows and the generation.
    expected = [
        (journal.get_absolute_url(), 6, 4),
        (author.get_absolute_url(), 8, 5),
        (keyword.get_absolute_url(), 5, 2),
        (subject.get_absolute_url(), 6, 3),
        # Three counts, the ten recent articles and their authorships (not cached).
        (reverse("catalogue:home"), 5, 5),
    ]

    for url, queries, cached in expected:
        with django_assert_num_queries(queries):
            response = client.get(url)
        assert response.status_code == 200
        assert len(result_titles(response)) == min(count, 10 if url == "/" else 20), url
        with django_assert_num_queries(cached):
            again = client.get(url)
        assert result_titles(again) == result_titles(response), url


@pytest.mark.parametrize("authors_each", [1, 12])
def test_article_page_makes_a_constant_number_of_queries(
    client, db, django_assert_num_queries, authors_each
):
    article = make_article(
        authors=[make_author() for _ in range(authors_each)],
        keywords=[make_keyword() for _ in range(authors_each)],
        subject_areas=[make_subject() for _ in range(authors_each)],
    )
    Contributor.objects.bulk_create(
        Contributor(article=article, role=role, position=position, family_name=f"C{position}")
        for role in ("editor", "translator")
        for position in range(1, authors_each + 1)
    )

    # The article with its journal, then its authorships, keywords, subject areas and
    # contributors, and the evidence summaries citing it; since issue 18 and 19 the record
    # page also reads "More by these authors" (one query; no issue here for "Also in this
    # issue"), its research topics, the topic statistics and its related records
    # (tests/test_record_page.py counts the record page's own cases).
    with django_assert_num_queries(10):
        response = client.get(article.get_absolute_url())

    assert response.status_code == 200


def test_pages_without_results_make_fewer_queries(client, db, django_assert_num_queries):
    with django_assert_num_queries(4):
        response = client.get(reverse("catalogue:home"))
    assert "The catalogue has no articles yet." in html(response)


# Home ------------------------------------------------------------------------------------


def test_home_page_shows_counts_recent_articles_and_a_search_box(client, seed):
    response = client.get(reverse("catalogue:home"))

    page = html(response)
    assert response.status_code == 200
    assert "A catalogue of research articles" in page
    # The counts link to the search and the browse pages (issue 18, "Browse").
    assert '<dt>Articles</dt><dd><a href="/search/">3</a></dd>' in page
    assert '<dt>Journals</dt><dd><a href="/journals/">3</a></dd>' in page
    assert '<dt>Authors</dt><dd><a href="/authors/">8</a></dd>' in page
    assert result_titles(response) == [
        "The role of common factors in psychotherapy outcomes",
        "The alliance in adult psychotherapy: A meta-analytic synthesis",
        SEED_TITLE,
    ]
    assert '<form class="search-form" role="search" action="/search/" method="get">' in page
    assert '<label for="home-q">' in page


def test_home_page_shows_the_ten_newest_articles(client, db):
    for year in range(2000, 2012):
        make_article(title=f"Year {year}", year=year)

    response = client.get(reverse("catalogue:home"))

    assert result_titles(response) == [f"Year {year}" for year in range(2011, 2001, -1)]


def test_header_search_box_is_on_every_page_and_keeps_the_query(client, seed):
    page = html(client.get(reverse("catalogue:search") + '?q=a"b'))

    assert '<form class="search-box" role="search" action="/search/" method="get">' in page
    assert 'name="q" value="a&quot;b" placeholder="Search articles"' in page


# Search ----------------------------------------------------------------------------------


def test_search_accepts_500_characters(client, seed):
    response = client.get(reverse("catalogue:search"), {"q": "a" * 500})

    assert response.status_code == 200


def test_a_too_long_search_is_a_400_with_a_message(client, seed):
    response = client.get(reverse("catalogue:search"), {"q": "a" * 501})

    assert response.status_code == 400
    page = html(response)
    assert "Your search is too long: please use at most 500 characters (it has 501)." in page
    assert 'aria-invalid="true"' in page
    assert f'id="search-q" type="search" name="q" value="{"a" * 501}"' in page
    assert 'class="results"' not in page


def test_a_search_with_a_nul_character_is_a_400(client, seed):
    response = client.get(reverse("catalogue:search"), {"q": "alli\x00ance"})

    assert response.status_code == 400
    assert "Null characters are not allowed." in html(response)


def test_search_with_250_words_works(client, seed):
    response = client.get(reverse("catalogue:search"), {"q": " ".join(["a"] * 125 + ["b"] * 125)})

    assert response.status_code == 200


def test_search_query_is_escaped_on_the_page(client, seed):
    response = client.get(reverse("catalogue:search"), {"q": "<b>x</b>"})

    page = html(response)
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page


# DOI redirect ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "doi_path",
    [
        "10.1037/a0040435",
        "10.1037/A0040435",
        "doi:10.1037/a0040435",
        "DOI:10.1037/A0040435",
        "https://doi.org/10.1037/a0040435",
        "https:/doi.org/10.1037/a0040435",
        "HTTPS:/DOI.ORG/10.1037/A0040435",
        "http://dx.doi.org/10.1037/a0040435",
        "http:/dx.doi.org/10.1037/a0040435",
        "https://dx.doi.org/10.1037/a0040435",
        "doi.org/10.1037/a0040435",
        "10.1037%2Fa0040435",
        "10.1037%252Fa0040435",
        "https%3A%2F%2Fdoi.org%2F10.1037%2Fa0040435",
        "doi:%2010.1037/a0040435",
    ],
)
def test_doi_redirects_to_the_article_from_any_form(client, seed, doi_path):
    response = client.get(f"/doi/{doi_path}")

    assert response.status_code == 302
    assert response["Location"] == "/articles/1/"


def test_doi_redirect_url_is_reversible(client, seed):
    url = reverse("catalogue:doi-redirect", args=["10.1146/annurev-clinpsy-050718-095424"])

    response = client.get(url)

    assert url == "/doi/10.1146/annurev-clinpsy-050718-095424"
    assert response["Location"] == "/articles/2/"


def test_doi_with_special_characters_redirects(client, db):
    article = make_article(doi="10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0")

    response = client.get("/doi/10.1002/(SICI)1097-4571(199806)49:8%3C693::AID-ASI4%3E3.0.CO;2-0")

    assert response.status_code == 302
    assert response["Location"] == article.get_absolute_url()


@pytest.mark.parametrize(
    ("doi_path", "message"),
    [
        ("10.9999/unknown", "No article in the catalogue has the DOI “10.9999/unknown”. Check"),
        ("10.1037/a0040435x", "No article in the catalogue has the DOI “10.1037/a0040435x”."),
        ("not-a-doi", "“not-a-doi”: it is not a DOI (expected 10.&lt;registrant&gt;/"),
        ("https://doi.org/", "“https://doi.org/”: it is not a DOI"),
        ("doi:", "“doi:”: it is not a DOI"),
        ("10.1037/a0040435%00", "“10.1037/a0040435”: it is not a DOI"),
        ("%00", "“”: it is not a DOI"),
    ],
)
def test_unknown_doi_is_a_helpful_404(client, seed, doi_path, message):
    response = client.get(f"/doi/{doi_path}")

    assert response.status_code == 404
    assert "404.html" in [template.name for template in response.templates]
    assert message in html(response)
    assert "Check the DOI, or search the catalogue." in html(response)


def test_unknown_doi_message_is_escaped(client, db):
    for path, shown in [
        ("10.1/<script>x", "10.1/&lt;script&gt;x"),
        ("10.1234/<b>", "10.1234/&lt;b&gt;"),
    ]:
        response = client.get(f"/doi/{path}")

        assert response.status_code == 404
        assert "<script>" not in html(response) and "<b>" not in html(response)
        assert f"DOI “{shown}”" in html(response)


def test_doi_from_path_repairs_collapsed_slashes():
    assert pages.doi_from_path("https:/doi.org/10.1/X") == "10.1/x"
    assert pages.doi_from_path("http:///dx.doi.org/10.1/X") == "10.1/x"
    assert pages.doi_from_path(" 10.1/X ") == "10.1/x"


# Not found and server error --------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/articles/999/", "There is no article with the id 999."),
        ("/journals/999/", "There is no journal with the id 999."),
        ("/authors/999/", "There is no author with the id 999."),
        ("/subjects/999/", "There is no subject area with the id 999."),
        ("/keywords/no-such-keyword/", "There is no keyword “no-such-keyword” in the catalogue."),
        ("/no/such/page/", "The page you asked for is not in the catalogue."),
        ("/articles/abc/", "The page you asked for is not in the catalogue."),
    ],
)
def test_unknown_records_use_the_custom_404_page(client, seed, url, message):
    response = client.get(url)

    assert response.status_code == 404
    assert next(template.name for template in response.templates) == "404.html"
    page = html(response)
    assert '<h1 id="error-heading">Page not found</h1>' in page
    assert message in page
    assert "<title>Not found · Research catalogue</title>" in page


@pytest.mark.parametrize(
    ("name", "arg", "url"),
    [
        ("journal-detail", 3, "/journals/3/"),
        ("journal-export", 3, "/journals/3/export/"),
        ("author-detail", 3, "/authors/3/"),
        ("author-export", 3, "/authors/3/export/"),
        ("keyword-detail", "alliance", "/keywords/alliance/"),
        ("keyword-export", "alliance", "/keywords/alliance/export/"),
        ("subject-detail", 3, "/subjects/3/"),
        ("subject-export", 3, "/subjects/3/export/"),
    ],
)
def test_entity_list_urls_keep_their_names_and_paths(name, arg, url):
    # The patterns are built from pages.ENTITY_LISTS; links and bookmarks rely on both.
    assert reverse(f"catalogue:{name}", args=[arg]) == url
    assert reverse(f"catalogue:{name}", kwargs={"slug" if "keyword" in name else "pk": arg}) == url
    assert resolve(url).view_name == f"catalogue:{name}"


def test_server_error_page_renders_without_the_database():
    # No `db` fixture: any database access here would fail the test.
    request = RequestFactory().get("/articles/1/")

    response = pages.server_error(request)

    assert response.status_code == 500
    page = response.content.decode()
    assert "<h1>Something went wrong</h1>" in page
    assert '<a href="/">' in page
    assert "{%" not in page


def test_server_error_handler_is_used_for_an_unhandled_exception(client, db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(Article.objects, "with_related", broken)
    client.raise_request_exception = False

    response = client.get("/articles/1/")

    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in html(response)
    assert "boom" not in html(response)


# Markup ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/articles/1/",
        "/journals/1/",
        "/authors/1/",
        "/keywords/alliance/",
        "/subjects/1/",
        "/search/?q=alliance",
        "/search/",
        "/articles/999/",
    ],
)
def test_pages_have_landmarks_one_h1_and_ordered_headings(client, seed, url):
    page = html(client.get(url))

    assert '<html lang="en">' in page
    assert '<main id="main"' in page and '<header class="site-header">' in page
    assert '<a class="skip-link" href="#main">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    levels = [int(level) for level in re.findall(r"<h([1-6])[\s>]", page)]
    assert levels.count(1) == 1
    assert levels[0] == 1
    assert all(after - before <= 1 for before, after in itertools.pairwise(levels))
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_the_header_links_to_browse_and_the_home_page_to_experts(client, db):
    page = client.get(reverse("catalogue:home")).content.decode()

    nav = re.search(r'<nav class="site-nav".*?</nav>', page, re.S).group(0)
    assert f'<a href="{reverse("catalogue:journal-list")}">Browse</a>' in nav
    assert f'<a href="{reverse("catalogue:expert-list")}">find experts</a>' in page
