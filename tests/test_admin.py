"""Tests for catalogue.admin: staff-only access, the article form with its authors, query counts."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalogue.models import RECORD_TEXT_FIELDS, Article, ImportBatch
from catalogue.models.names import PrintedName
from tests.factories import (
    make_article,
    make_author,
    make_journal,
    make_keyword,
    make_subject,
)

CHANGELISTS = ["article", "journal", "author", "keyword", "subjectarea"]


def make_user(*, username: str = "reader", is_staff: bool = False, catalogue_perms: bool = False):
    """Return a saved user, optionally staff with every catalogue permission."""
    user = User.objects.create_user(username=username, password="not-a-real-secret-1")
    user.is_staff = is_staff
    user.save()
    if catalogue_perms:
        user.user_permissions.set(Permission.objects.filter(content_type__app_label="catalogue"))
    return user


@pytest.fixture
def librarian(db):
    return make_user(username="librarian", is_staff=True, catalogue_perms=True)


@pytest.fixture
def librarian_client(client, librarian):
    client.force_login(librarian)
    return client


# Access ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", CHANGELISTS)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, model):
    url = reverse(f"admin:catalogue_{model}_changelist")

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next={url}"


def test_anonymous_visitors_cannot_open_an_article_form(client, seed):
    url = reverse("admin:catalogue_article_change", args=[1])

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("model", CHANGELISTS)
def test_logged_in_non_staff_users_get_the_login_page(client, db, model):
    client.force_login(make_user(catalogue_perms=True))

    response = client.get(reverse(f"admin:catalogue_{model}_changelist"), follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[0][0].startswith(reverse("admin:login"))
    assert "You are authenticated as reader, but are not authorized" in response.content.decode()


def test_staff_without_permissions_are_forbidden(client, seed):
    client.force_login(make_user(username="clerk", is_staff=True))

    response = client.get(reverse("admin:catalogue_article_changelist"))

    assert response.status_code == 403


@pytest.mark.parametrize("model", CHANGELISTS)
def test_librarians_see_every_changelist(librarian_client, seed, model):
    response = librarian_client.get(reverse(f"admin:catalogue_{model}_changelist"))

    assert response.status_code == 200


def test_the_librarians_group_gives_staff_the_catalogue_admin(client, seed):
    user = make_user(username="member", is_staff=True)
    user.groups.add(Group.objects.get(name="Librarians"))
    client.force_login(user)

    for model in CHANGELISTS:
        assert client.get(reverse(f"admin:catalogue_{model}_changelist")).status_code == 200
    assert client.get(reverse("admin:catalogue_article_change", args=[1])).status_code == 200


def test_the_librarians_group_edits_contributors_and_merges_people(client, seed):
    user = make_user(username="member", is_staff=True)
    user.groups.add(Group.objects.get(name="Librarians"))
    client.force_login(user)

    page = client.get(reverse("admin:catalogue_article_change", args=[1])).content.decode()
    assert 'name="contributors-__prefix__-role"' in page
    assert client.get(reverse("admin:catalogue_author_merge")).status_code == 200
    assert client.get(reverse("admin:catalogue_personchange_changelist")).status_code == 200
    assert user.has_perms(["catalogue.change_author", "catalogue.delete_author"])
    # Deleting records stays with the site's administrators.
    assert not user.has_perm("catalogue.delete_article")


# Changelists -----------------------------------------------------------------------------


def test_article_changelist_shows_the_listed_columns(librarian_client, seed):
    response = librarian_client.get(reverse("admin:catalogue_article_changelist"))

    page = response.content.decode()
    for column in ["Title", "Journal", "Year", "Research output type", "State"]:
        assert f">{column}</a>" in page or f">{column}</span>" in page, column
    assert "American Psychologist" in page
    assert "Review article" in page
    filters = [spec.title for spec in response.context["cl"].filter_specs]
    assert filters == ["research output type", "state", "peer reviewed", "original language"]


@pytest.mark.parametrize(
    "term",
    [
        "10.1037/a0040435",
        "10.1037/A0040435",
        "https://doi.org/10.1037/A0040435",
        "doi:10.1037/a0040435",
        "really therapeutic",
    ],
)
def test_article_search_finds_by_title_or_doi_in_any_form(librarian_client, seed, term):
    response = librarian_client.get(reverse("admin:catalogue_article_changelist"), {"q": term})

    assert [article.pk for article in response.context["cl"].result_list] == [1]


def test_article_search_does_not_match_other_dois(librarian_client, seed):
    response = librarian_client.get(
        reverse("admin:catalogue_article_changelist"), {"q": "https://doi.org/10.9999/none"}
    )

    assert list(response.context["cl"].result_list) == []


@pytest.mark.parametrize(
    ("model", "term", "expected"),
    [
        ("journal", "Am Psychol", ["American Psychologist"]),
        ("journal", "1935-990X", ["American Psychologist"]),
        ("journal", "0033-3204", ["Psychotherapy"]),
        ("author", "zilcha", ["Sigal Zilcha-Mano"]),
        ("author", "Pim", ["Pim Cuijpers"]),
        ("keyword", "outcome", ["Alliance-outcome association"]),
        ("subjectarea", "3203", ["Clinical Psychology"]),
        ("subjectarea", "general", ["General Psychology"]),
    ],
)
def test_changelist_search_fields(librarian_client, seed, model, term, expected):
    response = librarian_client.get(reverse(f"admin:catalogue_{model}_changelist"), {"q": term})

    assert [str(row) for row in response.context["cl"].result_list] == expected


def test_author_search_by_orcid(librarian_client, db):
    make_author(family_name="Carberry", orcid="0000-0002-1825-0097")
    make_author(family_name="Other")

    response = librarian_client.get(
        reverse("admin:catalogue_author_changelist"), {"q": "0000-0002-1825-0097"}
    )

    assert [author.family_name for author in response.context["cl"].result_list] == ["Carberry"]


def make_rows(*, count: int) -> None:
    """Create `count` articles, each with its own journal, authors, keywords and subject."""
    parent = make_subject(name="Parent field")
    for _ in range(count):
        make_article(
            journal=make_journal(),
            authors=[make_author(), make_author()],
            keywords=[make_keyword()],
            subject_areas=[make_subject(parent=parent)],
        )


def changelist_queries(client, model: str) -> int:
    """Return the number of queries one changelist request makes."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"admin:catalogue_{model}_changelist"))
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        # Session, user, permissions (user and group) are 4; then the model's own queries:
        # article: count, page (with journals), the language filter's values (no full count);
        # the others: count, full count, page; subject areas add their scheme filter's values
        # (the page selects the parents with the rows).
        ("article", 7),
        ("journal", 7),
        ("author", 7),
        ("keyword", 7),
        ("subjectarea", 8),
    ],
)
def test_changelists_make_a_constant_number_of_queries(librarian_client, db, model, expected):
    make_rows(count=1)
    few = changelist_queries(librarian_client, model)
    make_rows(count=30)
    many = changelist_queries(librarian_client, model)

    assert few == many == expected


