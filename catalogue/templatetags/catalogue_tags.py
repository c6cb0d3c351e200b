"""Filters for the catalogue's pages: CSL rich text, research output labels, pagination."""

import re
from collections.abc import Iterator

from django import template
from django.core.paginator import Page
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from catalogue.models import Article, OutputType

register = template.Library()

# The CSL rich-text tags, exactly as the CSL-JSON specification writes them; any other
# tag (or these with other attributes or in other case) is literal text.
_RICH_TAG = re.compile(r'<(?:(i|b|sup|sub)|span class="nocase")>|</(i|b|sup|sub|span)>')

# Pure research-portal categories ("Research output: Contribution to journal › Article").
_OUTPUT_CATEGORIES = {
    OutputType.ARTICLE: "Contribution to journal",
    OutputType.REVIEW: "Contribution to journal",
    OutputType.EDITORIAL: "Contribution to journal",
    OutputType.LETTER: "Contribution to journal",
    OutputType.COMMENT: "Contribution to journal",
    OutputType.CONFERENCE_PAPER: "Contribution to conference",
    OutputType.CONFERENCE_ABSTRACT: "Contribution to conference",
    OutputType.BOOK: "Book/Report",
    OutputType.REPORT: "Book/Report",
    OutputType.CHAPTER: "Chapter in Book/Report/Conference proceeding",
    OutputType.THESIS: "Thesis",
    OutputType.PREPRINT: "Working paper",
    OutputType.DATASET: "Non-textual form",
    OutputType.WEBPAGE: "Other contribution",
    OutputType.OTHER: "Other contribution",
}


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


@register.filter
def rich_text(value: str | None) -> SafeString:
    """Return the value escaped, with CSL <i>, <b>, <sup>, <sub> and nocase spans kept."""
    return render_rich_text(str(value) if value is not None else "")


@register.filter
def plain_text(value: str | None) -> str:
    """Return the value with CSL rich-text markup removed, for <title> and meta tags."""
    return strip_rich_text(str(value) if value is not None else "")


@register.filter
def research_output(article: Article) -> str:
    """Return "Research output: Contribution to journal › Article › peer-review"."""
    label = article.get_output_type_display()
    category = _OUTPUT_CATEGORIES.get(article.output_type, "Other contribution")
    parts = [f"Research output: {category}"]
    if label != category:
        parts.append(label)
    if article.peer_reviewed:
        parts.append("peer-review")
    return " › ".join(parts)


@register.filter
def elided_page_range(page: Page) -> list[int | str]:
    """Return the page numbers to link around `page`, with the paginator's ellipsis in gaps."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


@register.filter
def is_web_url(value: str | None) -> bool:
    """Return whether the value is an http(s) URL, safe to put in an href."""
    return bool(value) and str(value).lower().startswith(("http://", "https://"))
