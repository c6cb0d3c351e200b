"""Exports of a list of articles (journal, author, keyword, subject pages, search results).

Streamed in any export format, or as a formatted bibliography in any citation style (the core
six and every style of the CSL repository) and locale, with the Export control each list page
offers. Bad parameters (format, style, locale) are a 400 with a one-line message pointing to
/styles/: an export URL is a download link, not a negotiated resource (the record page and
/doi/ answer 406 for the same values). A style the engine cannot build is a 422, the engine
down a 503.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from itertools import chain
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.text import slugify

from catalogue import conf
from catalogue.citations import (
    CitationEngineError,
    StyleError,
    available_locales,
    available_styles,
    default_style,
    stream_bibliography,
)
from catalogue.formats import negotiation
from catalogue.formats.negotiation import PLAIN_TEXT, TEXT_FORMAT, NotAcceptable
from catalogue.formats.registry import EXPORT_FORMATS
from catalogue.models import Article, Authorship, fold

logger = logging.getLogger(__name__)

# Written at the end of a bibliography whose engine failed after the response had started.
INCOMPLETE = (
    "\n[This bibliography is incomplete: the citation formatter failed part way. Try again, "
    "or export BibTeX, RIS or CSL-JSON and format them in a reference manager.]\n"
)


class ExportRequestError(ValueError):
    """A bulk export that cannot be made: bad parameters (400, the default), a style the
    engine cannot build (422), the engine down (503). `field` names the parameter."""

    def __init__(self, message: str, *, field: str = "format", status: int = 400) -> None:
        self.field = field
        self.status = status
        super().__init__(message)


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
    articles: QuerySet[Article],
    *,
    format: str | None,
    style: str | None,
    basename: str,
    locale: str | None = None,
) -> StreamingHttpResponse:
    """Return the articles streamed as a download in `format` (bibtex by default).

    `format` is an export format name or "text" for a formatted bibliography in `style` (any
    style id; empty: the default) and `locale` (any locale tag; empty: the style's own).
    Raises ExportRequestError for an unknown format, style or locale, a bibliography longer
    than bibliography_max() (400), or a style the engine cannot build (422, found before the
    response starts: the first batch is formatted here).
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
        chosen, language = bibliography_choice(style, locale)
        count = articles.count()
        if count > bibliography_max():
            raise ExportRequestError(
                f"This list has {count:,} articles; a formatted bibliography can have at most "
                f"{bibliography_max():,}. Export BibTeX, RIS or CSL-JSON instead and format "
                "them in a reference manager."
            )
        chunks = stream_bibliography(
            bibliography_order(articles),
            style=chosen,
            locale=language,
            fmt="text",
            batch_size=batch_size,
        )
        response = StreamingHttpResponse(started(chunks, chosen), content_type=PLAIN_TEXT)
        filename = "-".join(part for part in (basename, chosen, language) if part) + ".txt"
    else:
        formats = ", ".join([*EXPORT_FORMATS, TEXT_FORMAT])
        raise ExportRequestError(
            f"Unknown format “{negotiation.shown(name)}”; available formats: {formats}."
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def bibliography_choice(style: str | None, locale: str | None) -> tuple[str, str | None]:
    """Return the (style id, canonical locale or None) of ?style= and ?locale=, defaults for
    empty values; raise ExportRequestError (406, as content negotiation answers) naming an
    unknown one."""
    wanted_style = (style or "").strip() or default_style()
    wanted_locale = (locale or "").strip()
    try:
        chosen = negotiation.check_style(wanted_style)
    except NotAcceptable as error:
        raise ExportRequestError(error.reason, field="style", status=406) from None
    try:
        language = negotiation.check_locale(wanted_locale) if wanted_locale else None
    except NotAcceptable as error:
        raise ExportRequestError(error.reason, field="locale", status=406) from None
    return chosen, language


def started(chunks: Iterator[str], style: str) -> Iterator[str]:
    """Return the chunks with the first one made now, so that a style the engine cannot build
    or an engine that is down is an ExportRequestError (422, 503) rather than a broken
    download; a failure after that ends the download with the INCOMPLETE note."""
    try:
        first = next(chunks, "")
    except StyleError:
        logger.warning("Citation style %r cannot be formatted", style, exc_info=True)
        raise ExportRequestError(
            negotiation.style_error_text(style).strip(), field="style", status=422
        ) from None
    except CitationEngineError:
        logger.warning("The citation engine failed", exc_info=True)
        raise ExportRequestError(
            "The citation formatter is unavailable right now; please try again shortly.",
            status=503,
        ) from None
    return chain([first], _finished(chunks))


def _finished(chunks: Iterator[str]) -> Iterator[str]:
    try:
        yield from chunks
    except CitationEngineError:
        logger.warning("The citation engine failed during a bibliography", exc_info=True)
        yield INCOMPLETE


def bad_export_response(error: ExportRequestError) -> HttpResponse:
    """Return the error's status (400, 406, 422 or 503) with its message as plain text."""
    response = negotiation.plain_response(f"{error}\n", status=error.status)
    if error.status == 503:
        response["Retry-After"] = "60"
    return response


def export_menu(url: str, *, hidden: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Return what the Export control of a list page offers: its URL, formats, the core styles
    (suggested for a style id typed in), the locales and the style list's URL. `hidden` are
    (name, value) pairs the form carries along (a search's state)."""
    return {
        "url": url,
        "hidden": hidden or [],
        "formats": [(export.name, export.label) for export in EXPORT_FORMATS.values()],
        "text_format": TEXT_FORMAT,
        "styles": [(style.id, style.label) for style in available_styles().values()],
        "default_style": default_style(),
        "locales": list(available_locales().items()),
        "styles_url": negotiation.styles_url(),
    }
