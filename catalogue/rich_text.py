"""CSL rich text: the markup titles and abstracts carry, as HTML on pages or plain in formats.

Titles and abstracts may hold `<i>`, `<b>`, `<sup>`, `<sub>`, `<sc>`, nocase/nodecor and
small-caps spans (see catalogue/formats/bibtex/__init__.py). Pages (the template filters and
the search highlighting, which must escape titles exactly alike) keep the well-formed pairs of
`<i>`, `<b>`, `<sup>`, `<sub>` and nocase spans and escape everything else (`render_rich_text`);
every format either converts the whole markup (BibTeX, the citation engine) or drops it (RIS,
page metadata, citation keys: `plain_text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Every tag of the CSL rich-text markup the catalogue stores, opening or closing.
RICH_TEXT_TAG = re.compile(
    r"</?(?:i|b|sup|sub|sc)>"
    r'|<span\s+(?:class="no(?:case|decor)"|style="font-variant:\s*small-caps;?")\s*>'
    r"|</span>"
)


def one_line(text: str) -> str:
    """Return `text` with runs of whitespace (newlines included) collapsed to one space."""
    if "  " in text or "\n" in text or "\r" in text or "\t" in text:
        return " ".join(text.split())
    # Already on one line (the usual case): cheaper than splitting long abstracts into words.
    return text.strip()


def one_space(text: str) -> str:
    """Return the text with runs of any whitespace (no-break spaces too) collapsed to one space."""
    return " ".join(text.split())


def plain_text(rich_text: str) -> str:
    """Return CSL rich text without its markup tags, on one line."""
    return one_line(RICH_TEXT_TAG.sub("", rich_text))


# The tags pages keep, exactly as the CSL-JSON specification writes them; any other tag
# (or these with other attributes or in other case) is literal text on a page.
_RICH_TAG = re.compile(r'<(?:(i|b|sup|sub)|span class="nocase")>|</(i|b|sup|sub|span)>')


def _rich_pieces(text: str) -> Iterator[tuple[str, str | None]]:
    """Yield (literal text, None) and ("", tag) pieces; tags are well-formed pairs only."""
    tokens = list(_RICH_TAG.finditer(text))
    paired: dict[int, str] = {}
    open_tags: list[tuple[int, str]] = []
    for index, token in enumerate(tokens):
        closing = token.group(2)
        if closing is None:
            open_tags.append((index, token.group(1) or "span"))
        elif open_tags and open_tags[-1][1] == closing:
            # Only the innermost open tag may close: pairs matched this way always nest.
            opening_index, name = open_tags.pop()
            paired[opening_index] = f"<{name}>"
            paired[index] = f"</{name}>"
        # Any other closing tag is stray and stays literal text.
    position = 0
    for index, token in enumerate(tokens):
        if index not in paired:
            continue
        yield text[position : token.start()], None
        yield "", paired[index]
        position = token.end()
    yield text[position:], None


def render_rich_text(text: str | None) -> SafeString:
    """Return `text` HTML-escaped except for well-formed CSL rich-text tag pairs."""
    html = "".join(
        tag if tag is not None else escape(literal) for literal, tag in _rich_pieces(text or "")
    )
    return mark_safe(html)  # noqa: S308 -- every literal piece is escaped above


def strip_rich_text(text: str | None) -> str:
    """Return `text` without its well-formed CSL rich-text tags (not escaped)."""
    return "".join(literal for literal, tag in _rich_pieces(text or "") if tag is None)
