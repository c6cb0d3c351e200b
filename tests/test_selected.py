"""Selected records (catalogue.selected, views/selected.py): the session store, /selected/,
its changes, exports parsed back, bad input and CSRF."""

import json
import re

import pytest
import rispy
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse

from catalogue.models import Article
from catalogue.selected import SELECTED_MAX, SESSION_KEY, selected_ids
from tests.factories import make_article, make_author, make_journal
from tests.responses import body, parse_bibtex

URL = "/selected/"
JSON = {"HTTP_ACCEPT": "application/json"}


def make_selectable(*, count: int = 3, prefix: str = "Study") -> list[Article]:
    """Return `count` articles "<prefix> 1".. with one author each, years 2001.., DOIs."""
    journal = make_journal(title="Journal of Selections")
    return [
        make_article(
            title=f"{prefix} {n}",
            journal=journal,
            authors=[make_author(family_name=f"Author{n}", given_names="Ann")],
            year=2000 + n,
            volume=str(n),
            first_page=n,
            last_page=n + 9,
            doi=f"10.5555/selected.{n}",
        )
        for n in range(1, count + 1)
    ]


def post_json(client: Client, **data: object):
    """Return the JSON answer of POST /selected/ with `data` as form fields."""
    response = client.post(URL, data, **JSON)
    return response.status_code, response.json()


def session_ids(client: Client) -> list[int]:
    return selected_ids(client.session)


def select(client: Client, articles: list[Article]) -> None:
    status, _ = post_json(client, add=[str(a.pk) for a in articles])
    assert status == 200


# --- Changes ---------------------------------------------------------------------------


def test_add_as_json_keeps_the_order_and_counts(client, db):
    one, two, three = make_selectable()
    status, data = post_json(client, add=[str(two.pk), str(one.pk), str(two.pk)])
    assert status == 200
    assert data == {
        "message": "Added 2 records. 2 records selected.",
        "added": [two.pk, one.pk],
        "removed": [],
        "ids": [two.pk, one.pk],
        "count": 2,
        "limit": SELECTED_MAX,
    }
    # Adding one already selected changes nothing but says so.
    status, data = post_json(client, add=[str(one.pk), str(three.pk)])
    assert (status, data["message"], data["ids"]) == (
        200,
        "Added 1 record. 3 records selected.",
        [two.pk, one.pk, three.pk],
    )
    assert session_ids(client) == [two.pk, one.pk, three.pk]


def test_comma_separated_ids_select_a_whole_page(client, db):
    articles = make_selectable(count=4)
    status, data = post_json(client, add=",".join(str(a.pk) for a in articles))
    assert (status, data["ids"]) == (200, [a.pk for a in articles])


def test_remove_and_clear(client, db):
    one, two, three = make_selectable()
    select(client, [one, two, three])
    status, data = post_json(client, remove=[str(two.pk), str(two.pk)])
    assert (status, data["message"], data["removed"], data["ids"]) == (
        200,
        "Removed 1 record. 2 records selected.",
        [two.pk],
        [one.pk, three.pk],
    )
    # Removing one not selected is no error: nothing changes.
    status, data = post_json(client, remove=str(two.pk))
    assert (status, data["message"]) == (200, "Nothing changed. 2 records selected.")
    status, data = post_json(client, clear="1")
    assert (status, data["message"], data["removed"], data["ids"]) == (
        200,
        "Removed 2 records. 0 records selected.",
        [one.pk, three.pk],
        [],
    )


