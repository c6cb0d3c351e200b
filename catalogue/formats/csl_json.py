"""CSL-JSON: a record as the CSL-JSON item the citation engine formats and the export writes.

The item's id is the article's primary key for the engine, and the citation key in an export.
"""

from __future__ import annotations

from typing import Any

from catalogue.formats.bibtex import Name
from catalogue.models import Article, OutputType
from catalogue.records import ArticleRecord, as_record
from catalogue.rich_text import one_line

CSL_TYPES = {
    OutputType.ARTICLE: "article-journal",
    OutputType.REVIEW: "article-journal",
    OutputType.EDITORIAL: "article-journal",
    OutputType.LETTER: "article-journal",
    OutputType.COMMENT: "article-journal",
    OutputType.CONFERENCE_PAPER: "paper-conference",
    OutputType.CONFERENCE_ABSTRACT: "paper-conference",
    OutputType.BOOK: "book",
    OutputType.CHAPTER: "chapter",
    OutputType.REPORT: "report",
    OutputType.THESIS: "thesis",
    OutputType.PREPRINT: "article",
    OutputType.DATASET: "dataset",
    OutputType.WEBPAGE: "webpage",
    OutputType.OTHER: "document",
}


def csl_name(name: Name) -> dict[str, str]:
    """Return a CSL-JSON name: family/given/non-dropping-particle/suffix, or literal."""
    if name.corporate:
        return {"literal": name.corporate}
    csl = {"family": name.family}
    if name.given:
        csl["given"] = name.given
    if name.particle:
        csl["non-dropping-particle"] = name.particle
    if name.suffix:
        csl["suffix"] = name.suffix
    return csl


def article_to_csl(article: Article | ArticleRecord) -> dict[str, Any]:
    """Return the article as a CSL-JSON item; its id is the article's primary key as a string.

    An article number goes into `number` (styles print it as "Article e0123" or the like), a
    page range into `page`; the date keeps its stored precision; an accepted or in-press
    article without a year gets status "in press".
    """
    record = as_record(article)
    item: dict[str, Any] = {
        "id": str(record.pk),
        "type": CSL_TYPES.get(record.output_type, "article-journal"),
        "title": one_line(record.title),
    }
    if record.journal_title:
        item["container-title"] = one_line(record.journal_title)
    if record.journal_abbreviation:
        item["container-title-short"] = one_line(record.journal_abbreviation)
    if record.authors:
        item["author"] = [csl_name(name) for name in record.authors]
    if record.year:
        item["issued"] = {
            "date-parts": [[part for part in (record.year, record.month, record.day) if part]]
        }
    if record.is_in_press:
        item["status"] = "in press"
    for key, value in (
        ("volume", record.volume),
        ("issue", record.issue),
        ("page", record.page_range),
        ("number", record.article_number),
        ("number-of-pages", str(record.number_of_pages or "")),
        ("DOI", record.doi),
        ("PMID", record.pmid),
        ("URL", record.url),
        ("ISSN", ", ".join(record.issns)),
        ("publisher", record.publisher),
        ("language", record.language),
        ("abstract", record.abstract.strip()),
        ("keyword", ", ".join(record.keywords)),
    ):
        if value:
            item[key] = value
    return item


def csl_json_item(record: ArticleRecord, *, key: str) -> dict[str, Any]:
    """Return the record's CSL-JSON item with `key` as its id."""
    item = article_to_csl(record)
    item["id"] = key
    return item
