"""What a request wants of an article or a list of articles, and the responses carrying it.

- Content negotiation as DOI resolvers do it: `Accept: application/x-bibtex`,
  `application/x-research-info-systems`, `application/vnd.citationstyles.csl+json` or
  `text/x-bibliography; style=<id>` (q-values honoured), or the same with `?format=` and
  `?style=`; HTML otherwise. Anything else is a `NotAcceptable` listing what is available.
- Bulk exports of a list of articles (journal, author, keyword, subject pages), streamed.
- What the article page embeds for people and reference managers: the "Cite this" box,
  Highwire Press `citation_*` meta tags, a COinS span, schema.org JSON-LD and
  `<link rel="alternate">` links.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Lower, NullIf
from django.http import HttpResponse, StreamingHttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from catalogue.citations import (
    ArticleRecord,
    CitationEngineError,
    Name,
    as_record,
    available_styles,
    render_citation,
    render_citations,
    stream_bibliography,
)
from catalogue.exporters import EXPORT_FORMATS, ExportFormat, _plain, citation_key
from catalogue.models import Article, Authorship, OutputType, fold

HTML = "text/html"
BIBLIOGRAPHY = "text/x-bibliography"
PLAIN_TEXT = "text/plain; charset=utf-8"
# ?format= values: the export formats, a plain-text bibliography entry, the page itself.
TEXT_FORMAT = "text"
HTML_FORMAT = "html"
# Other names clients use for the same representations.
_ALIASES = {
    "application/xhtml+xml": HTML,
    "application/citeproc+json": EXPORT_FORMATS["csl-json"].media_type,
}
# The specificity of a media range: exact beats type/* beats */*.
_EXACT, _TYPE_WILDCARD, _ANY = 3, 2, 1


def default_style() -> str:
    """Return the style used when none is asked for (settings.CITATION_DEFAULT_STYLE)."""
    return getattr(settings, "CITATION_DEFAULT_STYLE", "apa")


# --- Content negotiation -------------------------------------------------------------------------


class NotAcceptable(ValueError):
    """Nothing the catalogue offers matches what the request asked for."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Representation:
    """One way of answering for an article: the HTML page, an export, or a formatted entry."""

    kind: str  # "html", "export" or "bibliography"
    export: ExportFormat | None = None
    style: str = ""
    # Asked for with ?format= (a link a person follows) rather than with an Accept header.
    from_query: bool = False

    @property
    def is_html(self) -> bool:
        return self.kind == "html"


@dataclass(frozen=True)
class MediaRange:
    type: str  # "text/html", "text/*", "*/*"
    params: dict[str, str]
    q: float

    def specificity(self, media_type: str) -> int:
        """Return how specifically this range matches `media_type` (0: it does not)."""
        if self.type == media_type:
            return _EXACT
        if self.type == "*/*":
            return _ANY
        major, _, minor = self.type.partition("/")
        if minor == "*" and media_type.split("/")[0] == major:
            return _TYPE_WILDCARD
        return 0


