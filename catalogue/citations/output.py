"""citeproc-js's output as the catalogue hands it on: checked, trimmed, labels and et al.

HTML is citeproc-js's own (`&#38;`/`&#60;`/`&#62;` escapes, `<div class="csl-entry">`). It is
checked tag by tag against the markup citeproc-js writes; anything else (which would mean a bug
or a hostile style) makes the entry fall back to its escaped text.
"""

from __future__ import annotations

import html
import logging
import re
from functools import lru_cache

from django.utils.safestring import SafeString, mark_safe

from catalogue.citations.engine import ET_AL_MARK
from catalogue.citations.styles import locale_files

logger = logging.getLogger(__name__)

FORMATS = ("text", "html")


def check_format(fmt: str) -> None:
    """Return None for "text" or "html"; raise ValueError for any other format."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown citation format {fmt!r}; use 'text' or 'html'.")


# Every tag citeproc-js's HTML format writes (its "html" output format definition).
_ALLOWED_TAG = re.compile(
    r"</?(?:i|b|em|sup|sub)>"
    r'|<div class="csl-(?:entry|left-margin|right-inline|indent|block|bib-body)">|</div>'
    r'|<span style="(?:font-variant:small-caps|font-variant:normal|font-style:normal'
    r"|font-weight:normal|text-decoration:underline|text-decoration:none"
    r"|font-style:italic|font-weight:bold|font-weight:light|font-style:oblique"
    r"|baseline-shift:super|baseline-shift:sub|vertical-align:super|vertical-align:sub"
    # citeproc-js writes vertical-align="baseline" as this (not valid CSS, but its output).
    r'|baseline);?">'
    r'|<span class="(?:nocase|nodecor)">|</span>'
    r'|<a href="https?://[^"<>\s]*">|</a>'
    r"|<br ?/?>"
)
_ANY_TAG = re.compile(r"<[^>]*>?")


def escape_html(text: str) -> str:
    """Return `text` escaped as citeproc-js escapes (numeric entities)."""
    return text.replace("&", "&#38;").replace("<", "&#60;").replace(">", "&#62;")


def safe_html(fragment: str, fallback_text: str) -> SafeString:
    """Return citeproc-js HTML marked safe, or the escaped text if it holds unknown markup."""
    for tag in _ANY_TAG.finditer(fragment):
        if not _ALLOWED_TAG.fullmatch(tag.group()):
            logger.warning("Unexpected markup %r in formatted citation", tag.group()[:80])
            escaped = (
                fallback_text.replace("&", "&#38;").replace("<", "&#60;").replace(">", "&#62;")
            )
            return mark_safe(f'<div class="csl-entry">{escaped}</div>')  # noqa: S308
    return mark_safe(fragment)  # noqa: S308


@lru_cache(maxsize=128)
def locale_terms(locale: str) -> tuple[str, str]:
    """Return the locale's ("and", "et al.") terms."""
    path = locale_files().get(locale)
    text = path.read_text(encoding="utf-8") if path else ""

    def term(name: str, default: str) -> str:
        match = re.search(rf'<term name="{name}">([^<]*)</term>', text)
        return html.unescape(match.group(1)) if match else default

    return term("and", "and"), term("et-al", "et al.")


def replace_et_al(text: str, locale: str, *, fmt: str) -> str:
    """Return `text` with the `and others` mark (and the "&"/"and" before it) as "et al."."""
    if ET_AL_MARK not in text:
        return text
    and_term, et_al = locale_terms(locale)
    ampersand = "&#38;" if fmt == "html" else "&"
    joiners = "|".join(re.escape(word) for word in (ampersand, and_term) if word)
    if fmt == "html":
        et_al = escape_html(et_al)

    def swap(match: re.Match) -> str:
        return (", " if match.group("comma") else " ") + et_al

    pattern = re.compile(
        rf"(?P<comma>\s*,)?\s*(?:(?:{joiners})\s+)?(?:<[^>]+>)*{ET_AL_MARK}(?:</[^>]+>)*"
    )
    text = pattern.sub(swap, text)
    # "et al." before the period that ends the names: one period.
    if et_al.endswith("."):
        text = text.replace(et_al + ".", et_al)
    return text.lstrip(", ")


_MARGIN = re.compile(
    r'^<div class="csl-entry">\s*<div class="csl-left-margin">(?P<margin>.*?)</div>'
    r'<div class="csl-right-inline">(?P<body>.*)</div>\s*</div>$',
    re.DOTALL,
)
_DIGITS = re.compile(r"\d+")


def plain_text(fragment: str) -> str:
    """Return the text of an HTML fragment (tags dropped, entities decoded)."""
    return html.unescape(_ANY_TAG.sub("", fragment))


def without_label(text: str, markup: str) -> tuple[str, str]:
    """Return (text, html) of an entry without a numeric style's left-margin label."""
    match = _MARGIN.match(markup)
    if not match:
        return text, markup
    margin = plain_text(match.group("margin")).strip()
    return (
        text.removeprefix(margin).lstrip(),
        f'<div class="csl-entry">{match.group("body")}</div>',
    )


def renumber(entry: str, number: int, *, fmt: str) -> str:
    """Return the entry with the number of its left-margin label replaced by `number`."""
    if fmt == "html":
        match = _MARGIN.match(entry)
        if not match:
            return entry
        start, end = match.span("margin")
        margin = _DIGITS.sub(str(number), match.group("margin"), count=1)
        return entry[:start] + margin + entry[end:]
    match = _DIGITS.match(entry) or _DIGITS.match(entry, 1)
    if not match or match.start() > 1:
        return entry
    return entry[: match.start()] + str(number) + entry[match.end() :]


def entry_text(entry: str | None) -> str:
    """Return a citeproc-js bibliography entry trimmed as the reference output is."""
    return (entry or "").strip()
