"""Tests for catalogue.views.browse: the journal, author, keyword and subject lists; home links."""

import html as html_lib
import re

import pytest
from django.urls import reverse

from catalogue.models import Journal
from catalogue.views import browse
from tests.factories import make_article, make_author, make_journal, make_keyword, make_subject

pytestmark = pytest.mark.django_db


def entries(response) -> list[tuple[str, str, str]]:
    """Return (href, name, count text) of the list's entries, in page order."""
    found = re.findall(
        r'<li><a href="([^"]+)">(.*?)</a>(?: <span class="browse__code">[^<]*</span>)?'
        r' <span class="browse__count">(.*?)</span>',
        response.content.decode(),
    )
    return [(href, html_lib.unescape(name), count) for href, name, count in found]


def errors(response) -> list[str]:
    """Return the error messages shown, as text."""
    block = re.search(r'role="alert">(.*?)</div>', response.content.decode(), re.S)
    if not block:
        return []
    items = re.findall(r"<li>(.*?)</li>", block.group(1), re.S)
    return [html_lib.unescape(re.sub(r"<[^>]+>", "", item)) for item in items]


def make_authored(*authors, count: int = 1, **fields) -> None:
    """Make `count` articles by `authors`."""
    for _ in range(count):
        make_article(authors=list(authors), **fields)


@pytest.fixture
def people():
    """Five authors with 3, 2, 2, 1 and 0 articles; accents and a corporate body among them."""
    ada = make_author(family_name="Zilcha-Mano", given_names="Sigal")
    abel = make_author(family_name="Ábel", given_names="Bo")
    body = make_author(corporate_name="Open Science Collaboration")
    bach = make_author(family_name="Bach", given_names="Anna")
    idle = make_author(family_name="Idle", given_names="Ian")
    journal = make_journal(title="Journal A")
    make_authored(ada, count=3, journal=journal)
    make_authored(abel, body, count=2, journal=journal)
    make_authored(bach, journal=None)
    return {"ada": ada, "abel": abel, "body": body, "bach": bach, "idle": idle}


def test_authors_a_to_z_with_counts_and_links(client, people):
    response = client.get("/authors/")
    assert response.status_code == 200
    p = people
    # Sorted by family name then given names, accents ignored; corporate bodies by their name.
    assert entries(response) == [
        (f"/authors/{p['abel'].pk}/", "Bo Ábel", "2 articles"),
        (f"/authors/{p['bach'].pk}/", "Anna Bach", "1 article"),
        (f"/authors/{p['body'].pk}/", "Open Science Collaboration", "2 articles"),
        (f"/authors/{p['ada'].pk}/", "Sigal Zilcha-Mano", "3 articles"),
    ]


def test_authors_by_count_ties_in_id_order(client, people):
    response = client.get("/authors/?sort=count")
    p = people
    assert [name for _, name, _ in entries(response)] == [
        "Sigal Zilcha-Mano",
        "Bo Ábel",
        "Open Science Collaboration",
        "Anna Bach",
    ]
    assert str(p["abel"].pk) < str(p["body"].pk)


def test_a_letter_and_a_filter_narrow_the_list(client, people):
    assert [n for _, n, _ in entries(client.get("/authors/?letter=a"))] == ["Bo Ábel"]
    assert [n for _, n, _ in entries(client.get("/authors/?letter=B"))] == ["Anna Bach"]
    assert [n for _, n, _ in entries(client.get("/authors/?letter=q"))] == []
    # The filter ignores case and accents, anywhere in the name.
    assert [n for _, n, _ in entries(client.get("/authors/?filter=ABEL"))] == ["Bo Ábel"]
    response = client.get("/authors/?filter=an&sort=count")
    assert [n for _, n, _ in entries(response)] == ["Sigal Zilcha-Mano", "Anna Bach"]
    assert [n for _, n, _ in entries(client.get("/authors/?filter=an&letter=b"))] == ["Anna Bach"]
    empty = client.get("/authors/?filter=nobody&letter=C")
    assert "No author with articles starts with C and contains “nobody”." in empty.content.decode()


