"""Admin for articles (their authors' name forms, contributors and bibliographic fields),
journals, keywords and subject areas. People are in `people.py`."""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from catalogue import identifiers, topics
from catalogue.models import (
    Article,
    Authorship,
    Contributor,
    Journal,
    Keyword,
    SubjectArea,
)
from catalogue.records import assign_citation_key

PRINTED_NAME_FIELDS = ["family_name", "given_names", "particle", "suffix", "corporate_name"]
NARROW = {"size": 12}


class AuthorshipForm(forms.ModelForm):
    class Meta:
        model = Authorship
        fields = ["position", "author", *PRINTED_NAME_FIELDS, "affiliation"]
        widgets = {
            "particle": forms.TextInput(attrs={"size": 6}),
            "suffix": forms.TextInput(attrs={"size": 4}),
            "given_names": forms.TextInput(attrs=NARROW),
            "family_name": forms.TextInput(attrs=NARROW),
            "corporate_name": forms.TextInput(attrs=NARROW),
            "affiliation": forms.Textarea(attrs={"rows": 1, "cols": 24}),
        }
        labels = {"author": "person", "family_name": "printed family name"}

    def clean(self) -> dict:
        """Fill an empty printed name from the chosen person, so that no slot is nameless."""
        cleaned = super().clean()
        author = cleaned.get("author")
        if author is not None and not any(
            (cleaned.get(name) or "").strip() for name in PRINTED_NAME_FIELDS
        ):
            for name in PRINTED_NAME_FIELDS:
                cleaned[name] = getattr(author, name) or ""
        elif cleaned.get("corporate_name") and (
            cleaned.get("family_name") or cleaned.get("given_names")
        ):
            self.add_error(
                "corporate_name",
                "A name is either a person's (family and given names) or a corporate name.",
            )
        return cleaned


class AuthorshipInline(admin.TabularInline):
    """The authors in order: each slot's name as printed, and the person it names."""

    model = Authorship
    form = AuthorshipForm
    autocomplete_fields = ["author"]
    ordering = ["position"]
    extra = 1
    verbose_name = "author"
    verbose_name_plural = (
        "authors (the name as the source printed it; leave it empty to use the person's name)"
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Authorship]:
        """Return the authorships with their people, in position order."""
        return super().get_queryset(request).select_related("author")


class ContributorInline(admin.TabularInline):
    """Editors, translators, the book's authors, ... in order within each role, as printed."""

    model = Contributor
    fields = ["role", "position", *PRINTED_NAME_FIELDS]
    ordering = ["role", "position"]
    extra = 0
    verbose_name = "contributor"
    verbose_name_plural = "contributors (editors, translators, ...; as printed)"
    formfield_overrides = {models.CharField: {"widget": forms.TextInput(attrs=NARROW)}}


class LanguageListFilter(admin.AllValuesFieldListFilter):
    """The article languages by name ("Chinese", not "zh"), in the order of their names."""

    def __init__(self, field, request, params, model, model_admin, field_path) -> None:
        super().__init__(field, request, params, model, model_admin, field_path)
        self.lookup_choices = sorted(
            self.lookup_choices, key=lambda code: identifiers.language_name(code).casefold()
        )

    def choices(self, changelist):
        """Yield Django's choices with each code's display replaced by its language's name."""
        codes = set(self.lookup_choices)
        for choice in super().choices(changelist):
            if choice["display"] in codes:
                choice = {**choice, "display": identifiers.language_name(choice["display"])}
            yield choice


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "journal", "year", "output_type", "state"]
    list_filter = ["output_type", "state", "peer_reviewed", ("language", LanguageListFilter)]
    list_select_related = ["journal"]
    search_fields = ["title", "doi", "=citation_key"]
    autocomplete_fields = ["journal", "keywords", "subject_areas"]
    readonly_fields = ["page_numbers", "created", "updated"]
    # A URL typed without a scheme means https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [AuthorshipInline, ContributorInline]
    show_full_result_count = False

    class Media:
        css = {"all": ["catalogue/admin_articles.css"]}

    fieldsets = [
        (None, {"fields": ["title", "output_type", "peer_reviewed", "abstract", "language"]}),
        ("Authors", {"fields": ["et_al"]}),
        (
            "Publication",
            {
                "fields": [
                    "journal",
                    "book_title",
                    ("edition", "chapter"),
                    ("series", "series_number"),
                    ("publisher", "place"),
                    ("volume", "issue"),
                    ("pages", "page_numbers"),
                    ("article_number", "page_count"),
                    "state",
                    ("year", "month", "day"),
                    "date_text",
                ]
            },
        ),
        (
            "Reports, theses and other publications",
            {"fields": [("genre", "report_number"), "howpublished"]},
        ),
        (
            "Identifiers",
            {
                "fields": [
                    "doi",
                    "pmid",
                    "isbn",
                    ("url", "accessed"),
                    ("eprint", "eprint_type", "eprint_class"),
                    "citation_key",
                ]
            },
        ),
        ("Classification", {"fields": ["keywords", "subject_areas"]}),
        ("Notes", {"fields": ["bibliographical_note", "created", "updated"]}),
    ]

    # The article's form and list need the page's width at 1280 px (a tabular inline of
    # printed names, long titles): no navigation sidebar here; the breadcrumbs lead back.
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Show the article form without the navigation sidebar."""
        extra_context = {**(extra_context or {}), "is_nav_sidebar_enabled": False}
        return super().changeform_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        """Show the article list without the navigation sidebar."""
        extra_context = {**(extra_context or {}), "is_nav_sidebar_enabled": False}
        return super().changelist_view(request, extra_context)

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        """Return the field's form field; a title's box is three lines, not an abstract's ten."""
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "title" and formfield is not None:
            formfield.widget.attrs["rows"] = 3
        return formfield

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # After the authorships: the generated key is made from the first author.
        assign_citation_key(article=form.instance)
        # After the keywords and subjects too: the record's research topics and related
        # records, against the stored catalogue statistics.
        topics.update_articles([form.instance.pk])

    @admin.display(description="page numbers")
    def page_numbers(self, article: Article) -> str:
        """Return the first and last page derived from the printed pages (never typed)."""
        if article.first_page is None:
            return "none (the pages are not plain numbers)" if article.pages else "-"
        if article.last_page and article.last_page != article.first_page:
            return f"{article.first_page} to {article.last_page}"
        return str(article.first_page)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Article], search_term: str
    ) -> tuple[QuerySet[Article], bool]:
        """Return the title/DOI/key matches, plus the article whose DOI the term is in any form."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        doi = identifiers.normalise_doi(search_term)
        if identifiers.DOI_PATTERN.match(doi):
            # A pasted "https://doi.org/10.1037/A0040435" does not contain the stored DOI.
            results |= queryset.filter(doi=doi)
        return results, may_have_duplicates


@admin.register(Journal)
class JournalAdmin(admin.ModelAdmin):
    list_display = ["title", "abbreviated_title", "issn_print", "issn_electronic", "publisher"]
    search_fields = ["title", "abbreviated_title", "issn_print", "issn_electronic"]


@admin.register(Keyword)
class KeywordAdmin(admin.ModelAdmin):
    list_display = ["term", "slug"]
    search_fields = ["term"]
    prepopulated_fields = {"slug": ["term"]}


@admin.register(SubjectArea)
class SubjectAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "scheme", "parent"]
    list_filter = ["scheme"]
    list_select_related = ["parent"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]
