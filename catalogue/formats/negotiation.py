"""What a request wants of an article, and the response carrying it.

Content negotiation as DOI resolvers do it: `Accept: application/x-bibtex`,
`application/x-research-info-systems`, `application/vnd.citationstyles.csl+json` or
`text/x-bibliography; style=<id>; locale=<tag>` (q-values honoured), or the same with
`?format=`, `?style=` and `?locale=`; HTML otherwise. A style is any id `citations.get_style`
knows (the core six and every style of the CSL repository), a locale any tag
`citations.get_locale` knows. Anything else is a `NotAcceptable` (a short 406 pointing to
/styles/); a style the engine cannot build is a 422 naming it, the engine down a 503.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Any

from django.http import HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers

from catalogue.citations import (
    CitationEngineError,
    StyleError,
    UnknownLocale,
    UnknownStyle,
    available_styles,
    default_style,
    get_locale,
    get_style,
    render_citation,
)
from catalogue.formats.registry import EXPORT_FORMATS, ExportFormat
from catalogue.models import Article
from catalogue.records import as_record, citation_key, file_stem

logger = logging.getLogger(__name__)

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
# What a style id or a locale tag can look like at all: anything else is unknown without
# asking the style registry (no path separators, no "..", no control characters, bounded).
_STYLE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")
_LOCALE_TAG = re.compile(r"[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8}){0,4}")
# How much of a bad value a message repeats.
_SHOWN = 50


class NotAcceptable(ValueError):
    """Nothing the catalogue offers matches what the request asked for."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Representation:
    """One way of answering for an article: the HTML page, an export, or a formatted entry.

    `locale` is the canonical tag asked for (Accept's `locale=` or `?locale=`), None for the
    style's own; the page carries it too, for its Cite box.
    """

    kind: str  # "html", "export" or "bibliography"
    export: ExportFormat | None = None
    style: str = ""
    locale: str | None = None
    # Asked for with ?format= (a link a person follows) rather than with an Accept header.
    from_query: bool = False

    @property
    def is_html(self) -> bool:
        return self.kind == "html"


def styles_url() -> str:
    """Return the path of the page listing every style and locale (/styles/)."""
    try:
        return reverse("catalogue:style-list")
    except NoReverseMatch:
        return "/styles/"


def shown(value: str, *, limit: int = _SHOWN) -> str:
    """Return a request value as a message may repeat it: control characters escaped, cut."""
    text = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in value[:limit])
    return text + "…" if len(value) > limit else text


def check_style(style: str) -> str:
    """Return the id of the style `style` (a core or repository id), or raise NotAcceptable."""
    if not _STYLE_ID.fullmatch(style) or ".." in style:
        raise NotAcceptable(unknown_style_reason(style))
    try:
        return get_style(style).id
    except UnknownStyle:
        raise NotAcceptable(unknown_style_reason(style)) from None


def check_locale(locale: str) -> str:
    """Return the canonical tag of the locale `locale` ("de_de" -> "de-DE"), or raise
    NotAcceptable."""
    if not _LOCALE_TAG.fullmatch(locale):
        raise NotAcceptable(unknown_locale_reason(locale))
    try:
        return get_locale(locale)
    except UnknownLocale:
        raise NotAcceptable(unknown_locale_reason(locale)) from None


def unknown_style_reason(style: str) -> str:
    """Return the one-line reason an unknown style id is refused, pointing to /styles/."""
    return f"Unknown citation style “{shown(style)}”: every style id is listed at {styles_url()}"


def unknown_locale_reason(locale: str) -> str:
    """Return the one-line reason an unknown locale tag is refused, pointing to /styles/."""
    return f"Unknown locale “{shown(locale)}”: every locale is listed at {styles_url()}"


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


_MEDIA_TYPE = re.compile(r"\*/\*|[\w.+-]+/(?:\*|[\w.+-]+)")
# How much of an Accept header is read: real clients send a few hundred characters; the
# rest of a longer header, and ranges past the hundredth, are left out.
MAX_ACCEPT_LENGTH = 8192
MAX_ACCEPT_RANGES = 100


def _split_unquoted(text: str, separator: str) -> list[str]:
    """Return `text` split at `separator` outside double-quoted strings, in one pass.

    Inside quotes a backslash escapes the next character; a quote left open runs to the end.
    (A regular expression for the same backtracked on an open quote full of escapes:
    quadratic, 0.5 s for an 8 kB header.)
    """
    parts: list[str] = []
    start, quoted, escaped = 0, False, False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif quoted:
            if char == "\\":
                escaped = True
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char == separator:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _unquote(value: str) -> str:
    """Return a parameter value without its quotes and escapes ("a\\"b" -> a"b), in one pass."""
    if len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
        return value
    chars: list[str] = []
    escaped = False
    for char in value[1:-1]:
        if escaped or char != "\\":
            chars.append(char)
            escaped = False
        else:
            escaped = True
    return "".join(chars)