def test_a_filter_with_like_wildcards_matches_them_literally(client, db):
    make_article(journal=make_journal(title="100% Open_Access"))
    make_article(journal=make_journal(title="Closed"))
    assert [n for _, n, _ in entries(client.get("/journals/?filter=%25"))] == ["100% Open_Access"]
    assert [n for _, n, _ in entries(client.get("/journals/?filter=n_a"))] == ["100% Open_Access"]


def test_journals_and_keywords(client, db):
    journals = [make_journal(title=t) for t in ("Psychotherapy Research", "Journal of Ethics")]
    keywords = [make_keyword(term=t) for t in ("alliance", "Outcome")]
    make_article(journal=journals[0], keywords=keywords)
    make_article(journal=journals[0], keywords=[keywords[1]])
    make_article(journal=journals[1])
    make_journal(title="Empty Journal")
    assert entries(client.get("/journals/")) == [
        (f"/journals/{journals[1].pk}/", "Journal of Ethics", "1 article"),
        (f"/journals/{journals[0].pk}/", "Psychotherapy Research", "2 articles"),
    ]
    assert entries(client.get("/keywords/?sort=count")) == [
        ("/keywords/outcome/", "Outcome", "2 articles"),
        ("/keywords/alliance/", "alliance", "1 article"),
    ]


def test_pages_of_one_hundred_with_previous_and_next(client, db, monkeypatch):
    monkeypatch.setattr(browse, "BROWSE_PAGE_SIZE", 2)
    for title in ("E", "D", "C", "B", "A"):
        make_article(journal=make_journal(title=f"Journal {title}"))
    by_title = {journal.title: journal.pk for journal in Journal.objects.all()}
    first = client.get("/journals/")
    assert [n for _, n, _ in entries(first)] == ["Journal A", "Journal B"]
    page = first.content.decode()
    # The next A-Z page is read after this page's last entry, not counted from the start.
    assert f'<a href="?page=2&amp;after={by_title["Journal B"]}" rel="next">' in page
    assert 'rel="prev"' not in page
    third = client.get("/journals/?page=3&filter=journal")
    assert [n for _, n, _ in entries(third)] == ["Journal E"]
    page = third.content.decode()
    assert (
        f'<a href="?filter=journal&amp;page=2&amp;before={by_title["Journal E"]}" rel="prev">'
        in page
    )
    assert '<a href="?filter=journal">First page</a>' in page
    assert 'rel="next"' not in page
    assert '<ol class="browse__entries" start="5">' in page
    past = client.get("/journals/?page=4")
    assert past.status_code == 404
    assert errors(past) == ["page: There is no page 4 of this list."]


def test_sort_and_letter_links_keep_the_state(client, people):
    page = client.get("/authors/?filter=a&letter=b&sort=count&page=1").content.decode()
    assert '<a href="?filter=a&amp;letter=B" >' not in page
    assert '<li><a href="?letter=B&amp;filter=a">Name A–Z</a></li>' in page
    assert '<a href="?sort=count&amp;letter=C&amp;filter=a">C</a>' in page
    assert '<a href="?sort=count&amp;letter=B&amp;filter=a" aria-current="page">B</a>' in page
    assert '<a class="browse__clear" href="?sort=count&amp;letter=B">Clear the filter</a>' in page
    # The form carries the sort and the letter along.
    assert '<input type="hidden" name="sort" value="count">' in page
    assert '<input type="hidden" name="letter" value="B">' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=name", "sort: “name” is not a sort order; use one of: az, count."),
        ("letter=ab", "letter: “ab” is not a letter: use one of A to Z."),
        ("letter=%C3%A9", "letter: “é” is not a letter: use one of A to Z."),
        ("letter=1", "letter: “1” is not a letter: use one of A to Z."),
        ("page=0", "page: Pages are numbered from 1."),
        ("page=-3", "page: Pages are numbered from 1."),
        ("page=two", "page: The page must be a whole number such as 2."),
        ("page=%EF%BC%92", "page: The page must be a whole number such as 2."),
        ("page=99999999999999999999", "page: The page must be a whole number such as 2."),
        ("page=1000000001", "page: There is no such page."),
        ("filter=a%00b", "filter: Null characters are not allowed."),
        ("sort=%00", "sort: Null characters are not allowed."),
        ("filter=" + "x" * 201, "filter: The filter is too long: at most 200 characters."),
    ],
)
@pytest.mark.parametrize("path", ["/journals/", "/authors/", "/keywords/"])
def test_hostile_parameters_are_a_400_naming_them(client, db, path, query, message):
    response = client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert errors(response) == [message]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sort=x", "sort: “x” is not a sort order; use one of: az, count."),
        ("letter=a", "letter: This list is not split by letter."),
        ("page=2", "page: This list has one page."),
        ("filter=%00", "filter: Null characters are not allowed."),
    ],
)
def test_subjects_hostile_parameters(client, db, query, message):
    response = client.get(f"/subjects/?{query}")
    assert response.status_code == 400
    assert errors(response) == [message]


