"""Filters for the catalogue's pages: CSL rich text, research output labels, pagination, names."""

import re
from typing import Any
from urllib.parse import quote

from django import template
from django.core.paginator import Page
from django.utils.safestring import SafeString

from catalogue.models import Article, OutputType
from catalogue.rich_text import render_rich_text, strip_rich_text

register = template.Library()

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


@register.filter
def printed_name(authorship: Any) -> str:
    """Return an author slot's name as its source printed it, else its person's name."""
    return authorship.printed_name or authorship.author.display_name


@register.filter
def and_list(names: list[str]) -> str:
    """Return names joined as a sentence: "A", "A and B", "A, B and C"."""
    names = [str(name) for name in names]
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


# What a record's own `publisher` column holds, by output type (BibTeX school, institution).
_PUBLISHER_LABELS = {OutputType.THESIS: "Institution", OutputType.REPORT: "Institution"}


@register.filter
def publisher_label(article: Article) -> str:
    """Return "Institution" for a thesis's or report's publisher column, else "Publisher"."""
    return _PUBLISHER_LABELS.get(article.output_type, "Publisher")


_ARXIV_PREFIX = re.compile(r"^arxiv:\s*", re.IGNORECASE)


@register.filter
def eprint_label(article: Article) -> str:
    """Return the e-print as cited: "arXiv:2101.00001 [cs.CL]", "HAL:hal-0123", "2101.00001"."""
    identifier, archive = article.eprint, article.eprint_type
    if _is_arxiv(article):
        identifier, archive = _ARXIV_PREFIX.sub("", identifier), archive or "arXiv"
    label = f"{archive}:{identifier}" if archive else identifier
    return f"{label} [{article.eprint_class}]" if article.eprint_class else label


@register.filter
def eprint_url(article: Article) -> str:
    """Return the arXiv abstract page of an arXiv e-print (https://arxiv.org/abs/<id>), else ""."""
    if not article.eprint or not _is_arxiv(article):
        return ""
    return f"https://arxiv.org/abs/{quote(_ARXIV_PREFIX.sub('', article.eprint).strip())}"


def _is_arxiv(article: Article) -> bool:
    return article.eprint_type.strip().lower() == "arxiv" or (
        not article.eprint_type and bool(_ARXIV_PREFIX.match(article.eprint))
    )