def _parameters(raw_params: list[str]) -> dict[str, str]:
    """Return the `name=value` parameters of a media range (malformed ones left out)."""
    params: dict[str, str] = {}
    for raw in raw_params:
        name, equals, value = raw.partition("=")
        name = name.strip()
        if not equals or not name or any(char.isspace() for char in name):
            continue
        params[name.lower()] = _unquote(value.strip())
    return params


def parse_accept(header: str) -> list[MediaRange]:
    """Return the media ranges of an Accept header; malformed ones are left out.

    Linear in the header's length, and bounded: the first MAX_ACCEPT_LENGTH characters and
    MAX_ACCEPT_RANGES ranges are read.
    """
    ranges = []
    raw_ranges = _split_unquoted((header or "")[:MAX_ACCEPT_LENGTH], ",")
    for raw_range in raw_ranges[:MAX_ACCEPT_RANGES]:
        media_type, *raw_params = _split_unquoted(raw_range, ";")
        media_type = media_type.strip().lower()
        if media_type == "*":
            # Old clients (and Java's URLConnection) send a bare "*".
            media_type = "*/*"
        if not _MEDIA_TYPE.fullmatch(media_type):
            continue
        media_type = _ALIASES.get(media_type, media_type)
        params = _parameters(raw_params)
        q = 1.0
        if "q" in params:
            text = params.pop("q")
            try:
                q = float(text) if text.isascii() else -1.0
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
        f"{BIBLIOGRAPHY}; style=<style id>; locale=<locale tag>",
    ]


