"""Admin for people (Author): their name forms, merging people, splitting a person, and the
list of those changes with undo. The work is done by `catalogue.people`."""

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from catalogue import people
from catalogue.models import Author, Authorship, PersonChange, PersonChangeKind

# A person's split page lists at most this many records one by one (name forms: all).
SPLIT_RECORDS_SHOWN = 1000
PEOPLE_PERMISSIONS = ("catalogue.change_author", "catalogue.delete_author")


def can_change_people(request: HttpRequest) -> bool:
    """Merging, splitting and undoing need the change and delete permissions on people."""
    return request.user.has_perms(PEOPLE_PERMISSIONS)


def _count(queryset: QuerySet, expression) -> Coalesce:
    """Return a correlated count of `expression` over `queryset`'s rows of the outer person."""
    counted = (
        queryset.filter(author=OuterRef("pk"))
        .order_by()
        .values("author")
        .annotate(n=Count(expression, distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _printed_form() -> Concat:
    # The five printed parts joined by a separator no name contains: one value per form.
    parts = []
    for name in Authorship.NAME_FIELDS:
        parts += [name, Value("\x1f")]
    return Concat(*parts[:-1], output_field=CharField())


class PersonSelectForm(forms.Form):
    """The people to merge: chosen with the admin's autocomplete, sent as ?person=1&person=2."""

    person = forms.ModelMultipleChoiceField(
        queryset=Author.objects.all(),
        required=False,
        label="People",
        widget=AutocompleteSelectMultiple(Authorship._meta.get_field("author"), admin.site),
        help_text="Type part of a name or an ORCID iD; add every person to merge.",
    )


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["sort_name", "orcid", "name_form_count", "record_count"]
    search_fields = ["family_name", "given_names", "corporate_name", "orcid"]
    readonly_fields = ["name_forms"]
    actions = ["merge_selected"]
    fieldsets = [
        ("Person", {"fields": ["given_names", "particle", "family_name", "suffix"]}),
        ("Organisation", {"fields": ["corporate_name"]}),
        (None, {"fields": ["orcid"]}),
        (
            "Name forms",
            {
                "fields": ["name_forms"],
                "description": "The names as printed on this person's records. The name above "
                "is the person's own (shown on their page); records keep their printed form.",
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Author]:
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match is None or match.url_name != "catalogue_author_changelist":
            return queryset  # autocomplete, the change form: no counts needed
        return queryset.annotate(
            name_form_total=_count(Authorship.objects.all(), _printed_form()),
            record_total=_count(Authorship.objects.all(), "article"),
        )

    @admin.display(description="name", ordering="family_name")
    def sort_name(self, author: Author) -> str:
        return author.sort_name

    @admin.display(description="name forms", ordering="name_form_total")
    def name_form_count(self, author: Author) -> int:
        return author.name_form_total

    @admin.display(description="records", ordering="record_total")
    def record_count(self, author: Author) -> int:
        return author.record_total

    @admin.display(description="printed as")
    def name_forms(self, author: Author) -> SafeString | str:
        if author.pk is None:
            return "Save the person first."
        forms_ = people.name_forms(person=author)
        if not forms_:
            return "No records yet."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} <span class='quiet'>({} record{})</span></li>",
                (
                    (form.printed_sort_name, form.count, "" if form.count == 1 else "s")
                    for form in forms_
                ),
            ),
        )

    # Merge and split -----------------------------------------------------------------------

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("merge/", wrap(self.merge_view), name="catalogue_author_merge"),
            path("<path:object_id>/split/", wrap(self.split_view), name="catalogue_author_split"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_change_people": can_change_people(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def has_people_permission(self, request: HttpRequest) -> bool:
        # An action's permissions are alternatives: this one needs change and delete both.
        return can_change_people(request)

    @admin.action(description="Merge selected people", permissions=["people"])
    def merge_selected(self, request: HttpRequest, queryset: QuerySet[Author]):
        # The person with the most records comes first, and is the one kept unless changed.
        ids = (
            queryset.order_by()
            .annotate(records=Count("authorships"))
            .order_by("-records", "pk")
            .values_list("pk", flat=True)
        )
        return HttpResponseRedirect(_merge_url(list(ids)))

    def _context(self, request: HttpRequest, title: str, **context) -> dict:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **context,
        }

    @staticmethod
    def _person_ids(values: list[str]) -> list[int]:
        ids = []
        for value in values:
            for part in value.split(","):
                if part.strip().isdigit():
                    ids.append(int(part))
        return list(dict.fromkeys(ids))

    @staticmethod
    def _describe(person: Author) -> dict:
        forms_ = people.name_forms(person=person)
        return {
            "person": person,
            "forms": forms_,
            "records": sum(form.count for form in forms_),
            "summaries": person.evidence_summaries.count(),
        }

    def merge_view(self, request: HttpRequest) -> HttpResponse:
        if not can_change_people(request):
            raise PermissionDenied
        return self._merge(request)

    @staticmethod
    def _redirect_to_person(person: Author) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:catalogue_author_change", args=[person.pk]))

    def _merge(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            return self._merge_post(request)
        if request.method != "GET":
            return HttpResponse(status=405, headers={"Allow": "GET, POST"})
        ids = self._person_ids(request.GET.getlist("person"))
        found = Author.objects.in_bulk(ids)
        chosen = [found[pk] for pk in ids if pk in found]
        for pk in ids:
            if pk not in found:
                messages.warning(request, f"Person #{pk} does not exist (merged or deleted?).")
        select = PersonSelectForm(initial={"person": [person.pk for person in chosen]})
        keep = request.GET.get("keep", "")
        context = self._context(
            request,
            "Merge people",
            select_form=select,
            media=self.media + select.media,
            people=[self._describe(person) for person in chosen],
            keep=int(keep) if keep.isdigit() else (chosen[0].pk if chosen else None),
            conflict=people.orcid_conflict(people=chosen),
        )
        return TemplateResponse(request, "admin/catalogue/author/merge.html", context)

    def _merge_post(self, request: HttpRequest) -> HttpResponseRedirect:
        ids = self._person_ids(request.POST.getlist("person"))
        keep = request.POST.get("keep", "")
        back = HttpResponseRedirect(_merge_url(ids))
        if not keep.isdigit() or int(keep) not in ids:
            messages.error(request, "Choose the person to keep.")
            return back
        kept = Author.objects.filter(pk=int(keep)).first()
        others = list(Author.objects.filter(pk__in=ids).exclude(pk=int(keep)))
        if kept is None or len(others) != len(ids) - 1:
            messages.error(request, "One of these people no longer exists: check the list.")
            return HttpResponseRedirect(_merge_url([author.pk for author in others]))
        names = ", ".join(other.display_name for other in others)
        try:
            changes = people.merge_people(keep=kept, others=others, user=request.user)
        except people.PeopleError as error:
            messages.error(request, str(error))
            return back
        moved = sum(len(change.authorship_ids) for change in changes)
        self.log_change(request, kept, f"Merged {names} into this person.")
        messages.success(
            request,
            f"Merged {names} into {kept.display_name}: {moved} record{'s' if moved != 1 else ''} "
            "moved, printed names unchanged. Undo it from “Person changes”.",
        )
        return self._redirect_to_person(kept)

    def split_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not can_change_people(request):
            raise PermissionDenied
        person = get_object_or_404(Author, pk=object_id)
        return _split(self, request, person)


def _split(model_admin: AuthorAdmin, request: HttpRequest, person: Author) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    forms_ = people.name_forms(person=person)
    if request.method == "POST":
        chosen = set(AuthorAdmin._person_ids(request.POST.getlist("authorship")))
        for value in AuthorAdmin._person_ids(request.POST.getlist("form")):
            for form in forms_:
                if value in form.authorship_ids:
                    chosen.update(form.authorship_ids)
        name_from = request.POST.get("name_from", "")
        name_from = int(name_from) if name_from.isdigit() else None
        for form in forms_:
            # A form names the new person when any of its chosen records is printed with it.
            if name_from in form.authorship_ids:
                name_from = min(chosen & set(form.authorship_ids), default=name_from)
        try:
            change = people.split_person(
                person=person, authorship_ids=chosen, name_from=name_from, user=request.user
            )
        except people.PeopleError as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(request.path)
        split_off = Author.objects.get(pk=change.other_id)
        count = len(change.authorship_ids)
        model_admin.log_change(request, person, f"Split records off to #{split_off.pk}.")
        model_admin.log_addition(request, split_off, f"Split off from #{person.pk}.")
        messages.success(
            request,
            f"Moved {count} record{'s' if count != 1 else ''} of {person.display_name} to a new "
            f"person, {split_off.display_name}. Undo it from “Person changes”.",
        )
        return AuthorAdmin._redirect_to_person(split_off)
    authorships = (
        Authorship.objects.filter(author=person)
        .select_related("article")
        .only("pk", "position", "article__title", "article__year", *Authorship.NAME_FIELDS)
        .order_by("family_name", "given_names", "article__title", "pk")
    )
    total = sum(form.count for form in forms_)
    context = model_admin._context(
        request,
        f"Split {person.display_name}",
        person=person,
        original=person,
        forms=forms_,
        authorships=authorships[:SPLIT_RECORDS_SHOWN],
        more=max(0, total - SPLIT_RECORDS_SHOWN),
    )
    return TemplateResponse(request, "admin/catalogue/author/split.html", context)


def _merge_url(ids: list[int]) -> str:
    query = urlencode([("person", pk) for pk in ids])
    return (
        f"{reverse('admin:catalogue_author_merge')}?{query}"
        if query
        else reverse("admin:catalogue_author_merge")
    )


# The changes, with undo ----------------------------------------------------------------------


@admin.register(PersonChange)
class PersonChangeAdmin(admin.ModelAdmin):
    """Every merge and split of people, newest first; the "Undo" action reverses them."""

    list_display = ["__str__", "kind", "created", "user", "kept", "other", "moved", "undone"]
    list_filter = ["kind", ("undone", admin.EmptyFieldListFilter)]
    list_select_related = ["person", "user"]
    actions = ["undo_changes"]
    fields = ["kind", "created", "user", "person", "other_id", "removed_author", "authorship_ids"]
    readonly_fields = [*fields, "undone"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        # Whoever may see people may see how they were merged and split.
        return super().has_view_permission(request, obj) or request.user.has_perm(
            "catalogue.view_author"
        )

    def has_people_permission(self, request: HttpRequest) -> bool:
        return can_change_people(request)

    @admin.display(description="person")
    def kept(self, change: PersonChange) -> SafeString | str:
        if change.person is None:
            return "(gone)"
        url = reverse("admin:catalogue_author_change", args=[change.person_id])
        return format_html('<a href="{}">{}</a>', url, change.person.display_name)

    @admin.display(description="other person")
    def other(self, change: PersonChange) -> str:
        if change.kind == PersonChangeKind.MERGE and change.removed_author:
            data = change.removed_author
            removed = Author(**{name: data.get(name, "") for name in people.AUTHOR_FIELDS})
            return f"{removed.display_name} (#{change.other_id}, merged away)"
        return f"#{change.other_id} (split off)"

    @admin.display(description="records moved")
    def moved(self, change: PersonChange) -> int:
        return len(change.authorship_ids or [])

    @admin.action(description="Undo the selected changes", permissions=["people"])
    def undo_changes(self, request: HttpRequest, queryset: QuerySet[PersonChange]) -> None:
        # Newest first, so that a chain of changes comes undone in order.
        for change in queryset.order_by("-created", "-pk"):
            try:
                text = people.undo_change(change=change)
            except people.PeopleError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"Undid {change}: {text}")