def test_a_form_post_redirects_back_with_a_message(client, db):
    [article] = make_selectable(count=1)
    response = client.post(URL, {"add": str(article.pk), "next": "/search/?q=study&page=2"})
    assert (response.status_code, response["Location"]) == (302, "/search/?q=study&page=2")
    assert session_ids(client) == [article.pk]
    page = client.get(URL)
    assert '<li class="message message--success">Added 1 record. 1 record selected.</li>' in (
        page.content.decode()
    )


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "javascript:alert(1)",
        "",
        "selected/",
        "/\\evil",
    ],
)
def test_next_is_a_local_path_or_the_list(client, db, target):
    [article] = make_selectable(count=1)
    response = client.post(URL, {"add": str(article.pk), "next": target})
    assert (response.status_code, response["Location"]) == (302, URL)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"add": "abc"}, "“abc” is not an article id: add= takes a whole number such as 42."),
        ({"add": "-3"}, "“-3” is not an article id: add= takes a whole number such as 42."),
        ({"add": "0"}, "“0” is not an article id: add= takes a whole number such as 42."),
        ({"add": "１２"}, "“１２” is not an article id: add= takes a whole number such as 42."),
        ({"add": "1e3"}, "“1e3” is not an article id: add= takes a whole number such as 42."),
        ({"add": "1,,2"}, "“” is not an article id: add= takes a whole number such as 42."),
        (
            {"add": "9" * 20},
            f"“{'9' * 20}” is not an article id: add= takes a whole number such as 42.",
        ),
        ({"add": "4\x002"}, "“4?2” is not an article id: add= takes a whole number such as 42."),
        ({"remove": "x"}, "“x” is not an article id: remove= takes a whole number such as 42."),
        (
            {},
            "Nothing to change: send add=<id>, remove=<id> or clear=1 (ids are whole numbers "
            "such as 42).",
        ),
        (
            {"add": ",".join(["1"] * 2001)},
            "Too many ids in one request: at most 2,000 (you sent 2,001).",
        ),
    ],
)
def test_bad_ids_are_400_and_change_nothing(client, db, data, message):
    [article] = make_selectable(count=1)
    select(client, [article])
    status, answer = post_json(client, **data)
    assert (status, answer) == (
        400,
        {"error": message, "ids": [article.pk], "count": 1, "limit": SELECTED_MAX},
    )
    assert session_ids(client) == [article.pk]


def test_a_bad_id_in_a_form_post_shows_the_list_with_the_message(client, db):
    [article] = make_selectable(count=1)
    select(client, [article])
    response = client.post(URL, {"add": [str(article.pk), "<b>x</b>"]})
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        '<div class="selected__error" role="alert"><p>“&lt;b&gt;x&lt;/b&gt;” is not an article '
        "id: add= takes a whole number such as 42.</p></div>"
    ) in page
    assert "Study 1" in page


def test_unknown_ids_are_404_and_change_nothing(client, db):
    one, two = make_selectable(count=2)
    select(client, [one])
    missing = two.pk + 1000
    status, answer = post_json(client, add=[str(two.pk), str(missing)], remove=str(one.pk))
    assert (status, answer["error"], answer["ids"]) == (
        404,
        f"There is no article with the id {missing}; nothing was changed.",
        [one.pk],
    )
    many = [str(two.pk + 1000 + n) for n in range(7)]
    status, answer = post_json(client, add=many)
    assert (status, answer["error"]) == (
        404,
        f"There is no article with the id {', '.join(many[:5])} and 2 more; nothing was changed.",
    )
    assert session_ids(client) == [one.pk]


def set_session_ids(client: Client, ids: list[int]) -> None:
    session = client.session
    session[SESSION_KEY] = ids
    session.save()


def test_the_limit_is_said_and_nothing_partially_applied(client, db):
    one, two = make_selectable(count=2)
    # Kept ids are not looked up again: stand-ins fill the selection to one short of the limit.
    filler = list(range(10**9, 10**9 + SELECTED_MAX - 1))
    set_session_ids(client, filler)
    status, answer = post_json(client, add=[str(one.pk), str(two.pk)])
    assert (status, answer["error"], answer["count"]) == (
        409,
        "You can select at most 1,000 records. You have 999; adding 2 more would pass the "
        "limit (room for 1). Nothing was changed: export or remove some records first.",
        999,
    )
    assert session_ids(client) == filler
    status, answer = post_json(client, add=str(one.pk))
    assert (status, answer["count"]) == (200, SELECTED_MAX)
    # Removing one and adding another in one change stays within the limit.
    status, answer = post_json(client, add=str(two.pk), remove=str(one.pk))
    assert (status, answer["count"], answer["ids"][-1]) == (200, SELECTED_MAX, two.pk)