# The article form ------------------------------------------------------------------------


def test_article_change_page_has_the_ordered_authorship_inline(librarian_client, seed):
    response = librarian_client.get(reverse("admin:catalogue_article_change", args=[3]))

    assert response.status_code == 200
    inline = response.context["inline_admin_formsets"][0]
    assert inline.formset.prefix == "authorships"
    authors = [form.instance.author.family_name for form in inline.formset.initial_forms]
    assert authors == ["Flückiger", "Del Re", "Wampold", "Horvath"]
    page = response.content.decode()
    for field in ["authorships-0-position", "authorships-0-author", "authorships-0-affiliation"]:
        assert f'name="{field}"' in page
    # Autocomplete widgets for the inline's author and the article's relations.
    form = response.context["adminform"].form
    widgets = {
        name: type(form.fields[name].widget.widget).__name__
        for name in form.fields
        if hasattr(form.fields[name].widget, "widget")
    }
    assert widgets["journal"] == "AutocompleteSelect"
    assert widgets["keywords"] == "AutocompleteSelectMultiple"
    assert widgets["subject_areas"] == "AutocompleteSelectMultiple"
    author_widget = inline.formset.forms[0].fields["author"].widget.widget
    assert type(author_widget).__name__ == "AutocompleteSelect"


def test_article_add_page_renders(librarian_client, db):
    response = librarian_client.get(reverse("admin:catalogue_article_add"))

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("model_name", "field_name", "term", "expected"),
    [
        ("authorship", "author", "zilch", ["Sigal Zilcha-Mano"]),
        ("article", "journal", "annual", ["Annual Review of Clinical Psychology"]),
        ("article", "keywords", "process", ["Psychotherapy process research"]),
        ("article", "subject_areas", "clinical", ["Clinical Psychology"]),
        ("subjectarea", "parent", "2738", ["Psychiatry and Mental Health"]),
    ],
)
def test_autocomplete_finds_related_records(
    librarian_client, seed, model_name, field_name, term, expected
):
    response = librarian_client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "catalogue",
            "model_name": model_name,
            "field_name": field_name,
            "term": term,
        },
    )

    assert response.status_code == 200
    results = [row["text"] for row in response.json()["results"]]
    assert results == expected


