"""The export formats: BibTeX, RIS and CSL-JSON, each with its media type and file name.

Every format is written as UTF-8 text. Each is an `ExportFormat` in `EXPORT_FORMATS` with its
media type, file extension and entry writer (catalogue/formats/bibtex/writer.py, ris.py,
csl_json.py): `render(article)` for one record and `stream(articles)` yielding chunks for a
queryset, with citation keys unique within the export (catalogue/records.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from catalogue.formats.bibtex.writer import bibtex_entry
from catalogue.formats.csl_json import csl_json_item
from catalogue.formats.ris import ris_entry
from catalogue.models import Article
from catalogue.records import (
    DEFAULT_BATCH_SIZE,
    ArticleRecord,
    KeyAllocator,
    as_record,
    citation_key,
    file_stem,
    record_batches,
)

EXPORT_BASENAME = "catalogue-export"


class UnknownExportFormat(ValueError):
    """An export format name that is not in EXPORT_FORMATS."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"Unknown export format {name!r}; available formats: {', '.join(EXPORT_FORMATS)}."
        )


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its ?format= name, label, media type, extension and entry writer."""

    name: str
    label: str
    media_type: str
    extension: str
    entry: Callable[[ArticleRecord, str], str]
    opening: str = ""
    separator: str = ""
    closing: str = ""

    @property
    def content_type(self) -> str:
        """Return the Content-Type header value (the media type with charset=utf-8)."""
        return f"{self.media_type}; charset=utf-8"

    def filename(self, article: Article | ArticleRecord | None = None) -> str:
        """Return the download file name: "<key>.<ext>" for one article, else "catalogue-export"."""
        if article is None:
            return f"{EXPORT_BASENAME}.{self.extension}"
        base = file_stem(citation_key(as_record(article)))
        return f"{base}.{self.extension}"

    def render(self, article: Article | ArticleRecord) -> str:
        """Return one article as a complete document in this format."""
        record = as_record(article)
        return self.opening + self.entry(record, citation_key(record)) + self.closing

    def stream(
        self,
        articles: QuerySet[Article] | Iterable[Article | ArticleRecord],
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> Iterator[str]:
        """Yield the articles as one document in this format, one chunk per batch."""
        keys = KeyAllocator()
        yield self.opening
        first = True
        for batch in record_batches(articles, batch_size=batch_size):
            parts = []
            for record in batch:
                if not first:
                    parts.append(self.separator)
                first = False
                parts.append(self.entry(record, keys.key(record)))
            yield "".join(parts)
        yield self.closing


def _bibtex(record: ArticleRecord, key: str) -> str:
    return bibtex_entry(record, key=key)


def _ris(record: ArticleRecord, key: str) -> str:
    return ris_entry(record, key=key)


def _csl_json(record: ArticleRecord, key: str) -> str:
    return json.dumps(csl_json_item(record, key=key), ensure_ascii=False)


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "bibtex": ExportFormat(
        name="bibtex",
        label="BibTeX",
        media_type="application/x-bibtex",
        extension="bib",
        entry=_bibtex,
        separator="\n",
    ),
    "ris": ExportFormat(
        name="ris",
        label="RIS",
        media_type="application/x-research-info-systems",
        extension="ris",
        entry=_ris,
    ),
    "csl-json": ExportFormat(
        name="csl-json",
        label="CSL-JSON",
        media_type="application/vnd.citationstyles.csl+json",
        extension="json",
        entry=_csl_json,
        opening="[\n",
        separator=",\n",
        closing="\n]\n",
    ),
}


def get_export_format(name: str) -> ExportFormat:
    """Return the export format called `name`, or raise UnknownExportFormat."""
    try:
        return EXPORT_FORMATS[name]
    except (KeyError, TypeError):
        raise UnknownExportFormat(str(name)) from None


def export_format_for_media_type(media_type: str) -> ExportFormat | None:
    """Return the format serving `media_type` ("application/x-bibtex"), or None."""
    wanted = media_type.split(";")[0].strip().lower()
    return next((export for export in EXPORT_FORMATS.values() if export.media_type == wanted), None)


def article_to_bibtex(article: Article | ArticleRecord) -> str:
    """Return the article as a BibTeX entry keyed like "ZilchaMano2017"."""
    return EXPORT_FORMATS["bibtex"].render(article)


def article_to_ris(article: Article | ArticleRecord) -> str:
    """Return the article as one RIS record."""
    return EXPORT_FORMATS["ris"].render(article)


def article_to_csl_json(article: Article | ArticleRecord) -> str:
    """Return the article as a CSL-JSON document (an array of one item)."""
    return EXPORT_FORMATS["csl-json"].render(article)


def stream_bibtex(articles: Any, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[str]:
    """Yield the articles as BibTeX, one chunk per batch."""
    return EXPORT_FORMATS["bibtex"].stream(articles, batch_size=batch_size)


def stream_ris(articles: Any, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[str]:
    """Yield the articles as RIS, one chunk per batch."""
    return EXPORT_FORMATS["ris"].stream(articles, batch_size=batch_size)


def stream_csl_json(articles: Any, *, batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[str]:
    """Yield the articles as a CSL-JSON array, one chunk per batch."""
    return EXPORT_FORMATS["csl-json"].stream(articles, batch_size=batch_size)