def test_the_list_says_when_the_limit_is_reached(client, db):
    [article] = make_selectable(count=1)
    set_session_ids(client, [article.pk, *range(10**9, 10**9 + SELECTED_MAX - 1)])
    page = client.get(URL).content.decode()
    assert (
        "1,000 records selected (at most 1,000). <strong>You have reached the limit of 1,000: "
        "remove some to select others.</strong>"
    ) in page
    assert (
        "999 selected records were deleted from the catalogue since; they count towards the "
        "limit until you press Remove all."
    ) in page


def test_too_many_fields_is_a_400_not_a_500(client, db):
    response = client.post(URL, {"add": [str(n) for n in range(1, 1100)]})
    assert response.status_code == 400


def test_a_damaged_session_value_is_an_empty_selection(client, db):
    set_session_ids(client, "not a list")
    assert client.get("/selected/ids/").json() == {"ids": [], "count": 0, "limit": SELECTED_MAX}
    set_session_ids(client, [3, "4", True, None, 5])
    assert client.get("/selected/ids/").json()["ids"] == [3, 5]


@pytest.mark.django_db
def test_a_post_without_the_csrf_token_is_refused():
    [article] = make_selectable(count=1)
    client = Client(enforce_csrf_checks=True)
    page = client.get(URL)
    assert client.post(URL, {"add": str(article.pk)}).status_code == 403
    assert session_ids(client) == []
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    response = client.post(URL, {"add": str(article.pk), "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert session_ids(client) == [article.pk]
    # A script sends the token in a header.
    response = client.post(URL, {"remove": str(article.pk)}, HTTP_X_CSRFTOKEN=token, **JSON)
    assert (response.status_code, response.json()["ids"]) == (200, [])


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_405(client, db, method):
    assert getattr(client, method)(URL).status_code == 405


# --- The list ----------------------------------------------------------------------------


def test_the_list_shows_the_records_in_the_order_selected(client, db):
    one, _, three = make_selectable()
    select(client, [three, one])
    response = client.get(URL)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    page = response.content.decode()
    titles = re.findall(r'<h3 class="result__title"[^>]*><a href="[^"]+">([^<]+)</a>', page)
    assert titles == ["Study 3", "Study 1"]
    assert "2 records selected (at most 1,000)." in page
    assert (
        f'<button type="submit" form="selected-form" name="remove" value="{one.pk}" '
        f'class="button--secondary" id="remove-{one.pk}" aria-labelledby="remove-{one.pk} '
        f'selected-title-{one.pk}" data-select-remove>Remove</button>'
    ) in page
    assert '<button type="submit" form="selected-form" name="clear" value="1"' in page
    assert f'<a href="{URL}?format=ris" download>RIS</a>' in page
    assert "Selected (<span data-selected-count>2</span>)" in page


def test_an_empty_list_says_how_to_select(client, db):
    page = client.get(URL).content.decode()
    assert "No records are selected." in page
    assert "Tick <strong>Select</strong> beside a search result" in page
    assert "Selected (<span data-selected-count>0</span>)" in page


def test_the_list_escapes_record_data(client, db):
    [article] = make_selectable(count=1)
    Article.objects.filter(pk=article.pk).update(title="<script>alert(1)</script> & more")
    select(client, [article])
    page = client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page


def test_the_list_takes_constant_queries(client, db, django_assert_num_queries):
    articles = make_selectable(count=30)
    select(client, articles[:2])
    # The session, the articles with their journals, their authorships with authors.
    with django_assert_num_queries(3):
        assert client.get(URL).status_code == 200
    select(client, articles)
    with django_assert_num_queries(3):
        page = client.get(URL).content.decode()
    assert page.count("data-selected-item=") == 30


def test_the_header_counts_the_selection_on_every_page(client, db):
    articles = make_selectable(count=2)
    select(client, articles)
    assert "Selected (<span data-selected-count>2</span>)" in client.get("/").content.decode()


def test_ids_as_json(client, db):
    one, two = make_selectable(count=2)
    select(client, [two, one])
    response = client.get("/selected/ids/")
    assert response.json() == {"ids": [two.pk, one.pk], "count": 2, "limit": SELECTED_MAX}
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/selected/ids/").status_code == 405


# --- Exports -------------------------------------------------------------------------------


@pytest.fixture
def three_selected(client, db):
    articles = make_selectable()
    select(client, articles)
    return articles


def test_ris_export_parses_back(client, three_selected):
    response = client.get(URL + "?format=ris")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-research-info-systems")
    assert response["Content-Disposition"] == 'attachment; filename="selected-records.ris"'
    records = sorted(rispy.loads(body(response)), key=lambda r: r["title"])
    assert [(r["title"], r["doi"], r["authors"], r["year"]) for r in records] == [
        (f"Study {n}", f"10.5555/selected.{n}", [f"Author{n}, Ann"], str(2000 + n))
        for n in (1, 2, 3)
    ]


def test_bibtex_export_parses_back(client, three_selected):
    response = client.get(URL + "?format=bibtex")
    assert response["Content-Disposition"] == 'attachment; filename="selected-records.bib"'
    library = parse_bibtex(body(response))
    entries = sorted(library.entries, key=lambda e: e["title"])
    assert [(e["title"], e["doi"], e["year"]) for e in entries] == [
        (f"Study {n}", f"10.5555/selected.{n}", str(2000 + n)) for n in (1, 2, 3)
    ]


def test_csl_json_export_parses_back(client, three_selected):
    response = client.get(URL + "?format=csl-json")
    items = sorted(json.loads(body(response)), key=lambda item: item["title"])
    assert [(i["title"], i["DOI"], i["author"]) for i in items] == [
        (f"Study {n}", f"10.5555/selected.{n}", [{"family": f"Author{n}", "given": "Ann"}])
        for n in (1, 2, 3)
    ]


def test_a_bibliography_in_a_style_as_text(client, three_selected):
    response = client.get(URL + "?style=apa")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert body(response) == "".join(
        f"Author{n}, A. ({2000 + n}). Study {n}. Journal of Selections, {n}, {n}–{n + 9}. "
        f"https://doi.org/10.5555/selected.{n}\n"
        for n in (1, 2, 3)
    )


def test_a_bibliography_as_html_for_copy(client, three_selected):
    response = client.get(URL + "?style=apa&output=html")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    text = body(response)
    assert text.startswith('<div class="csl-bib-body">\n<div class="csl-entry">Author1, A. (2001).')
    assert text.count('<div class="csl-entry">') == 3
    assert "<i>Journal of Selections</i>, <i>1</i>" in text


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        (
            "?format=docx",
            400,
            "Unknown format “docx”; available formats: bibtex, ris, csl-json, text.",
        ),
        ("?style=no-such-style", 406, "Unknown citation style “no-such-style”"),
        ("?style=apa&locale=xx-XX", 406, "Unknown"),
        ("?output=pdf", 400, "output= takes text or html."),
        (
            "?format=ris&output=html",
            400,
            "output=html is a formatted bibliography: give a style, not a format.",
        ),
    ],
)
def test_bad_export_parameters(client, three_selected, query, status, message):
    response = client.get(URL + query)
    assert response.status_code == status
    assert body(response).startswith(message)


