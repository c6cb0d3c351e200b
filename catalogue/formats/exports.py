"""Exports of a list of articles (journal, author, keyword, subject pages, search results).

Streamed in any export format, or as a formatted bibliography in a citation style, with the
Export control each list page offers.
"""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.text import slugify

from catalogue import conf
from catalogue.citations import available_styles, default_style, stream_bibliography
from catalogue.formats.negotiation import PLAIN_TEXT, TEXT_FORMAT
from catalogue.formats.registry import EXPORT_FORMATS
from catalogue.models import Article, Authorship, fold


class ExportRequestError(ValueError):
    """A bulk export asked for with bad parameters (answered with a 400)."""


def export_batch_size() -> int:
    """Return how many records a bulk export reads per batch (a few queries per batch)."""
    return int(conf.get("CATALOGUE_EXPORT_BATCH_SIZE"))


def bibliography_max() -> int:
    """Return the most entries a formatted bibliography download may have."""
    return int(conf.get("CITATION_BIBLIOGRAPHY_MAX"))


def export_basename(*parts: str) -> str:
    """Return a file name base from words: ("journal", "American Psychologist") ->
    "journal-american-psychologist"."""
    base = slugify(fold(" ".join(parts)))[:80].strip("-")
    return base or "catalogue-export"


def bibliography_order(articles: QuerySet[Article]) -> QuerySet[Article]:
    """Return the articles ordered as an author-date reference list reads: first author, year.

    The engine sorts each batch exactly as the style wants; this order makes batches follow
    one another alphabetically, so a long list reads in order too.
    """
    first = (
        Authorship.objects.filter(article=OuterRef("pk"))
        .order_by("position")
        .annotate(
            # The printed form, as the entries show it; the person's where none is stored.
            sort_name=Lower(
                Coalesce(
                    NullIf("family_name", Value("")),
                    NullIf("corporate_name", Value("")),
                    NullIf("author__family_name", Value("")),
                    "author__corporate_name",
                )
            )
        )
        .values("sort_name")[:1]
    )
    return articles.annotate(first_author_sort=Subquery(first)).order_by(
        "first_author_sort", "year", "title", "pk"
    )


def export_response(
    articles: QuerySet[Article], *, format: str | None, style: str | None, basename: str
) -> StreamingHttpResponse:
    """Return the articles streamed as a download in `format` (bibtex by default).

    `format` is an export format name or "text" for a formatted bibliography in `style`.
    Raises ExportRequestError (a 400) for an unknown format or style, or a bibliography
    longer than bibliography_max().
    """
    name = (format or "bibtex").strip().lower()
    batch_size = export_batch_size()
    if name in EXPORT_FORMATS:
        export = EXPORT_FORMATS[name]
        response = StreamingHttpResponse(
            export.stream(articles, batch_size=batch_size), content_type=export.content_type
        )
        filename = f"{basename}.{export.extension}"
    elif name == TEXT_FORMAT:
        chosen = (style or default_style()).strip()
        if chosen not in available_styles():
            raise ExportRequestError(
                f"Unknown citation style “{chosen[:50]}”; available styles: "
                f"{', '.join(available_styles())}."
            )
        count = articles.count()
        if count > bibliography_max():
            raise ExportRequestError(
                f"This list has {count:,} articles; a formatted bibliography can have at most "
                f"{bibliography_max():,}. Export BibTeX, RIS or CSL-JSON instead and format "
                "them in a reference manager."
            )
        chunks = stream_bibliography(
            bibliography_order(articles), style=chosen, fmt="text", batch_size=batch_size
        )
        response = StreamingHttpResponse(chunks, content_type=PLAIN_TEXT)
        filename = f"{basename}-{chosen}.txt"
    else:
        formats = ", ".join([*EXPORT_FORMATS, TEXT_FORMAT])
        raise ExportRequestError(f"Unknown format “{name[:50]}”; available formats: {formats}.")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def bad_export_response(error: ExportRequestError) -> HttpResponse:
    """Return a 400 with the error's message as plain text."""
    return HttpResponse(f"{error}\n", status=400, content_type=PLAIN_TEXT)


def export_menu(url: str) -> dict[str, Any]:
    """Return what the Export control of a list page offers: its URL, formats and styles."""
    return {
        "url": url,
        "formats": [(export.name, export.label) for export in EXPORT_FORMATS.values()],
        "text_format": TEXT_FORMAT,
        "styles": [(style.id, style.label) for style in available_styles().values()],
        "default_style": default_style(),
    }