def test_hostile_text_is_escaped(client, db):
    make_article(journal=make_journal(title='<script>alert("j")</script>'))
    response = client.get('/journals/?filter=<script>alert("j")')
    page = response.content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;j&quot;)&lt;/script&gt;" in page
    assert 'value="&lt;script&gt;alert(&quot;j&quot;)"' in page


@pytest.fixture
def subjects():
    """ASJC: Psychology (3200) with two narrower subjects, Medicine (2700) with one, unused."""
    psychology = make_subject(name="Psychology", code="3200")
    clinical = make_subject(name="Clinical Psychology", code="3203", parent=psychology)
    applied = make_subject(name="Applied Psychology", code="3202", parent=psychology)
    medicine = make_subject(name="Medicine", code="2700")
    make_subject(name="Cardiology", code="2705", parent=medicine)
    for subject_areas in ([clinical], [clinical], [clinical, psychology], [applied]):
        make_article(subject_areas=subject_areas)
    return {"psychology": psychology, "clinical": clinical, "applied": applied}


def test_subjects_tree_with_counts(client, subjects):
    response = client.get("/subjects/")
    s = subjects
    assert response.status_code == 200
    assert entries(response) == [
        (f"/subjects/{s['psychology'].pk}/", "Psychology", "1 article"),
        (f"/subjects/{s['applied'].pk}/", "Applied Psychology", "1 article"),
        (f"/subjects/{s['clinical'].pk}/", "Clinical Psychology", "3 articles"),
    ]
    page = response.content.decode()
    assert "Medicine" not in page and "Cardiology" not in page
    assert '<h2 id="scheme-1">ASJC</h2>' in page
    # The narrower subjects are a list inside their broad field's item.
    assert re.search(
        r"Psychology</a> <span class=\"browse__code\">3200</span>.*?"
        r'<ul class="browse__tree browse__tree--2">',
        page,
        re.S,
    )


def test_subjects_by_count_and_filtered(client, subjects):
    names = [n for _, n, _ in entries(client.get("/subjects/?sort=count"))]
    assert names == ["Psychology", "Clinical Psychology", "Applied Psychology"]
    # A narrower subject matching the filter keeps its broad field (without a link unless
    # it matches or has articles of its own).
    response = client.get("/subjects/?filter=CLINICAL")
    assert [n for _, n, _ in entries(response)] == ["Clinical Psychology"]
    assert '<span class="browse__field">Psychology</span>' in response.content.decode()
    empty = client.get("/subjects/?filter=zzz").content.decode()
    assert "No subject area with articles contains “zzz”." in empty