def test_an_empty_selection_has_nothing_to_export(client, db):
    response = client.get(URL + "?format=ris")
    assert (response.status_code, body(response)) == (
        400,
        "No records are selected: select some on a search or record page first.\n",
    )


# --- Where records are selected ------------------------------------------------------------


def test_a_search_result_has_select_and_cite_but_no_visitor_state(client, db):
    [article] = make_selectable(count=1)
    select(client, [article])
    page = client.get("/search/?q=study").content.decode()
    assert (
        f'<input type="checkbox" id="select-{article.pk}" name="add" value="{article.pk}" '
        f'form="selected-form" aria-labelledby="select-label-{article.pk} '
        f'result-title-{article.pk}" data-select-box>'
    ) in page
    # Unchecked: the search body is cached and shared; selected.js marks the visitor's.
    assert "checked" not in page.split('id="search-results"')[1]
    assert f'data-cite-dialog="/articles/{article.pk}/cite/?box=1">Cite</a>' in page
    assert re.search(r'<form id="selected-form"[^>]*>.*?name="csrfmiddlewaretoken"', page)
    # Another visitor is served the same cached body.
    other = Client().get("/search/?q=study").content.decode()
    assert other.split('id="search-results"')[1] == page.split('id="search-results"')[1]


def test_the_cite_box_fragment(client, db):
    [article] = make_selectable(count=1)
    response = client.get(f"/articles/{article.pk}/cite/?box=1")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section class="cite-box"')
    assert 'data-default-style="apa"' in fragment
    assert "Author1, A. (2001). Study 1." in fragment
    assert client.get(f"/articles/{article.pk + 99}/cite/?box=1").status_code == 404


