"""What a request wants of an article, and the response carrying it.

Content negotiation as DOI resolvers do it: `Accept: application/x-bibtex`,
`application/x-research-info-systems`, `application/vnd.citationstyles.csl+json` or
`text/x-bibliography; style=<id>` (q-values honoured), or the same with `?format=` and
`?style=`; HTML otherwise. Anything else is a `NotAcceptable` listing what is available.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

from catalogue.citations import (
    CitationEngineError,
    available_styles,
    default_style,
    render_citation,
)
from catalogue.formats.registry import EXPORT_FORMATS, ExportFormat
from catalogue.models import Article
from catalogue.records import as_record, citation_key, file_stem

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
    key = file_stem(citation_key(record))
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