_MEDIA_RANGE = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*")+')
_MEDIA_TYPE = re.compile(r"\*/\*|[\w.+-]+/(?:\*|[\w.+-]+)")
_PARAMETER = re.compile(r'\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


def parse_accept(header: str) -> list[MediaRange]:
    """Return the media ranges of an Accept header; malformed ones are left out."""
    ranges = []
    for match in _MEDIA_RANGE.finditer(header or ""):
        media_type, *raw_params = match.group().split(";")
        media_type = media_type.strip().lower()
        if media_type == "*":
            # Old clients (and Java's URLConnection) send a bare "*".
            media_type = "*/*"
        if not _MEDIA_TYPE.fullmatch(media_type):
            continue
        media_type = _ALIASES.get(media_type, media_type)
        params: dict[str, str] = {}
        for raw in raw_params:
            parameter = _PARAMETER.match(raw)
            if parameter:
                value = parameter.group(2).strip()
                if value.startswith('"') and value.endswith('"') and len(value) > 1:
                    value = re.sub(r"\\(.)", r"\1", value[1:-1])
                params[parameter.group(1).lower()] = value
        q = 1.0
        if "q" in params:
            try:
                q = float(params.pop("q"))
            except ValueError:
                continue
            if not 0 <= q <= 1:
                continue
        ranges.append(MediaRange(type=media_type, params=params, q=q))
    return ranges


def available_media_types() -> list[str]:
    """Return the media types an article can be had in, HTML first."""
    return [
        HTML,
        *(export.media_type for export in EXPORT_FORMATS.values()),
        f"{BIBLIOGRAPHY}; style=<style id>",
    ]


def available_text(reason: str = "") -> str:
    """Return the plain-text body of a 406: the reason, then every media type and style id."""
    lines = [reason, ""] if reason else []
    lines += ["Available media types (Accept header):"]
    lines += [f"  {media_type}" for media_type in available_media_types()]
    lines += ["", f"Style ids for {BIBLIOGRAPHY} (default {default_style()}):"]
    lines += [f"  {style.id}  ({style.label})" for style in available_styles().values()]
    lines += ["", "Or ask with the query string:"]
    formats = [HTML_FORMAT, *EXPORT_FORMATS, TEXT_FORMAT]
    lines += [f"  ?format={'|'.join(formats)}", "  ?format=text&style=<style id>", ""]
    return "\n".join(lines)


def _check_style(style: str) -> str:
    if style not in available_styles():
        styles = ", ".join(available_styles())
        raise NotAcceptable(f"Unknown citation style “{style[:50]}”; available styles: {styles}.")
    return style


def negotiate(
    *, accept: str | None, format: str | None = None, style: str | None = None
) -> Representation:
    """Return the representation a request wants, or raise NotAcceptable saying why not.

    `format`/`style` are the ?format= and ?style= values and win over the Accept header;
    `?style=` alone means a formatted entry in that style. Accept is read as RFC 9110 says:
    the most specific matching range sets a type's q, the highest q wins, then the more
    specific match, then the catalogue's order (HTML first). No or an empty Accept is HTML.
    """
    format = (format or "").strip().lower() or None
    style = (style or "").strip() or None
    if style is not None:
        style = _check_style(style)
    if format is not None or style is not None:
        return _from_query(format or TEXT_FORMAT, style)
    if not accept or not accept.strip():
        return Representation(kind="html")
    ranges = parse_accept(accept)
    candidates: list[tuple[str, Representation]] = [(HTML, Representation(kind="html"))]
    candidates += [
        (export.media_type, Representation(kind="export", export=export))
        for export in EXPORT_FORMATS.values()
    ]
    # A text/x-bibliography range names its style: each named style is its own candidate.
    unknown = ""
    styles = [default_style()]
    for media_range in ranges:
        named = media_range.params.get("style", "").strip()
        if media_range.type == BIBLIOGRAPHY and named:
            if named in available_styles():
                styles.append(named)
            else:
                unknown = named
    for name in dict.fromkeys(styles):
        candidates.append((BIBLIOGRAPHY, Representation(kind="bibliography", style=name)))

    best: tuple[float, int, int] | None = None
    chosen: Representation | None = None
    for order, (media_type, representation) in enumerate(candidates):
        q, specificity = _quality(ranges, media_type, representation.style)
        if q <= 0:
            continue
        rank = (q, specificity, -order)
        if best is None or rank > best:
            best, chosen = rank, representation
    if chosen is None:
        if unknown:
            _check_style(unknown)
        asked = ", ".join(media_range.type for media_range in ranges) or accept.strip()[:200]
        raise NotAcceptable(f"Nothing here matches “Accept: {asked}”.")
    return chosen


def _quality(ranges: list[MediaRange], media_type: str, style: str) -> tuple[float, int]:
    """Return (q, specificity) of the most specific range matching the type (0, 0: none)."""
    found: tuple[int, float] = (0, 0.0)
    for media_range in ranges:
        specificity = media_range.specificity(media_type)
        if not specificity:
            continue
        if specificity == _EXACT and media_type == BIBLIOGRAPHY:
            named = media_range.params.get("style", "").strip()
            if named and named != style:
                continue
            # "text/x-bibliography; style=apa" is more specific than "text/x-bibliography".
            specificity += 1 if named else 0
            if not named and style != default_style():
                continue
        if specificity > found[0]:
            found = (specificity, media_range.q)
    return found[1], found[0]


def _from_query(format: str, style: str | None) -> Representation:
    if format == HTML_FORMAT:
        return Representation(kind="html", from_query=True)
    if format == TEXT_FORMAT:
        return Representation(kind="bibliography", style=style or default_style(), from_query=True)
    if format in EXPORT_FORMATS:
        return Representation(kind="export", export=EXPORT_FORMATS[format], from_query=True)
    formats = ", ".join([HTML_FORMAT, *EXPORT_FORMATS, TEXT_FORMAT])
    raise NotAcceptable(f"Unknown format “{format[:50]}”; available formats: {formats}.")


def negotiate_request(request: Any) -> Representation:
    """Return the representation `request` wants (its Accept header, ?format= and ?style=)."""
    return negotiate(
        accept=request.headers.get("Accept"),
        format=request.GET.get("format"),
        style=request.GET.get("style"),
    )


def vary_on_accept(response: HttpResponse) -> HttpResponse:
    """Return the response marked as varying with the Accept header."""
    patch_vary_headers(response, ["Accept"])
    return response


def not_acceptable_response(error: NotAcceptable) -> HttpResponse:
    """Return a 406 whose plain-text body says why and lists what is available."""
    response = HttpResponse(available_text(error.reason), status=406, content_type=PLAIN_TEXT)
    return vary_on_accept(response)


def representation_response(article: Article, wanted: Representation) -> HttpResponse:
    """Return the article as an export or a formatted entry (not HTML), marked Vary: Accept.

    An export asked for with ?format= is an attachment (a download); with Accept, inline.
    A formatted entry is text/x-bibliography for Accept and text/plain for ?format=text.
    """
    record = as_record(article)
    key = citation_key(record)
    disposition = "attachment" if wanted.from_query else "inline"
    if wanted.kind == "export":
        export = wanted.export
        response = HttpResponse(export.render(record), content_type=export.content_type)
        response["Content-Disposition"] = f'{disposition}; filename="{export.filename(record)}"'
        return vary_on_accept(response)
    try:
        text = render_citation(record, style=wanted.style)["text"]
    except CitationEngineError:
        response = HttpResponse(
            "The citation formatter is unavailable right now; please try again shortly.\n",
            status=503,
            content_type=PLAIN_TEXT,
        )
        response["Retry-After"] = "60"
        return vary_on_accept(response)
    content_type = PLAIN_TEXT if wanted.from_query else f"{BIBLIOGRAPHY}; charset=utf-8"
    response = HttpResponse(text + "\n", content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{key}-{wanted.style}.txt"'
    return vary_on_accept(response)


# --- Bulk exports --------------------------------------------------------------------------------


class ExportRequestError(ValueError):
    """A bulk export asked for with bad parameters (answered with a 400)."""


def export_batch_size() -> int:
    """Return how many records a bulk export reads per batch (a few queries per batch)."""
    return int(getattr(settings, "CATALOGUE_EXPORT_BATCH_SIZE", 1000))


def bibliography_max() -> int:
    """Return the most entries a formatted bibliography download may have."""
    return int(getattr(settings, "CITATION_BIBLIOGRAPHY_MAX", 5000))


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
            sort_name=Lower(
                Coalesce(NullIf("author__family_name", Value("")), "author__corporate_name")
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


# --- The article page: Cite box and machine-readable metadata ------------------------------------


@dataclass(frozen=True)
class CiteEntry:
    """One tab of the Cite box: a style's formatted entry or an export's text."""

    id: str
    label: str
    kind: str  # "style" or "export"
    text: str
    html: str = ""
    download_url: str = ""


def cite_box(record: ArticleRecord, *, url: str) -> dict[str, Any]:
    """Return the Cite box's entries (every configured style, then BibTeX and RIS).

    The styles come from one render_citations call (cached; one engine process when cold).
    If the engine fails, the box still offers BibTeX and RIS, with `error` set.
    """
    entries: list[CiteEntry] = []
    error = ""
    try:
        citations = render_citations(record)
    except CitationEngineError:
        citations = {}
        error = "Formatted citations are unavailable right now; BibTeX and RIS are below."
    styles = available_styles()
    for style_id, citation in citations.items():
        entries.append(
            CiteEntry(
                id=style_id,
                label=styles[style_id].label,
                kind="style",
                text=citation["text"],
                # The engine escapes everything user-supplied; only its own markup is left.
                html=mark_safe(citation["html"]),  # noqa: S308
                download_url=f"{url}?{urlencode({'format': TEXT_FORMAT, 'style': style_id})}",
            )
        )
    for name in ("bibtex", "ris"):
        export = EXPORT_FORMATS[name]
        text = export.render(record).replace("\r\n", "\n").strip()
        entries.append(
            CiteEntry(
                id=name,
                label=export.label,
                kind="export",
                text=text,
                download_url=f"{url}?format={name}",
            )
        )
    return {
        "entries": entries,
        "default": default_style() if citations else entries[0].id,
        "error": error,
        "downloads": [
            (export.label, f"{url}?format={export.name}") for export in EXPORT_FORMATS.values()
        ],
    }


def alternates(*, url: str) -> list[tuple[str, str, str]]:
    """Return (media type, href, title) of the article's other representations."""
    return [
        (export.media_type, f"{url}?format={export.name}", export.label)
        for export in EXPORT_FORMATS.values()
    ]


def _date(record: ArticleRecord, separator: str) -> str:
    parts = [f"{record.year:04d}"] if record.year else []
    if record.year and record.month:
        parts.append(f"{record.month:02d}")
        if record.day:
            parts.append(f"{record.day:02d}")
    return separator.join(parts)


def _inverted(name: Name) -> str:
    if name.corporate:
        return one_space(name.corporate)
    family = " ".join(part for part in (name.particle, name.family) if part)
    parts = [family, name.given, name.suffix]
    return ", ".join(one_space(part) for part in parts if part)


def _display(name: Name) -> str:
    if name.corporate:
        return one_space(name.corporate)
    parts = [name.given, name.particle, name.family]
    text = " ".join(one_space(part) for part in parts if part)
    return f"{text} {one_space(name.suffix)}" if name.suffix else text


def one_space(text: str) -> str:
    """Return the text with runs of whitespace collapsed to one space."""
    return " ".join(text.split())


def highwire_tags(record: ArticleRecord) -> list[tuple[str, str]]:
    """Return the Highwire Press (Google Scholar) `citation_*` meta tags as (name, content).

    Authors come one tag each in position order; ISSNs and keywords one tag each; dates are
    YYYY/MM/DD at the stored precision. The values are plain text (the template escapes).
    """
    tags: list[tuple[str, str]] = [("citation_title", _plain(record.title))]
    tags += [("citation_author", _inverted(name)) for name in record.authors]
    date = _date(record, "/")
    if date:
        tags += [("citation_publication_date", date), ("citation_date", date)]
    tags += [
        ("citation_journal_title", one_space(_plain(record.journal_title))),
        ("citation_journal_abbrev", one_space(record.journal_abbreviation)),
        ("citation_publisher", one_space(record.publisher)),
        # Google Scholar reads a thesis's school and a report's institution from these.
        (_INSTITUTION_TAGS.get(record.output_type, ""), one_space(record.publisher)),
        ("citation_volume", record.volume),
        ("citation_issue", record.issue),
        # An article number stands in for the first page, as PLOS and others publish it.
        ("citation_firstpage", str(record.first_page or record.article_number or "")),
        ("citation_lastpage", str(record.last_page or "")),
        ("citation_doi", record.doi),
        ("citation_pmid", record.pmid),
    ]
    tags += [("citation_issn", issn) for issn in record.issns]
    tags += [("citation_keywords", one_space(term)) for term in record.keywords]
    tags += [
        ("citation_language", record.language),
        ("citation_abstract", _plain(record.abstract)),
    ]
    return [(name, value.strip()) for name, value in tags if name and value and value.strip()]


_INSTITUTION_TAGS = {
    OutputType.THESIS: "citation_dissertation_institution",
    OutputType.REPORT: "citation_technical_report_institution",
}


_COINS_BOOK_GENRES = {
    OutputType.BOOK: "book",
    OutputType.CHAPTER: "bookitem",
    OutputType.REPORT: "report",
}
_COINS_JOURNAL_GENRES = {
    OutputType.CONFERENCE_PAPER: "proceeding",
    OutputType.CONFERENCE_ABSTRACT: "conference",
    OutputType.PREPRINT: "preprint",
}


def coins(record: ArticleRecord) -> str:
    """Return the OpenURL ContextObject (KEV, Z39.88-2004) for a COinS span's title.

    URL-encoded here; the template HTML-escapes it (the `&`s) into the attribute.
    """
    book_genre = _COINS_BOOK_GENRES.get(record.output_type)
    pairs: list[tuple[str, str]] = [("ctx_ver", "Z39.88-2004")]
    title = _plain(record.title)
    container = one_space(_plain(record.journal_title))
    if book_genre:
        pairs += [("rft_val_fmt", "info:ofi/fmt:kev:mtx:book"), ("rft.genre", book_genre)]
        if book_genre == "bookitem":
            pairs += [("rft.atitle", title), ("rft.btitle", container)]
        else:
            pairs += [("rft.btitle", title)]
    else:
        genre = _COINS_JOURNAL_GENRES.get(record.output_type, "article")
        pairs += [("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"), ("rft.genre", genre)]
        pairs += [("rft.atitle", title), ("rft.jtitle", container)]
        pairs += [("rft.stitle", one_space(record.journal_abbreviation))]
    if record.authors:
        first = record.authors[0]
        if first.corporate:
            pairs.append(("rft.aucorp", one_space(first.corporate)))
        else:
            family = " ".join(part for part in (first.particle, first.family) if part)
            pairs += [("rft.aulast", one_space(family)), ("rft.aufirst", one_space(first.given))]
            pairs.append(("rft.ausuffix", one_space(first.suffix)))
    pairs += [("rft.au", _display(name)) for name in record.authors]
    pairs += [
        ("rft.date", _date(record, "-")),
        ("rft.volume", record.volume),
        ("rft.issue", record.issue),
        ("rft.spage", str(record.first_page or "")),
        ("rft.epage", str(record.last_page or "")),
        ("rft.pages", record.page_range),
        ("rft.artnum", record.article_number),
        ("rft.pub", one_space(record.publisher)),
        ("rft.language", record.language),
    ]
    if record.issns:
        pairs.append(("rft.issn", record.issns[0]))
    if len(record.issns) > 1:
        pairs.append(("rft.eissn", record.issns[1]))
    if record.doi:
        pairs.append(("rft_id", f"info:doi/{record.doi}"))
    if record.pmid:
        pairs.append(("rft_id", f"info:pmid/{record.pmid}"))
    if record.url:
        pairs.append(("rft_id", record.url))
    return urlencode([(key, value) for key, value in pairs if value], quote_via=quote)


_SCHEMA_TYPES = {
    OutputType.BOOK: "Book",
    OutputType.CHAPTER: "Chapter",
    OutputType.REPORT: "Report",
    OutputType.THESIS: "Thesis",
    OutputType.DATASET: "Dataset",
    OutputType.WEBPAGE: "WebPage",
}
# What json.dumps leaves that could end a <script> element or open a comment in it.
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld_data(record: ArticleRecord, *, url: str) -> dict[str, Any]:
    """Return the schema.org description of the article (ScholarlyArticle for journal items)."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": _SCHEMA_TYPES.get(record.output_type, "ScholarlyArticle"),
        "@id": url,
        "url": url,
        "name": _plain(record.title),
        "headline": _plain(record.title)[:110],
    }
    authors = []
    for name in record.authors:
        if name.corporate:
            authors.append({"@type": "Organization", "name": one_space(name.corporate)})
            continue
        person = {"@type": "Person", "name": _display(name), "familyName": one_space(name.family)}
        if name.given:
            person["givenName"] = one_space(name.given)
        if name.particle:
            person["familyName"] = one_space(f"{name.particle} {name.family}")
        if name.suffix:
            person["honorificSuffix"] = one_space(name.suffix)
        authors.append(person)
    if authors:
        data["author"] = authors
    date = _date(record, "-")
    if date:
        data["datePublished"] = date
    if record.is_in_press:
        data["creativeWorkStatus"] = "In press"
    container: dict[str, Any] | None = None
    if record.journal_title:
        container = {"@type": "Periodical", "name": one_space(_plain(record.journal_title))}
        if record.journal_abbreviation:
            container["alternateName"] = one_space(record.journal_abbreviation)
        if record.issns:
            container["issn"] = record.issns
        if record.publisher:
            container["publisher"] = {"@type": "Organization", "name": record.publisher}
        if record.volume:
            container = {
                "@type": "PublicationVolume",
                "volumeNumber": record.volume,
                "isPartOf": container,
            }
        if record.issue:
            container = {
                "@type": "PublicationIssue",
                "issueNumber": record.issue,
                "isPartOf": container,
            }
        data["isPartOf"] = container
    if record.first_page:
        data["pageStart"] = str(record.first_page)
    if record.last_page:
        data["pageEnd"] = str(record.last_page)
    if record.page_range or record.article_number:
        data["pagination"] = record.page_range or record.article_number
    identifiers = []
    if record.doi:
        identifiers.append({"@type": "PropertyValue", "propertyID": "DOI", "value": record.doi})
        data["sameAs"] = f"https://doi.org/{record.doi}"
    if record.pmid:
        identifiers.append({"@type": "PropertyValue", "propertyID": "PMID", "value": record.pmid})
    if identifiers:
        data["identifier"] = identifiers
    if record.abstract.strip():
        data["abstract"] = _plain(record.abstract)
    if record.keywords:
        data["keywords"] = [one_space(term) for term in record.keywords]
    if record.language:
        data["inLanguage"] = record.language
    return data


def json_ld(record: ArticleRecord, *, url: str) -> SafeString:
    """Return the JSON-LD as text safe inside <script type="application/ld+json">."""
    text = json.dumps(json_ld_data(record, url=url), ensure_ascii=False, indent=1)
    return mark_safe(text.translate(_SCRIPT_ESCAPES))  # noqa: S308 - <, > and & are escaped


def article_page_context(article: Article, *, url: str) -> dict[str, Any]:
    """Return the Cite box and the metadata for the article page; `url` is its absolute URL.

    Uses the article's prefetched authors and keywords (no queries) and the citation cache.
    """
    record = as_record(article)
    path = article.get_absolute_url()
    return {
        "cite": cite_box(record, url=path),
        "highwire": highwire_tags(record),
        "coins": coins(record),
        "json_ld": json_ld(record, url=url),
        "alternates": alternates(url=path),
    }
