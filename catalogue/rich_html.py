"""CSL rich text on pages: titles and abstracts as HTML with their markup kept, or stripped.

Shared by the template filters (catalogue/templatetags/catalogue_tags.py) and the search
highlighting (catalogue/search/highlight.py), which must escape titles exactly alike. The
formats' plain text (exports, metadata) is catalogue/formats/rich_text.py.
"""

import re
from collections.abc import Iterator

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The CSL rich-text tags, exactly as the CSL-JSON specification writes them; any other
# tag (or these with other attributes or in other case) is literal text.
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