def article_form_data(
    article: Article, *, authorships: list[dict], contributors: list[dict] = ()
) -> dict:
    """Return the admin change-form POST data for `article` with the given inline rows."""
    data = {
        "title": article.title,
        "output_type": article.output_type,
        "peer_reviewed": "on" if article.peer_reviewed else "",
        "abstract": article.abstract,
        "language": article.language,
        "journal": article.journal_id or "",
        "volume": article.volume,
        "issue": article.issue,
        "pages": article.pages,
        "article_number": article.article_number,
        "page_count": article.page_count or "",
        "state": article.state,
        "year": article.year or "",
        "month": article.month or "",
        "day": article.day or "",
        "doi": article.doi,
        "pmid": article.pmid,
        "url": article.url,
        "keywords": [keyword.pk for keyword in article.keywords.all()],
        "subject_areas": [subject.pk for subject in article.subject_areas.all()],
        "bibliographical_note": article.bibliographical_note,
        **{name: getattr(article, name) for name in RECORD_TEXT_FIELDS},
        "citation_key": article.citation_key,
        "et_al": "on" if article.et_al else "",
        **formset_data("authorships", authorships, AUTHORSHIP_KEYS, article),
        **formset_data("contributors", contributors, CONTRIBUTOR_KEYS, article),
    }
    return data


AUTHORSHIP_KEYS = ["id", "position", "author", *PrintedName.NAME_FIELDS, "affiliation"]
CONTRIBUTOR_KEYS = ["id", "role", "position", *PrintedName.NAME_FIELDS]