def available_text(reason: str = "") -> str:
    """Return the plain-text body of a 406: the reason, where the styles are, what is offered.

    Short on purpose: the six core styles by name, every other style and locale on /styles/.
    """
    lines = [reason, ""] if reason else []
    lines += [f"Every citation style and locale: {styles_url()}", ""]
    lines += ["Available media types (Accept header):"]
    lines += [f"  {media_type}" for media_type in available_media_types()]
    lines += ["", f"Core style ids for {BIBLIOGRAPHY} (default {default_style()}):"]
    lines += [f"  {style.id}: {style.label}" for style in available_styles().values()]
    lines += ["", "Or ask with the query string:"]
    formats = [HTML_FORMAT, *EXPORT_FORMATS, TEXT_FORMAT]
    lines += [
        f"  ?format={'|'.join(formats)}",
        "  ?format=text&style=<style id>&locale=<locale tag>",
        "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class _Asked:
    """A media range with, for text/x-bibliography, the (style, locale) it names."""

    range: MediaRange
    # (style id, canonical locale or None); None when the range names an unknown one.
    bibliography: tuple[str, str | None] | None = None
    named: int = 0  # how many of style= and locale= it names


def _asked(media_range: MediaRange) -> tuple[_Asked, str]:
    """Return the range resolved, and the reason it names nothing available ("" if it does)."""
    if media_range.type != BIBLIOGRAPHY:
        return _Asked(media_range), ""
    style = media_range.params.get("style", "").strip()
    locale = media_range.params.get("locale", "").strip()
    try:
        key = (
            check_style(style) if style else default_style(),
            check_locale(locale) if locale else None,
        )
    except NotAcceptable as error:
        return _Asked(media_range), error.reason
    return _Asked(media_range, key, bool(style) + bool(locale)), ""


def negotiate(
    *,
    accept: str | None,
    format: str | None = None,
    style: str | None = None,
    locale: str | None = None,
) -> Representation:
    """Return the representation a request wants, or raise NotAcceptable saying why not.

    `format`/`style`/`locale` are the ?format=, ?style= and ?locale= values and win over the
    Accept header; `?style=` alone means a formatted entry in that style, `?locale=` alone
    only sets the language of whatever is chosen. Accept is read as RFC 9110 says: the most
    specific matching range sets a type's q, the highest q wins, then the more specific
    match, then the catalogue's order (HTML first). No or an empty Accept is HTML.
    An Accept range naming an unknown style or locale is left out; it is the reason given
    when nothing else is acceptable.
    """
    format = (format or "").strip().lower() or None
    style = (style or "").strip() or None
    locale = (locale or "").strip() or None
    if style is not None:
        style = check_style(style)
    if locale is not None:
        locale = check_locale(locale)
    if format is not None or style is not None:
        return _from_query(format or TEXT_FORMAT, style, locale)
    chosen = _from_accept(accept)
    return replace(chosen, locale=locale) if locale else chosen


def _from_accept(accept: str | None) -> Representation:
    if not accept or not accept.strip():
        return Representation(kind="html")
    asked, problems = [], []
    for media_range in parse_accept(accept):
        resolved, problem = _asked(media_range)
        asked.append(resolved)
        if problem:
            problems.append(problem)
    candidates: list[tuple[str, Representation]] = [(HTML, Representation(kind="html"))]
    candidates += [
        (export.media_type, Representation(kind="export", export=export))
        for export in EXPORT_FORMATS.values()
    ]
    # Each (style, locale) a text/x-bibliography range names is its own candidate.
    named = [(default_style(), None)] + [one.bibliography for one in asked if one.bibliography]
    for style, locale in dict.fromkeys(named):
        candidates.append(
            (BIBLIOGRAPHY, Representation(kind="bibliography", style=style, locale=locale))
        )

    best: tuple[float, int, int] | None = None
    chosen: Representation | None = None
    for order, (media_type, representation) in enumerate(candidates):
        q, specificity = _quality(asked, media_type, representation)
        if q <= 0:
            continue
        rank = (q, specificity, -order)
        if best is None or rank > best:
            best, chosen = rank, representation
    if chosen is None:
        if problems:
            raise NotAcceptable(problems[0])
        types = ", ".join(one.range.type for one in asked) or accept.strip()
        raise NotAcceptable(f"Nothing here matches “Accept: {shown(types, limit=200)}”.")
    return chosen


def _quality(
    asked: list[_Asked], media_type: str, representation: Representation
) -> tuple[float, int]:
    """Return (q, specificity) of the most specific range matching the type (0, 0: none)."""
    found: tuple[int, float] = (0, 0.0)
    for one in asked:
        specificity = one.range.specificity(media_type)
        if not specificity:
            continue
        if specificity == _EXACT and media_type == BIBLIOGRAPHY:
            # "text/x-bibliography; style=apa" matches only APA in the style's own locale,
            # and is more specific than "text/x-bibliography" (the default style).
            if one.bibliography != (representation.style, representation.locale):
                continue
            specificity += one.named
        if specificity > found[0]:
            found = (specificity, one.range.q)
    return found[1], found[0]


def _from_query(format: str, style: str | None, locale: str | None) -> Representation:
    if format == HTML_FORMAT:
        return Representation(kind="html", locale=locale, from_query=True)
    if format == TEXT_FORMAT:
        return Representation(
            kind="bibliography", style=style or default_style(), locale=locale, from_query=True
        )
    if format in EXPORT_FORMATS:
        return Representation(kind="export", export=EXPORT_FORMATS[format], from_query=True)
    formats = ", ".join([HTML_FORMAT, *EXPORT_FORMATS, TEXT_FORMAT])
    raise NotAcceptable(f"Unknown format “{shown(format)}”; available formats: {formats}.")


def negotiate_request(request: Any) -> Representation:
    """Return the representation `request` wants (Accept, ?format=, ?style=, ?locale=)."""
    return negotiate(
        accept=request.headers.get("Accept"),
        format=request.GET.get("format"),
        style=request.GET.get("style"),
        locale=request.GET.get("locale"),
    )


def vary_on_accept(response: HttpResponse) -> HttpResponse:
    """Return the response marked as varying with the Accept header."""
    patch_vary_headers(response, ["Accept"])
    return response


def plain_response(text: str, *, status: int) -> HttpResponse:
    """Return a short plain-text answer (an error) with a Link to the style list."""
    response = HttpResponse(text, status=status, content_type=PLAIN_TEXT)
    response["Link"] = f'<{styles_url()}>; rel="help"'
    return response


def not_acceptable_response(error: NotAcceptable) -> HttpResponse:
    """Return a 406 whose short plain-text body says why and where the styles are listed."""
    return vary_on_accept(plain_response(available_text(error.reason), status=406))


def style_error_text(style: str) -> str:
    """Return the message for a style the engine cannot build or render (a 422)."""
    return (
        f"The citation style “{shown(style)}” cannot be formatted: the citation engine fails "
        f"on its style file. Other styles work; choose one at {styles_url()}\n"
    )


def engine_down_response() -> HttpResponse:
    """Return the 503 (Retry-After: 60) for a citation engine that failed as a whole."""
    response = plain_response(
        "The citation formatter is unavailable right now; please try again shortly.\n",
        status=503,
    )
    response["Retry-After"] = "60"
    return response


def representation_response(article: Article, wanted: Representation) -> HttpResponse:
    """Return the article as an export or a formatted entry (not HTML), marked Vary: Accept.

    An export asked for with ?format= is an attachment (a download); with Accept, inline.
    A formatted entry is text/x-bibliography for Accept and text/plain for ?format=text; a
    style the engine cannot build is a 422, the engine failing as a whole a 503.
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
        text = render_citation(record, style=wanted.style, locale=wanted.locale)["text"]
    except StyleError:
        logger.warning("Citation style %r cannot be formatted", wanted.style, exc_info=True)
        return vary_on_accept(plain_response(style_error_text(wanted.style), status=422))
    except CitationEngineError:
        logger.warning("The citation engine failed", exc_info=True)
        return vary_on_accept(engine_down_response())
    content_type = PLAIN_TEXT if wanted.from_query else f"{BIBLIOGRAPHY}; charset=utf-8"
    response = HttpResponse(text + "\n", content_type=content_type)
    name = "-".join(part for part in (key, wanted.style, wanted.locale) if part)
    response["Content-Disposition"] = f'inline; filename="{name}.txt"'
    return vary_on_accept(response)
