"""Admin for evidence summaries and their literature lists (catalogue/summaries.py)."""

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from catalogue import citations, summaries
from catalogue.models import EvidenceSummary, LiteratureEntry


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