def formset_data(prefix: str, rows: list[dict], keys: list[str], article: Article) -> dict:
    """Return an inline formset's POST data: its management form and one form per row."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(sum(1 for row in rows if row.get("id"))),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key in keys:
            data[f"{prefix}-{index}-{key}"] = row.get(key, "")
        data[f"{prefix}-{index}-article"] = article.pk
    return data


def test_librarian_adds_an_author_through_the_inline(librarian_client, seed):
    article = Article.objects.get(pk=1)
    data = article_form_data(
        article,
        authorships=[
            {"id": 1, "position": 2, "author": 1, "affiliation": ""},
            {"position": 1, "author": 2, "affiliation": "VU Amsterdam"},
        ],
    )

    response = librarian_client.post(reverse("admin:catalogue_article_change", args=[1]), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    article.refresh_from_db()
    assert [
        (authorship.position, authorship.author.family_name, authorship.affiliation)
        for authorship in article.authorships.order_by("position")
    ] == [(1, "Cuijpers", "VU Amsterdam"), (2, "Zilcha-Mano", "")]
    # A record made or edited here without a key gets a stored one from its first author.
    assert article.citation_key == "Cuijpers2017"


def test_duplicate_positions_are_a_form_error_not_a_crash(librarian_client, seed):
    article = Article.objects.get(pk=1)
    data = article_form_data(
        article,
        authorships=[
            {"id": 1, "position": 1, "author": 1},
            {"position": 1, "author": 2},
        ],
    )

    response = librarian_client.post(reverse("admin:catalogue_article_change", args=[1]), data)

    assert response.status_code == 200
    assert "Please correct the" in response.content.decode()
    assert list(article.authorships.values_list("author_id", flat=True)) == [1]


def test_article_form_normalises_a_pasted_doi(librarian_client, seed):
    article = Article.objects.get(pk=1)
    data = article_form_data(article, authorships=[{"id": 1, "position": 1, "author": 1}])
    data["doi"] = "https://doi.org/10.1037/A0040435"

    response = librarian_client.post(reverse("admin:catalogue_article_change", args=[1]), data)

    assert response.status_code == 302
    article.refresh_from_db()
    assert article.doi == "10.1037/a0040435"


def test_keyword_form_prepopulates_the_slug(librarian_client, db):
    response = librarian_client.get(reverse("admin:catalogue_keyword_add"))

    assert response.status_code == 200
    assert (
        'data-prepopulated-fields="[{&quot;id&quot;: &quot;#id_slug&quot;, &quot;name&quot;: '
        "&quot;slug&quot;, &quot;dependency_ids&quot;: [&quot;#id_term&quot;]"
    ) in response.content.decode()


def test_import_history_in_the_admin_is_read_only(client, seed):
    from catalogue.importer import run_import

    admin_user = User.objects.create_superuser("boss", password="pw-for-tests-only")
    batch = run_import(
        data=b"@article{k, title={Imported}, year=2020, doi={10.5555/admin-test}}",
        filename="one.bib",
        user=admin_user,
        on_duplicate="skip",
        dry_run=False,
    )
    client.force_login(admin_user)

    changelist = client.get(reverse("admin:catalogue_importbatch_changelist"))
    change = client.get(reverse("admin:catalogue_importbatch_change", args=[batch.pk]))

    assert changelist.status_code == 200
    assert b"one.bib" in changelist.content
    assert change.status_code == 200
    assert b"Imported" in change.content
    assert b'name="filename"' not in change.content  # shown, not editable
    assert client.get(reverse("admin:catalogue_importbatch_add")).status_code == 403
    delete = client.post(reverse("admin:catalogue_importbatch_delete", args=[batch.pk]))
    assert delete.status_code == 403
    assert ImportBatch.objects.filter(pk=batch.pk).exists()


def test_the_import_admin_shows_the_batchs_jobs_read_only(client, seed):
    from catalogue.models import ImportJob, JobKind, JobState

    admin_user = User.objects.create_superuser("boss", password="pw-for-tests-only")
    batch = ImportBatch.objects.create(
        filename="queued.bib", checksum="c" * 64, size=3, status="pending", source=b"x"
    )
    ImportJob.objects.create(
        batch=batch,
        kind=JobKind.PREVIEW,
        state=JobState.FAILED,
        stage="parsing",
        done=12,
        total=40,
        worker="host-a:4242",
        error="The job worker stopped <b>mid-way</b>.",
    )
    client.force_login(admin_user)

    change = client.get(reverse("admin:catalogue_importbatch_change", args=[batch.pk]))

    body = change.content.decode()
    assert change.status_code == 200
    assert "host-a:4242" in body
    assert "The job worker stopped &lt;b&gt;mid-way&lt;/b&gt;." in body
    assert 'name="jobs-0-state"' not in body  # shown, not editable


# Permissions per model (issue 16, finding 9) ---------------------------------------------


@pytest.mark.parametrize("model", [*CHANGELISTS, "importbatch"])
def test_a_staff_flag_without_permissions_cannot_add_change_or_delete(client, seed, model):
    from django.apps import apps

    client.force_login(make_user(username="clerk", is_staff=True))
    model_class = apps.get_model("catalogue", model)
    before = model_class.objects.count()
    pk = model_class.objects.values_list("pk", flat=True).first() or 1

    responses = [
        client.get(reverse(f"admin:catalogue_{model}_add")),
        client.post(reverse(f"admin:catalogue_{model}_add"), {"title": "Sneaked in"}),
        client.get(reverse(f"admin:catalogue_{model}_change", args=[pk])),
        client.post(reverse(f"admin:catalogue_{model}_delete", args=[pk]), {"post": "yes"}),
        client.post(
            reverse(f"admin:catalogue_{model}_changelist"),
            {"action": "delete_selected", "_selected_action": [pk], "post": "yes"},
        ),
    ]

    assert [response.status_code for response in responses] == [403] * 5
    assert model_class.objects.count() == before


def test_view_permission_alone_cannot_add_or_delete_articles(client, seed):
    user = make_user(username="viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_article"))
    client.force_login(user)
    before = Article.objects.count()

    changelist = client.get(reverse("admin:catalogue_article_changelist"))
    add = client.post(reverse("admin:catalogue_article_add"), {"title": "Sneaked in"})
    delete = client.post(reverse("admin:catalogue_article_delete", args=[1]), {"post": "yes"})
    bulk = client.post(
        reverse("admin:catalogue_article_changelist"),
        {"action": "delete_selected", "_selected_action": [1], "post": "yes"},
    )

    assert changelist.status_code == 200
    assert 'value="delete_selected"' not in changelist.content.decode()
    assert (add.status_code, delete.status_code) == (403, 403)
    assert bulk.status_code in (200, 302)
    assert Article.objects.count() == before


def test_the_import_admin_shows_who_uploaded_confirmed_cancelled_and_undid(librarian_client):
    from django.utils import timezone

    owner = make_user(username="owner")
    head = make_user(username="head")
    batch = ImportBatch.objects.create(
        filename="x.bib",
        checksum="0" * 64,
        size=1,
        status="undone",
        user=owner,
        confirmed=timezone.now(),
        confirmed_by=head,
        undone=timezone.now(),
        undone_by=head,
    )

    changelist = librarian_client.get(reverse("admin:catalogue_importbatch_changelist"))
    detail = librarian_client.get(reverse("admin:catalogue_importbatch_change", args=[batch.pk]))

    content = changelist.content.decode()
    for header in ("Uploaded by", "Confirmed by", "Cancelled by", "Undone by"):
        assert header in content
    assert content.count(">head<") == 2
    assert "Kept by undo" in detail.content.decode()


def test_the_language_filter_names_languages(librarian_client, db):
    for language in ("zh", "la", "en", "zh"):
        make_article(title=f"In {language}", language=language)

    response = librarian_client.get(reverse("admin:catalogue_article_changelist"))

    cl = response.context["cl"]
    spec = next(spec for spec in cl.filter_specs if spec.title == "original language")
    assert [choice["display"] for choice in spec.choices(cl)] == [
        "All",
        "Chinese",
        "English",
        "Latin",
    ]
    narrowed = librarian_client.get(
        reverse("admin:catalogue_article_changelist"), {"language": "zh"}
    )
    assert sorted(article.title for article in narrowed.context["cl"].result_list) == [
        "In zh",
        "In zh",
    ]


def test_the_article_pages_leave_out_the_navigation_sidebar_and_load_their_styles(
    librarian_client, seed
):
    for url in (
        reverse("admin:catalogue_article_changelist"),
        reverse("admin:catalogue_article_change", args=[1]),
    ):
        page = librarian_client.get(url).content.decode()
        assert 'id="nav-sidebar"' not in page, url
        assert 'href="/static/catalogue/admin_articles.css"' in page, url
    form = librarian_client.get(reverse("admin:catalogue_article_change", args=[1]))
    assert '<textarea name="title" cols="40" rows="3"' in form.content.decode()
    # The other models keep the admin's sidebar.
    journals = librarian_client.get(reverse("admin:catalogue_journal_changelist"))
    assert 'id="nav-sidebar"' in journals.content.decode()


def test_saving_a_record_in_the_admin_gives_it_research_topics(librarian_client, seed):
    from catalogue.models import ArticleTopic

    article = Article.objects.get(pk=1)
    ArticleTopic.objects.filter(article=article).delete()
    assert article.keywords.exists()
    data = article_form_data(article, authorships=[{"id": 1, "position": 1, "author": 1}])

    response = librarian_client.post(reverse("admin:catalogue_article_change", args=[1]), data)

    assert response.status_code == 302
    # Its keywords are among its concepts (the record's own vocabulary, always kept).
    keys = set(
        ArticleTopic.objects.filter(article=article).values_list("concept__label", flat=True)
    )
    assert {keyword.term for keyword in article.keywords.all()} <= keys
