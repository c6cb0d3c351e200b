"""Django admin for librarians: articles with ordered authors, and their related records."""

from django import forms
from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from catalogue import citations, identifiers, summaries
from catalogue.models import (
    Article,
    Author,
    Authorship,
    EvidenceSummary,
    ImportBatch,
    ImportRecord,
    Journal,
    Keyword,
    LiteratureEntry,
    SubjectArea,
)


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    fields = ["position", "author", "affiliation"]
    autocomplete_fields = ["author"]
    ordering = ["position"]
    extra = 1

    def get_queryset(self, request: HttpRequest) -> QuerySet[Authorship]:
        """Return the authorships with their authors, in position order."""
        return super().get_queryset(request).select_related("author")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "journal", "year", "output_type", "state"]
    list_filter = ["output_type", "state", "peer_reviewed", "language"]
    list_select_related = ["journal"]
    search_fields = ["title", "doi"]
    autocomplete_fields = ["journal", "keywords", "subject_areas"]
    readonly_fields = ["created", "updated"]
    # A URL typed without a scheme means https (Django 6's default, chosen now).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [AuthorshipInline]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["title", "output_type", "peer_reviewed", "abstract", "language"]}),
        (
            "Publication",
            {
                "fields": [
                    "journal",
                    "publisher",
                    ("volume", "issue"),
                    ("first_page", "last_page"),
                    ("article_number", "page_count"),
                    "state",
                    ("year", "month", "day"),
                ]
            },
        ),
        ("Identifiers", {"fields": ["doi", "pmid", "url"]}),
        ("Classification", {"fields": ["keywords", "subject_areas"]}),
        ("Notes", {"fields": ["bibliographical_note", "created", "updated"]}),
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Article], search_term: str
    ) -> tuple[QuerySet[Article], bool]:
        """Return the title/DOI matches, plus the article whose DOI the term is in any form."""
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


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["sort_name", "orcid"]
    search_fields = ["family_name", "given_names", "corporate_name", "orcid"]
    fieldsets = [
        ("Person", {"fields": ["given_names", "particle", "family_name", "suffix"]}),
        ("Organisation", {"fields": ["corporate_name"]}),
        (None, {"fields": ["orcid"]}),
    ]

    @admin.display(description="name", ordering="family_name")
    def sort_name(self, author: Author) -> str:
        return author.sort_name


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


# --- Evidence summaries ------------------------------------------------------------------------
# Owned by the evidence-summary work (catalogue/summaries.py).


class LiteratureEntryForm(forms.ModelForm):
    class Meta:
        model = LiteratureEntry
        fields = ["position", "article", "citation_text", "note"]
        widgets = {
            "citation_text": forms.Textarea(attrs={"rows": 2, "cols": 60}),
            "note": forms.Textarea(attrs={"rows": 1, "cols": 30}),
        }

    def clean(self) -> dict:
        """Fill an empty citation text from the chosen record, in APA."""
        cleaned = super().clean()
        article = cleaned.get("article")
        if cleaned.get("citation_text", "").strip() or "article" in self.errors:
            return cleaned
        if article is None:
            self.add_error("citation_text", "Type the reference, or choose the record it cites.")
            return cleaned
        try:
            cleaned["citation_text"] = summaries.citation_text_for(article=article)
        except citations.CitationEngineError:
            self.add_error(
                "citation_text",
                "The reference could not be formatted from the record just now: type it in.",
            )
        return cleaned


class LiteratureEntryInline(admin.TabularInline):
    model = LiteratureEntry
    form = LiteratureEntryForm
    autocomplete_fields = ["article"]
    ordering = ["position"]
    extra = 1
    verbose_name = "literature entry"
    verbose_name_plural = "literature (in the order shown on the page)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[LiteratureEntry]:
        """Return the entries with their articles, in position order."""
        return super().get_queryset(request).select_related("article")


class PublicationFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("published", "Published"), ("scheduled", "Scheduled"), ("draft", "Draft")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        published = EvidenceSummary.objects.published()
        if self.value() == "published":
            return queryset.filter(pk__in=published.values("pk"))
        if self.value() == "scheduled":
            return queryset.filter(published__isnull=False).exclude(pk__in=published.values("pk"))
        if self.value() == "draft":
            return queryset.filter(published__isnull=True)
        return queryset


class UnlinkedLiteratureFilter(admin.SimpleListFilter):
    title = "literature"
    parameter_name = "literature"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list:
        return [("unlinked", "Has entries not linked to a record")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "unlinked":
            return queryset.with_unlinked_literature()
        return queryset


@admin.register(EvidenceSummary)
class EvidenceSummaryAdmin(admin.ModelAdmin):
    list_display = ["title", "author", "audience", "published", "last_reviewed"]
    list_filter = [PublicationFilter, "audience", UnlinkedLiteratureFilter, "published"]
    list_select_related = ["author"]
    search_fields = ["title", "question", "standfirst", "body", "author__family_name"]
    autocomplete_fields = ["author"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["preview", "created", "updated"]
    inlines = [LiteratureEntryInline]
    date_hierarchy = "published"
    fieldsets = [
        (None, {"fields": ["title", "slug", "audience", ("published", "last_reviewed")]}),
        ("The question and the answer", {"fields": ["question", "standfirst", "body"]}),
        ("Author", {"fields": ["author", "author_bio"]}),
        ("Preview", {"fields": ["preview", "created", "updated"]}),
    ]

    @admin.display(description="Body as readers see it")
    def preview(self, summary: EvidenceSummary) -> SafeString | str:
        """Return the saved body rendered and sanitised as on the site, with a link to the page."""
        if summary.pk is None:
            return "Save the summary to see its preview."
        return format_html(
            '<p><a href="{}">Open the page</a> (drafts are shown to staff only)</p>'
            '<div class="summary-preview" style="max-width: 48rem">{}</div>',
            summary.get_absolute_url(),
            summaries.render_markdown(text=summary.body),
        )


class ImportRecordInline(admin.TabularInline):
    model = ImportRecord
    fields = ["line", "key", "action", "article", "similar_to", "title", "et_al", "note"]
    readonly_fields = fields
    can_delete = False
    extra = 0
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("article", "similar_to")


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Read-only record of every BibTeX import; undo happens on the import history page."""

    list_display = [
        "pk",
        "filename",
        "user",
        "created",
        "status",
        "created_count",
        "updated_count",
        "duplicate_count",
        "probable_duplicate_count",
        "failed_count",
    ]
    list_filter = ["status"]
    search_fields = ["filename", "checksum"]
    list_select_related = ["user"]
    exclude = ["source"]
    inlines = [ImportRecordInline]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return [field.name for field in self.model._meta.fields if field.name != "source"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def view_on_site(self, obj: ImportBatch) -> str:
        return reverse("catalogue:import-detail", args=[obj.pk])
