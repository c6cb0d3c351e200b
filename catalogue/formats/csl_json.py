"""CSL-JSON: a record as the CSL-JSON item the citation engine formats and the export writes.

The item's id is the article's primary key for the engine, and the citation key in an export;
`citation-key` is the record's key in both (docs/formats.md, "CSL-JSON", has every mapping).

Two conventions CSL-JSON has no standard field for:

- An author list that ended with "and others" (`et_al`) ends with the name
  `{"literal": "others"}`, as pandoc writes BibTeX's `and others` in CSL-JSON; pandoc's citeproc
  (the catalogue's engine) prints it as the style's "et al." (citeproc-js and Zotero read it
  as a name "others").
- A date as written (`date_text`, "1978/79", "300 BC") is the date's `literal` beside the
  `date-parts` of its year, which sort and which processors that ignore `literal` print; a
  written ISO range ("2019-05/2019-06") is a `date-parts` range instead.
"""

from __future__ import annotations

import re
from typing import Any

from catalogue.formats.bibtex import Name
from catalogue.models import CSL_ROLE, Article, ContributorRole, OutputType
from catalogue.pages import split_range
from catalogue.records import ArticleRecord, as_record, citation_key
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
# The name that ends an incomplete author list (BibTeX's "and others").
OTHERS = {"literal": "others"}
# CSL name variables of the contributor roles, in the order they are written.
CSL_NAME_VARIABLES = ("editor", "container-author", "collection-editor", "translator", "compiler")
_ISO_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_ARXIV = "arxiv"


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


def csl_names(record: ArticleRecord) -> dict[str, list[dict[str, str]]]:
    """Return the record's CSL name variables: author, editor, translator, ..., contributor.

    Roles without a CSL variable of their own (annotator, commentator, the authors of an
    introduction, foreword or afterword) are CSL `contributor`, in role order.
    """
    names: dict[str, list[dict[str, str]]] = {}
    if record.authors or record.et_al:
        names["author"] = [csl_name(name) for name in record.authors]
        if record.et_al:
            names["author"].append(dict(OTHERS))
    by_variable: dict[str, list[dict[str, str]]] = {}
    for role, people in record.contributors.items():
        variable = CSL_ROLE.get(ContributorRole(role), "contributor")
        by_variable.setdefault(variable, []).extend(csl_name(name) for name in people)
    for variable in (*CSL_NAME_VARIABLES, "contributor"):
        if variable in by_variable:
            names[variable] = by_variable[variable]
    return names


def iso_date_parts(text: str) -> list[list[int]] | None:
    """Return CSL date-parts for an ISO date or range ("2020-05-01", "2019-05/2019-06")."""
    parts = []
    pieces = text.strip().split("/")
    if len(pieces) > 2:
        return None
    for piece in pieces:
        match = _ISO_DATE.fullmatch(piece.strip().split("T")[0])
        if not match:
            return None
        parts.append([int(value) for value in match.groups() if value])
    return parts


def _issued(record: ArticleRecord) -> dict[str, Any] | None:
    parts = [part for part in (record.year, record.month, record.day) if part]
    written = one_line(record.date_text)
    if written:
        ranged = iso_date_parts(written)
        if ranged and len(ranged) == 2:
            return {"date-parts": ranged}
        issued: dict[str, Any] = {"date-parts": [parts]} if parts else {}
        issued["literal"] = written
        return issued
    return {"date-parts": [parts]} if parts else None


def _accessed(text: str) -> dict[str, Any] | None:
    written = one_line(text)
    if not written:
        return None
    parts = iso_date_parts(written)
    return {"date-parts": parts} if parts else {"literal": written}


def _eprint(record: ArticleRecord) -> tuple[str, str]:
    """Return (archive, archive_location) of an e-print other than the record's PMID."""
    kind = record.eprint_type.strip()
    if not record.eprint or (kind.lower() == "pubmed" and record.eprint == record.pmid):
        return "", ""
    location = record.eprint
    if record.eprint_class:
        location = f"{location} [{record.eprint_class}]"
    return kind, location


def article_to_csl(article: Article | ArticleRecord) -> dict[str, Any]:
    """Return the article as a CSL-JSON item; its id is the article's primary key as a string.

    Pages are as printed (`page`, with `page-first` its first page); an article number or a
    report's number goes into `number`; the date keeps its stored precision; an accepted or
    in-press article without a year gets status "in press".
    """
    record = as_record(article)
    item: dict[str, Any] = {
        "id": str(record.pk),
        "citation-key": citation_key(record),
        "type": CSL_TYPES.get(record.output_type, "article-journal"),
        "title": one_line(record.title),
    }
    container = record.journal_title
    if not container and record.output_type != OutputType.BOOK:
        # A book's own `booktitle` is no container: styles would cite the book "In" it.
        container = record.book_title
    if container:
        item["container-title"] = one_line(container)
    if record.journal_title and record.book_title:
        item["volume-title"] = one_line(record.book_title)
    if record.journal_abbreviation:
        item["container-title-short"] = one_line(record.journal_abbreviation)
    item.update(csl_names(record))
    issued = _issued(record)
    if issued:
        item["issued"] = issued
    if record.is_in_press:
        item["status"] = "in press"
    accessed = _accessed(record.accessed)
    if accessed:
        item["accessed"] = accessed
    archive, archive_location = _eprint(record)
    url = record.url
    if not url and archive.lower() == _ARXIV:
        url = f"https://arxiv.org/abs/{record.eprint}"
    first_page = split_range(record.pages.split(",")[0])[0] if record.pages else ""
    for key, value in (
        ("collection-title", one_line(record.series)),
        ("collection-number", one_line(record.series_number)),
        ("edition", one_line(record.edition)),
        ("volume", record.volume),
        ("issue", record.issue),
        ("chapter-number", one_line(record.chapter)),
        ("page", record.pages),
        ("page-first", first_page),
        ("number", record.report_number or record.article_number),
        ("number-of-pages", str(record.number_of_pages or "")),
        ("genre", one_line(record.genre)),
        ("DOI", record.doi),
        ("PMID", record.pmid),
        ("URL", url),
        ("ISBN", one_line(record.isbn)),
        ("ISSN", ", ".join(record.issns)),
        ("archive", archive),
        ("archive_location", archive_location),
        ("publisher", record.publisher or one_line(record.howpublished)),
        ("medium", one_line(record.howpublished) if record.publisher else ""),
        ("publisher-place", one_line(record.place)),
        ("language", record.language),
        ("abstract", record.abstract.strip()),
        ("keyword", ", ".join(record.keywords)),
    ):
        if value:
            item[key] = value
    return item


def csl_json_item(record: ArticleRecord, *, key: str) -> dict[str, Any]:
    """Return the record's CSL-JSON item with `key` as its id and citation-key."""
    item = article_to_csl(record)
    item["id"] = key
    item["citation-key"] = key
    return item