def test_a_broad_field_without_articles_of_its_own_is_not_a_link(client, db):
    field = make_subject(name="Arts", code="1200")
    narrow = make_subject(name="Music", code="1210", parent=field)
    make_article(subject_areas=[narrow])
    page = client.get("/subjects/").content.decode()
    assert '<span class="browse__field">Arts</span> <span class="browse__code">1200</span>' in page


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/journals/", 1),
        ("/authors/?sort=count", 1),
        ("/authors/?letter=z&filter=a", 1),
        ("/keywords/", 2),  # and the page's keywords' slugs
        ("/subjects/", 2),  # the subject areas and their counts
    ],
)
def test_a_constant_number_of_queries(client, db, django_assert_num_queries, path, queries):
    for _ in range(30):
        make_article(
            authors=[make_author(), make_author()],
            keywords=[make_keyword()],
            subject_areas=[make_subject()],
        )
    with django_assert_num_queries(queries):
        assert client.get(path).status_code == 200


def test_empty_catalogue(client, db):
    for path, noun in (
        ("/journals/", "journal"),
        ("/authors/", "author"),
        ("/keywords/", "keyword"),
    ):
        page = client.get(path).content.decode()
        assert f"No {noun} with articles." in page
    assert "No subject area with articles." in client.get("/subjects/").content.decode()


def test_home_counts_link_to_the_lists(client, people):
    page = client.get("/").content.decode()
    assert '<dt>Journals</dt><dd><a href="/journals/">1</a></dd>' in page
    assert '<dt>Authors</dt><dd><a href="/authors/">5</a></dd>' in page
    assert '<dt>Articles</dt><dd><a href="/search/">6</a></dd>' in page
    for path in ("/journals/", "/authors/", "/subjects/", "/keywords/"):
        assert f'<a href="{path}">' in page


def test_parse_params_reads_a_plain_dict():
    assert browse.parse_params(
        {"sort": "count", "letter": "Q", "filter": "  a   b ", "page": "3"}
    ) == (browse.BrowseParams(sort="count", letter="q", text="a b", page=3))
    with pytest.raises(browse.BrowseError) as caught:
        browse.parse_params({"letter": "a"}, letters=False)
    assert (caught.value.name, caught.value.message) == (
        "letter",
        "This list is not split by letter.",
    )


def test_ties_by_count_follow_the_id_as_text_on_both_databases(client, db):
    authors = [make_author() for _ in range(12)]
    for author in authors:
        make_article(authors=[author])
    expected = [f"/authors/{pk}/" for pk in sorted(str(a.pk) for a in authors)]
    assert [href for href, _, _ in entries(client.get("/authors/?sort=count"))] == expected


@pytest.mark.parametrize("name", ["journal-list", "author-list", "subject-list", "keyword-list"])
def test_each_browse_list_links_the_others_and_marks_itself(client, name):
    page = client.get(reverse(f"catalogue:{name}")).content.decode()

    nav = re.search(r'<nav class="browse__nav" aria-label="Browse">(.*?)</nav>', page, re.S)
    links = re.findall(r'<a href="([^"]+)"( aria-current="page")?>([^<]+)</a>', nav.group(1))
    assert [(href, label) for href, _, label in links] == [
        ("/journals/", "Journals"),
        ("/authors/", "Authors"),
        ("/subjects/", "Subject areas"),
        ("/keywords/", "Keywords"),
    ]
    assert [href for href, current, _ in links if current] == [reverse(f"catalogue:{name}")]


def next_and_previous(response) -> tuple[str, str]:
    """Return the page's Next and Previous links ("" when absent)."""
    page = html_lib.unescape(response.content.decode())
    found = {rel: href for href, rel in re.findall(r'<a href="([^"]+)" rel="(next|prev)">', page)}
    return found.get("next", ""), found.get("prev", "")


