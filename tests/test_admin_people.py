"""Tests for the people admin: name forms in the list, the merge and split pages, the Person
changes list with its undo action, permissions and CSRF; and the article form's printed names
and contributors."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from catalogue.models import (
    RECORD_TEXT_FIELDS,
    Article,
    Author,
    Authorship,
    Contributor,
    EvidenceSummary,
    PersonChange,
    PersonChangeKind,
)
from tests.factories import make_article, make_author
from tests.test_admin import article_form_data

pytestmark = pytest.mark.django_db

MERGE = reverse("admin:catalogue_author_merge")
CHANGES = reverse("admin:catalogue_personchange_changelist")


def make_staff(*, username: str, codenames: list[str]) -> User:
    user = User.objects.create_user(username=username, password="not-a-real-secret-1")
    user.is_staff = True
    user.save()
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="catalogue", codename__in=codenames)
    )
    return user


PEOPLE_PERMS = ["view_author", "change_author", "delete_author"]


@pytest.fixture
def librarian_client(client):
    client.force_login(make_staff(username="librarian", codenames=PEOPLE_PERMS))
    return client


@pytest.fixture
def clerk_client(client):
    """Staff who may view and change people, but not delete them: no merging."""
    client.force_login(
        make_staff(username="clerk", codenames=["view_author", "change_author", "add_author"])
    )
    return client


class People:
    def __init__(self) -> None:
        self.patrick = make_author(family_name="Nguyen", given_names="Patrick")
        self.p = make_author(family_name="Nguyen", given_names="P")
        self.first = make_article(title="Alliance ruptures", authors=[self.patrick])
        self.second = make_article(
            title="Alliance repair", authors=[(self.patrick, {"given_names": "P."})]
        )
        self.third = make_article(title="Dropout in therapy", authors=[self.p])


@pytest.fixture
def nguyens() -> People:
    return People()


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def printed_forms() -> list[tuple]:
    return list(
        Authorship.objects.order_by("pk").values_list(
            "pk", "family_name", "given_names", "particle", "suffix", "corporate_name"
        )
    )


# The people list and a person's page --------------------------------------------------------


def test_the_people_list_counts_name_forms_and_records(librarian_client, nguyens):
    response = librarian_client.get(reverse("admin:catalogue_author_changelist"))

    assert response.status_code == 200
    rows = {
        author.sort_name: (author.name_form_total, author.record_total)
        for author in response.context["cl"].result_list
    }
    assert rows == {"Nguyen, Patrick": (2, 2), "Nguyen, P": (1, 1)}
    page = response.content.decode()
    assert "Name forms" in page
    assert 'value="merge_selected"' in page


def test_a_persons_page_lists_the_forms_and_links_to_merge_and_split(librarian_client, nguyens):
    url = reverse("admin:catalogue_author_change", args=[nguyens.patrick.pk])

    page = librarian_client.get(url).content.decode()

    assert "<li>Nguyen, P. <span class='quiet'>(1 record)</span></li>" in page
    assert "<li>Nguyen, Patrick <span class='quiet'>(1 record)</span></li>" in page
    assert f'href="{MERGE}?person={nguyens.patrick.pk}"' in page
    split = reverse("admin:catalogue_author_split", args=[nguyens.patrick.pk])
    assert f'href="{split}"' in page


def test_the_merge_and_split_links_need_the_permission(clerk_client, nguyens):
    url = reverse("admin:catalogue_author_change", args=[nguyens.patrick.pk])

    page = clerk_client.get(url).content.decode()

    assert "Merge with other people" not in page
    assert "Split name forms off" not in page
    changelist = clerk_client.get(reverse("admin:catalogue_author_changelist"))
    assert 'value="merge_selected"' not in changelist.content.decode()


# Merge ----------------------------------------------------------------------------------------


def test_the_merge_action_leads_to_the_merge_page(librarian_client, nguyens):
    response = librarian_client.post(
        reverse("admin:catalogue_author_changelist"),
        {"action": "merge_selected", "_selected_action": [nguyens.p.pk, nguyens.patrick.pk]},
    )

    assert response.status_code == 302
    # Patrick Nguyen has more records: listed first, so kept unless the librarian says otherwise.
    assert response["Location"] == f"{MERGE}?person={nguyens.patrick.pk}&person={nguyens.p.pk}"


def test_the_merge_page_preselects_the_person(librarian_client, nguyens):
    response = librarian_client.get(MERGE, {"person": nguyens.patrick.pk})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose at least two people above." in page
    assert f'<option value="{nguyens.patrick.pk}" selected>Patrick Nguyen</option>' in page
    assert 'id="merge-people"' not in page


def test_the_merge_page_shows_the_people_and_the_one_to_keep(librarian_client, nguyens):
    response = librarian_client.get(
        f"{MERGE}?person={nguyens.patrick.pk}&person={nguyens.p.pk}&person=999999"
    )

    assert response.status_code == 200
    assert [row["person"] for row in response.context["people"]] == [nguyens.patrick, nguyens.p]
    assert response.context["keep"] == nguyens.patrick.pk
    page = response.content.decode()
    assert f'value="{nguyens.patrick.pk}" id="keep-{nguyens.patrick.pk}" checked' in page
    assert "<li>Nguyen, P. (1)</li><li>Nguyen, Patrick (1)</li>" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert messages_of(response) == ["Person #999999 does not exist (merged or deleted?)."]


def test_merging_through_the_admin(librarian_client, nguyens):
    before = printed_forms()
    removed = nguyens.p.pk

    response = librarian_client.post(
        MERGE, {"person": [nguyens.patrick.pk, removed], "keep": nguyens.patrick.pk}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:catalogue_author_change", args=[nguyens.patrick.pk]
    )
    assert messages_of(response) == [
        "Merged P Nguyen into Patrick Nguyen: 1 record moved, printed names unchanged. "
        "Undo it from “Person changes”."
    ]
    assert not Author.objects.filter(pk=removed).exists()
    assert printed_forms() == before
    change = PersonChange.objects.get()
    assert (change.kind, change.person_id, change.other_id, change.user.username) == (
        PersonChangeKind.MERGE,
        nguyens.patrick.pk,
        removed,
        "librarian",
    )
    history = LogEntry.objects.get(object_id=str(nguyens.patrick.pk))
    assert history.get_change_message() == "Merged P Nguyen into this person."


def test_merging_keeps_the_chosen_person(librarian_client, nguyens):
    librarian_client.post(
        MERGE, {"person": [nguyens.patrick.pk, nguyens.p.pk], "keep": nguyens.p.pk}
    )

    assert list(Author.objects.values_list("given_names", flat=True)) == ["P"]
    assert Authorship.objects.filter(author=nguyens.p).count() == 3


def test_a_merge_with_different_orcids_is_refused_with_a_message(librarian_client, nguyens):
    Author.objects.filter(pk=nguyens.patrick.pk).update(orcid="0000-0002-1825-0097")
    Author.objects.filter(pk=nguyens.p.pk).update(orcid="0000-0001-5109-3700")
    query = f"?person={nguyens.patrick.pk}&person={nguyens.p.pk}"

    page = librarian_client.get(MERGE + query).content.decode()
    response = librarian_client.post(
        MERGE, {"person": [nguyens.patrick.pk, nguyens.p.pk], "keep": nguyens.patrick.pk}
    )

    assert "These people have different ORCID iDs" in page
    assert response.status_code == 302
    assert response["Location"] == MERGE + query
    assert messages_of(response) == [
        "These people have different ORCID iDs, so they are different people: "
        "Patrick Nguyen (0000-0002-1825-0097), P Nguyen (0000-0001-5109-3700)."
    ]
    assert Author.objects.count() == 2
    assert not PersonChange.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"person": ["1", "2"]}, "Choose the person to keep."),
        ({"person": ["1", "2"], "keep": "3"}, "Choose the person to keep."),
        ({"person": ["1", "999999"], "keep": "1"}, "One of these people no longer exists"),
        ({"person": ["1"], "keep": "1"}, "Choose at least one other person"),
    ],
)
def test_a_bad_merge_request_is_a_message_not_a_crash(librarian_client, db, data, message):
    first = make_author(family_name="First")
    second = make_author(family_name="Second")
    mapping = {"1": str(first.pk), "2": str(second.pk), "3": "3"}
    data = {
        key: [mapping.get(v, v) for v in value] if isinstance(value, list) else mapping[value]
        for key, value in data.items()
    }

    response = librarian_client.post(MERGE, data)

    assert response.status_code == 302
    assert messages_of(response)[0].startswith(message)
    assert Author.objects.count() == 2


# Split ------------------------------------------------------------------------------------------


def test_the_split_page_lists_forms_and_records(librarian_client, nguyens):
    url = reverse("admin:catalogue_author_split", args=[nguyens.patrick.pk])

    response = librarian_client.get(url)

    assert response.status_code == 200
    assert [form.printed_sort_name for form in response.context["forms"]] == [
        "Nguyen, P.",
        "Nguyen, Patrick",
    ]
    page = response.content.decode()
    assert "Alliance repair" in page
    assert "Alliance ruptures" in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_splitting_a_form_off_through_the_admin(librarian_client, nguyens):
    before = printed_forms()
    repair = nguyens.second.authorships.get()
    url = reverse("admin:catalogue_author_split", args=[nguyens.patrick.pk])

    response = librarian_client.post(url, {"form": [repair.pk], "name_from": repair.pk})

    change = PersonChange.objects.get()
    split_off = Author.objects.get(pk=change.other_id)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:catalogue_author_change", args=[split_off.pk])
    assert messages_of(response) == [
        "Moved 1 record of Patrick Nguyen to a new person, P. Nguyen. "
        "Undo it from “Person changes”."
    ]
    assert (change.kind, change.person_id, change.authorship_ids) == (
        PersonChangeKind.SPLIT,
        nguyens.patrick.pk,
        [repair.pk],
    )
    assert printed_forms() == before


def test_splitting_single_records_through_the_admin(librarian_client, nguyens):
    make_article(title="A third", authors=[nguyens.patrick])
    third = Authorship.objects.get(article__title="A third")
    url = reverse("admin:catalogue_author_split", args=[nguyens.patrick.pk])

    librarian_client.post(url, {"authorship": [third.pk]})

    change = PersonChange.objects.get()
    assert change.authorship_ids == [third.pk]
    assert Author.objects.get(pk=change.other_id).display_name == "Patrick Nguyen"


def test_splitting_everything_off_is_refused_with_a_message(librarian_client, nguyens):
    url = reverse("admin:catalogue_author_split", args=[nguyens.patrick.pk])
    forms = [authorship.pk for authorship in nguyens.patrick.authorships.all()]

    response = librarian_client.post(url, {"form": forms})

    assert response.status_code == 302
    assert response["Location"] == url
    assert messages_of(response)[0].startswith("Leave at least one record with this person")
    assert not PersonChange.objects.exists()


def test_the_split_page_of_a_missing_person_is_404(librarian_client, db):
    url = reverse("admin:catalogue_author_split", args=[999999])

    assert librarian_client.get(url).status_code == 404


# Undo -------------------------------------------------------------------------------------------


def undo(client, *changes):
    return client.post(
        CHANGES,
        {"action": "undo_changes", "_selected_action": [change.pk for change in changes]},
        follow=True,
    )


def test_the_person_changes_list_renders(librarian_client, nguyens):
    librarian_client.post(
        MERGE, {"person": [nguyens.patrick.pk, nguyens.p.pk], "keep": nguyens.patrick.pk}
    )
    change = PersonChange.objects.get()

    response = librarian_client.get(CHANGES)

    assert response.status_code == 200
    page = response.content.decode()
    assert f"Merge of person #{nguyens.patrick.pk} and #{nguyens.p.pk}" in page
    assert f"P Nguyen (#{nguyens.p.pk}, merged away)" in page
    assert 'value="undo_changes"' in page
    detail = librarian_client.get(reverse("admin:catalogue_personchange_change", args=[change.pk]))
    assert detail.status_code == 200


def test_undoing_a_merge_through_the_admin(librarian_client, nguyens):
    summary = EvidenceSummary.objects.create(
        title="T", slug="t", question="Q", standfirst="S", body="B", author=nguyens.p
    )
    before = printed_forms()
    librarian_client.post(
        MERGE, {"person": [nguyens.patrick.pk, nguyens.p.pk], "keep": nguyens.patrick.pk}
    )
    change = PersonChange.objects.get()

    response = undo(librarian_client, change)

    assert response.status_code == 200
    assert messages_of(response)[-1] == (
        f"Undid {change}: Restored P Nguyen (#{nguyens.p.pk}) with 1 record and 1 evidence summary."
    )
    assert Author.objects.get(pk=nguyens.p.pk).display_name == "P Nguyen"
    assert list(Authorship.objects.filter(author=nguyens.p).values_list("article", flat=True)) == [
        nguyens.third.pk
    ]
    summary.refresh_from_db()
    assert summary.author_id == nguyens.p.pk
    assert printed_forms() == before


def test_undoing_a_split_through_the_admin(librarian_client, nguyens):
    repair = nguyens.second.authorships.get()
    url = reverse("admin:catalogue_author_split", args=[nguyens.patrick.pk])
    librarian_client.post(url, {"form": [repair.pk]})
    change = PersonChange.objects.get()

    response = undo(librarian_client, change)

    assert messages_of(response)[-1] == (
        f"Undid {change}: Moved 1 record back to Patrick Nguyen (#{nguyens.patrick.pk}) "
        f"and removed P. Nguyen (#{change.other_id})."
    )
    repair.refresh_from_db()
    assert repair.author_id == nguyens.patrick.pk
    assert not Author.objects.filter(pk=change.other_id).exists()


def test_an_impossible_undo_is_a_message_not_a_500(librarian_client, nguyens):
    librarian_client.post(
        MERGE, {"person": [nguyens.patrick.pk, nguyens.p.pk], "keep": nguyens.patrick.pk}
    )
    change = PersonChange.objects.get()
    undo(librarian_client, change)

    response = undo(librarian_client, change)

    assert response.status_code == 200
    assert messages_of(response)[-1] == f"{change} was undone already."


def test_undoing_a_chain_newest_first_in_one_action(librarian_client, nguyens):
    other = make_author(family_name="Other")
    make_article(authors=[other])
    before = printed_forms()
    people_before = sorted(Author.objects.values_list("pk", flat=True))
    librarian_client.post(
        MERGE, {"person": [nguyens.patrick.pk, nguyens.p.pk], "keep": nguyens.patrick.pk}
    )
    librarian_client.post(MERGE, {"person": [other.pk, nguyens.patrick.pk], "keep": other.pk})

    undo(librarian_client, *PersonChange.objects.all())

    assert printed_forms() == before
    assert sorted(Author.objects.values_list("pk", flat=True)) == people_before
    assert PersonChange.objects.filter(undone=None).count() == 0


# Permissions and CSRF ---------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client, nguyens):
    for url in [MERGE, reverse("admin:catalogue_author_split", args=[nguyens.patrick.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_without_the_delete_permission_merge_and_split_are_forbidden(clerk_client, nguyens):
    split = reverse("admin:catalogue_author_split", args=[nguyens.patrick.pk])
    repair = nguyens.second.authorships.get()

    assert clerk_client.get(MERGE).status_code == 403
    assert clerk_client.get(split).status_code == 403
    post = clerk_client.post(
        MERGE, {"person": [nguyens.patrick.pk, nguyens.p.pk], "keep": nguyens.patrick.pk}
    )
    assert post.status_code == 403
    assert clerk_client.post(split, {"form": [repair.pk]}).status_code == 403
    assert Author.objects.count() == 2
    assert not PersonChange.objects.exists()


def test_without_the_permission_undo_is_not_offered_and_does_nothing(client, nguyens):
    from catalogue import people

    (change,) = people.merge_people(keep=nguyens.patrick, others=[nguyens.p])
    client.force_login(make_staff(username="viewer", codenames=["view_author"]))

    listing = client.get(CHANGES)
    response = undo(client, change)

    assert listing.status_code == 200
    assert 'value="undo_changes"' not in listing.content.decode()
    assert response.status_code == 200
    change.refresh_from_db()
    assert change.undone is None
    assert not Author.objects.filter(pk=nguyens.p.pk).exists()


def test_staff_without_people_permissions_cannot_see_person_changes(client, db):
    client.force_login(make_staff(username="nobody", codenames=[]))

    assert client.get(CHANGES).status_code == 403


def test_a_merge_without_the_csrf_token_is_refused(nguyens):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_staff(username="librarian", codenames=PEOPLE_PERMS))

    response = client.post(
        MERGE, {"person": [nguyens.patrick.pk, nguyens.p.pk], "keep": nguyens.patrick.pk}
    )

    assert response.status_code == 403
    assert Author.objects.count() == 2


def test_the_merge_page_accepts_only_get_and_post(librarian_client, db):
    assert librarian_client.put(MERGE).status_code == 405


# The article form: printed names and contributors ------------------------------------------------


@pytest.fixture
def editor_client(client):
    user = User.objects.create_superuser("boss", password="pw-for-tests-only")
    client.force_login(user)
    return client


def test_the_article_form_edits_printed_names_contributors_and_record_fields(editor_client, db):
    person = make_author(family_name="Nguyen", given_names="Patrick")
    article = make_article(authors=[(person, {"given_names": "P."})], pages="E3313–E3322")

    response = editor_client.get(reverse("admin:catalogue_article_change", args=[article.pk]))

    assert response.status_code == 200
    authors, contributors = response.context["inline_admin_formsets"]
    assert (authors.formset.prefix, contributors.formset.prefix) == ("authorships", "contributors")
    page = response.content.decode()
    for name in ["family_name", "given_names", "particle", "suffix", "corporate_name", "author"]:
        assert f'name="authorships-0-{name}"' in page
    assert 'name="authorships-0-given_names" value="P."' in page
    for name in ["role", "position", "family_name", "corporate_name"]:
        assert f'name="contributors-__prefix__-{name}"' in page
    form = response.context["adminform"].form
    for name in ["pages", *RECORD_TEXT_FIELDS, "et_al", "citation_key"]:
        assert name in form.fields, name
    assert "first_page" not in form.fields
    assert "last_page" not in form.fields
    assert "none (the pages are not plain numbers)" in page


def test_an_authorship_added_without_a_printed_name_gets_the_persons(editor_client, db):
    person = make_author(family_name="Berg", given_names="Ada", particle="van der")
    article = make_article(authors=[], pages="")
    data = article_form_data(article, authorships=[{"position": 1, "author": person.pk}])

    response = editor_client.post(
        reverse("admin:catalogue_article_change", args=[article.pk]), data
    )

    assert response.status_code == 302
    authorship = article.authorships.get()
    assert (
        authorship.family_name,
        authorship.given_names,
        authorship.particle,
        authorship.suffix,
        authorship.corporate_name,
    ) == ("Berg", "Ada", "van der", "", "")


def test_the_article_form_keeps_a_printed_name_that_differs_from_the_person(editor_client, db):
    person = make_author(family_name="Nguyen", given_names="Patrick")
    article = make_article(authors=[(person, {"given_names": "P."})])
    authorship = article.authorships.get()
    row = {
        "id": authorship.pk,
        "position": 1,
        "author": person.pk,
        "family_name": "Nguyen",
        "given_names": "P.",
    }
    data = article_form_data(
        article,
        authorships=[row],
        contributors=[
            {"role": "editor", "position": 1, "family_name": "Smith", "given_names": "J."},
            {"role": "translator", "position": 1, "corporate_name": "Translation Bureau"},
        ],
    )
    data["pages"] = "311–325"

    response = editor_client.post(
        reverse("admin:catalogue_article_change", args=[article.pk]), data
    )

    assert response.status_code == 302
    authorship.refresh_from_db()
    assert (authorship.family_name, authorship.given_names) == ("Nguyen", "P.")
    person.refresh_from_db()
    assert person.given_names == "Patrick"
    assert list(
        Contributor.objects.filter(article=article)
        .order_by("role")
        .values_list("role", "position", "family_name", "given_names", "corporate_name")
    ) == [
        ("editor", 1, "Smith", "J.", ""),
        ("translator", 1, "", "", "Translation Bureau"),
    ]
    article = Article.objects.get(pk=article.pk)
    assert (article.pages, article.first_page, article.last_page) == ("311–325", 311, 325)


def test_a_printed_name_cannot_be_both_corporate_and_personal(editor_client, db):
    person = make_author(family_name="Nguyen")
    article = make_article(authors=[])
    data = article_form_data(
        article,
        authorships=[
            {"position": 1, "author": person.pk, "family_name": "Nguyen", "corporate_name": "X"}
        ],
    )

    response = editor_client.post(
        reverse("admin:catalogue_article_change", args=[article.pk]), data
    )

    assert response.status_code == 200
    assert "A name is either a person" in response.content.decode()
    assert not article.authorships.exists()


def test_a_split_of_single_records_can_be_named_after_their_form(librarian_client, nguyens):
    make_article(title="A third", authors=[(nguyens.patrick, {"given_names": "P."})])
    repair = nguyens.second.authorships.get()
    third = Authorship.objects.get(article__title="A third")
    url = reverse("admin:catalogue_author_split", args=[nguyens.patrick.pk])

    # The form "Nguyen, P." stands for by its first record (repair), which is not moved.
    librarian_client.post(url, {"authorship": [third.pk], "name_from": repair.pk})

    change = PersonChange.objects.get()
    assert change.authorship_ids == [third.pk]
    assert Author.objects.get(pk=change.other_id).sort_name == "Nguyen, P."
    repair.refresh_from_db()
    assert repair.author_id == nguyens.patrick.pk
