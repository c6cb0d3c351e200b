"""Django admin for librarians: articles with ordered authors, and their related records."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from catalogue import identifiers
from catalogue.models import Article, Author, Authorship, Journal, Keyword, SubjectArea


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
    inlines = [AuthorshipInline]
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["title", "output_type", "peer_reviewed", "abstract", "language"]}),
        (
            "Publication",
            {
                "fields": [
                    "journal",
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