@pytest.mark.parametrize("query", ["", "letter=S&", "filter=an&"])
def test_a_z_pages_followed_by_next_and_previous_are_the_counted_pages(client, monkeypatch, query):
    # Names that tie after folding ("Sanchez" and "Sánchez") are ordered by id, as the
    # counted pages are: walking by neighbours lists each author once, in the same order.
    monkeypatch.setattr(browse, "BROWSE_PAGE_SIZE", 3)
    for family in ("Sánchez", "Sanchez", "Smith", "Stan", "Andersen", "Sanchez", "Svan", "Sand"):
        make_article(authors=[make_author(family_name=family, given_names="")])
    counted, page = [], 1
    while (response := client.get(f"/authors/?{query}page={page}")).status_code == 200:
        counted.append(entries(response))
        page += 1
    assert len(counted) >= 2

    walked, response = [entries(client.get(f"/authors/?{query}"))], None
    url = next_and_previous(client.get(f"/authors/?{query}"))[0]
    while url:
        response = client.get("/authors/" + url)
        assert response.status_code == 200
        walked.append(entries(response))
        url = next_and_previous(response)[0]
    assert walked == counted
    back = []
    url = next_and_previous(response)[1]
    while url:
        response = client.get("/authors/" + url)
        back.append(entries(response))
        url = next_and_previous(response)[1]
    assert back == counted[-2::-1]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("after=two", 400, "after: “two” is not an entry id: ids are whole numbers."),
        ("before=%EF%BC%92", 400, "before: “２” is not an entry id: ids are whole numbers."),
        ("after=0", 400, "after: “0” is not an entry id: ids are whole numbers."),
        (
            "after=1&before=2",
            400,
            "before: A page is read after one entry or before one, not both.",
        ),
        ("page=2&after=999999", 404, "page: There is no page 2 of this list."),
    ],
)
def test_bad_neighbours_are_clear_errors(client, query, status, message):
    make_article(authors=[make_author(family_name="Smith")])

    response = client.get(f"/authors/?{query}")

    assert response.status_code == status
    assert errors(response) == [message]


# --- Pages by count from a neighbour; page numbers alone bounded --------------------------------


def walk(client, path: str, query: str) -> tuple[list, list, list]:
    """Return the pages counted by number, walked by Next from the first, and walked back by
    Previous from the last (each a list of pages' entries)."""
    counted, page = [], 1
    while (response := client.get(f"{path}?{query}page={page}")).status_code == 200:
        counted.append(entries(response))
        page += 1
    walked, response = [entries(client.get(f"{path}?{query}"))], None
    url = next_and_previous(client.get(f"{path}?{query}"))[0]
    while url:
        response = client.get(path + url)
        assert response.status_code == 200
        walked.append(entries(response))
        url = next_and_previous(response)[0]
    back = []
    url = next_and_previous(response)[1] if response else ""
    while url:
        response = client.get(path + url)
        back.append(entries(response))
        url = next_and_previous(response)[1]
    return counted, walked, back


@pytest.mark.parametrize("query", ["sort=count&", "sort=count&letter=S&", "sort=count&filter=an&"])
def test_pages_by_count_followed_by_next_and_previous_are_the_counted_pages(
    client, monkeypatch, query
):
    # Many ties (most authors have one article), and ids past 9 so that the id as text
    # ("10" before "9") orders the ties: the neighbour's page goes on inside its count.
    monkeypatch.setattr(browse, "BROWSE_PAGE_SIZE", 3)
    families = ["Sánchez", "Sanchez", "Smith", "Stan", "Andersen", "Sanchez", "Svan", "Sand"]
    authors = [make_author(family_name=family, given_names="") for family in families * 2]
    for index, author in enumerate(authors):
        make_authored(author, count=1 + (index % 5 == 0) + (index % 7 == 0))

    counted, walked, back = walk(client, "/authors/", query)

    assert len(counted) >= 3
    assert walked == counted
    assert back == counted[-2::-1]
    listed = [href for page in counted for href, _, _ in page]
    assert len(listed) == len(set(listed))