def render_select_button(client: Client, article: Article) -> str:
    request = RequestFactory().get(f"/articles/{article.pk}/")
    request.session = client.session
    return render_to_string(
        "catalogue/includes/_select_button.html", {"article": article}, request=request
    )


def test_the_record_page_select_button_follows_the_selection(client, db):
    one, two = make_selectable(count=2)
    select(client, [one])
    selected = render_select_button(client, one)
    assert (
        f'<button type="submit" name="remove" value="{one.pk}" class="select-button__button '
        f'select-button__button--selected" data-select-button data-article="{one.pk}">Remove '
        "from Selected</button>"
    ) in selected
    assert "Selected (<span data-selected-count>1</span>)" in selected
    assert 'name="csrfmiddlewaretoken"' in selected
    assert f'<input type="hidden" name="next" value="/articles/{one.pk}/">' in selected
    other = render_select_button(client, two)
    assert (
        f'<button type="submit" name="add" value="{two.pk}" class="select-button__button" '
        f'data-select-button data-article="{two.pk}">Select</button>'
    ) in other


def test_select_all_tools_carry_the_page_ids(db):
    articles = make_selectable(count=3)
    html = render_to_string(
        "catalogue/includes/_select_tools.html", {"result": {"articles": articles}}
    )
    ids = ",".join(str(a.pk) for a in articles)
    assert f'name="add" value="{ids}"' in html


def test_reverse_names():
    assert (reverse("catalogue:selected"), reverse("catalogue:selected-ids")) == (
        "/selected/",
        "/selected/ids/",
    )


def test_the_list_shows_names_as_printed_then_how_many_more(client, db):
    people = [make_author(family_name=f"Person{n}", given_names="Pat") for n in range(5)]
    article = make_article(
        title="Many hands",
        journal=None,
        authors=[
            (people[0], {"given_names": "P.", "particle": "van"}),
            # No printed name kept: the person's name is shown.
            (people[1], {"family_name": "", "given_names": ""}),
            people[2],
            people[3],
            people[4],
        ],
        et_al=True,
        year=None,
    )
    select(client, [article])
    page = client.get(URL).content.decode()
    assert (
        '<p class="result__authors">P. van Person0, Pat Person1, Pat Person2 and 2 more et al.'
        "</p>\n"
        '<p class="result__source">Article</p>'
    ) in page


def test_the_header_form_and_its_csrf_cookie_only_where_lists_have_select(client, db):
    home = client.get("/")
    assert 'id="selected-form"' not in home.content.decode()
    assert "csrftoken" not in home.cookies
    search = client.get("/search/?q=anything")
    assert '<form id="selected-form" class="selected-form" method="post" action="/selected/"' in (
        search.content.decode()
    )
    assert "csrftoken" in search.cookies