def test_the_next_page_by_count_is_read_after_the_last_entry(client, monkeypatch):
    monkeypatch.setattr(browse, "BROWSE_PAGE_SIZE", 2)
    authors = [make_author(family_name=f"Author {n}") for n in range(5)]
    for author in authors:
        make_authored(author)
    by_text = sorted(authors, key=lambda author: str(author.pk))

    first = client.get("/authors/?sort=count")
    second = client.get("/authors/" + next_and_previous(first)[0])
    third = client.get("/authors/" + next_and_previous(second)[0])

    assert next_and_previous(first)[0] == f"?sort=count&page=2&after={by_text[1].pk}"
    assert [href for href, _, _ in entries(second)] == [
        f"/authors/{author.pk}/" for author in by_text[2:4]
    ]
    assert next_and_previous(third) == ("", f"?sort=count&page=2&before={by_text[4].pk}")
    assert next_and_previous(second)[1] == "?sort=count"


def deep_error(response) -> str:
    assert response.status_code == 400
    [message] = errors(response)
    return message


@pytest.mark.parametrize("path", ["/journals/", "/authors/", "/keywords/"])
@pytest.mark.parametrize("query", ["", "sort=count&", "letter=S&", "filter=a&"])
def test_a_page_number_alone_past_the_counted_pages_is_a_400_with_the_letters(
    client, db, path, query
):
    response = client.get(f"{path}?{query}page={browse.MAX_COUNTED_PAGE + 1}")

    assert deep_error(response) == (
        f"page: Page {browse.MAX_COUNTED_PAGE + 1} cannot be counted to: a page number alone "
        f"reaches the first {browse.MAX_COUNTED_PAGE} pages. Go on from there with Next, or "
        "choose a letter or a filter."
    )
    page = html_lib.unescape(response.content.decode())
    # The letters, the sorts and the filter box are there to go on from, keeping the state.
    state = "&".join(part for part in query.rstrip("&").split("&") if part.startswith("sort"))
    filtered = "&filter=a" if "filter" in query else ""
    assert f'<a href="?{state + "&" if state else ""}letter=M{filtered}">M</a>' in page
    assert '<form class="browse__filter"' in page
    deepest = f"?{query}page={browse.MAX_COUNTED_PAGE}"
    assert f'<a href="{deepest}">Page {browse.MAX_COUNTED_PAGE}</a>' in page
    assert "browse__entries" not in page
    assert 'rel="next"' not in page


def test_the_deepest_counted_page_is_served_and_the_next_reached_by_its_link(client, monkeypatch):
    monkeypatch.setattr(browse, "BROWSE_PAGE_SIZE", 1)
    monkeypatch.setattr(browse, "MAX_COUNTED_PAGE", 4)
    authors = [make_author(family_name=f"Name {letter}", given_names="") for letter in "ABCDEF"]
    for author in authors:
        make_authored(author)

    fourth = client.get("/authors/?page=4")
    fifth = client.get("/authors/" + next_and_previous(fourth)[0])

    assert [name for _, name, _ in entries(fourth)] == ["Name D"]
    assert [name for _, name, _ in entries(fifth)] == ["Name E"]
    assert deep_error(client.get("/authors/?page=5")).startswith("page: Page 5 cannot be")
    # Past the bound, a page number with a neighbour only numbers the page.
    sixth = client.get(f"/authors/?page=6&after={authors[4].pk}")
    assert [name for _, name, _ in entries(sixth)] == ["Name F"]
    assert '<ol class="browse__entries" start="6">' in sixth.content.decode()


def test_a_page_by_count_from_a_neighbour_is_one_statement(client, db, django_assert_num_queries):
    authors = [make_author() for _ in range(30)]
    for author in authors:
        make_authored(author)
    for query in (f"after={authors[3].pk}", f"before={authors[20].pk}&letter=a"):
        with django_assert_num_queries(1):
            assert client.get(f"/authors/?sort=count&page=2&{query}").status_code in (200, 404)


def test_a_neighbour_that_is_gone_leaves_no_page_by_count(client, db):
    make_authored(make_author(family_name="Kept"))

    response = client.get("/authors/?sort=count&page=2&after=999999")

    assert response.status_code == 404
    assert errors(response) == ["page: There is no page 2 of this list."]
