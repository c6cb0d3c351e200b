"""Formatted citations: CSL-JSON from articles, rendered in CSL styles as text and HTML.

The engine is pandoc's citeproc (the binary bundled by the PyPI package pypandoc-binary), run
as a subprocess on `catalogue/csl/render.lua` with many items per process. Its output (a pandoc
AST) is written out here in exactly the form citeproc-js (Zotero's CSL processor) produces:
its text format, and its HTML format with `&#38;`/`&#60;`/`&#62;` escapes and
`<div class="csl-entry">` entries. Everything user-supplied is escaped; only the CSL rich-text
markup the catalogue stores in titles (`<i>`, `<b>`, `<sub>`, `<sup>`, small caps, nocase
spans) comes out as tags.

A process start costs about 0.1 s, so the formatted citations of one article are cached
(Django cache `settings.CITATION_CACHE_ALIAS`) under a key made of the article id, its `updated`
time, the style, and a digest of its CSL-JSON (so that renaming an author or a journal, which
does not touch the article's `updated`, invalidates it as well).

Styles are configured in `settings.CITATION_STYLES`; the pinned style files are in
`catalogue/csl/styles/`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.utils.safestring import mark_safe

from catalogue.bibtex import Name
from catalogue.models import (
    BIBLIOGRAPHIC_FIELDS,
    Article,
    Authorship,
    OutputType,
    PublicationState,
)

CSL_DIR = Path(__file__).resolve().parent / "csl"
RENDER_SCRIPT = CSL_DIR / "render.lua"
# Bump when the output of this module changes for the same input, to retire cached renderings.
RENDERER_VERSION = "1"
FORMATS = ("text", "html")


class UnknownStyle(ValueError):
    """A style id that is not in settings.CITATION_STYLES."""

    def __init__(self, style: str, available: Iterable[str]) -> None:
        self.style = style
        self.available = list(available)
        super().__init__(
            f"Unknown citation style {style!r}; available styles: {', '.join(self.available)}."
        )


class CitationEngineError(RuntimeError):
    """The citation engine (pandoc) is missing, failed or timed out."""


# --- Styles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CitationStyle:
    id: str
    label: str
    path: Path
    locale: str | None = None


def available_styles() -> dict[str, CitationStyle]:
    """Return the configured styles by id, in settings order."""
    styles = {}
    for style_id, config in settings.CITATION_STYLES.items():
        path = Path(config["csl"])
        if not path.is_absolute():
            path = CSL_DIR / path
        styles[style_id] = CitationStyle(
            id=style_id, label=config["label"], path=path, locale=config.get("locale")
        )
    return styles


def get_style(style: str) -> CitationStyle:
    """Return the configured style `style`, or raise UnknownStyle listing the available ids."""
    styles = available_styles()
    try:
        return styles[style]
    except (KeyError, TypeError):
        raise UnknownStyle(str(style), styles) from None


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"Unknown citation format {fmt!r}; use 'text' or 'html'.")


# --- Records: what a citation or an export needs from an article ------------------------------


@dataclass(slots=True)
class ArticleRecord:
    """The fields of one article that citations and exports use, loaded without model objects."""

    pk: int
    output_type: str = OutputType.ARTICLE
    title: str = ""
    abstract: str = ""
    language: str = ""
    journal_title: str = ""
    journal_abbreviation: str = ""
    issns: list[str] = field(default_factory=list)
    publisher: str = ""
    volume: str = ""
    issue: str = ""
    first_page: int | None = None
    last_page: int | None = None
    article_number: str = ""
    number_of_pages: int | None = None
    state: str = PublicationState.PUBLISHED
    year: int | None = None
    month: int | None = None
    day: int | None = None
    doi: str = ""
    pmid: str = ""
    url: str = ""
    note: str = ""
    updated: datetime | None = None
    authors: list[Name] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)

    @classmethod
    def from_article(cls, article: Article) -> ArticleRecord:
        """Return the record of a saved article (uses its prefetched authors and keywords)."""
        journal = article.journal
        return cls(
            pk=article.pk,
            output_type=article.output_type,
            title=article.title,
            abstract=article.abstract,
            language=article.language,
            journal_title=journal.title if journal else "",
            journal_abbreviation=journal.abbreviated_title if journal else "",
            issns=journal.issns if journal else [],
            publisher=article.publisher_name,
            volume=article.volume,
            issue=article.issue,
            first_page=article.first_page,
            last_page=article.last_page,
            article_number=article.article_number,
            number_of_pages=article.number_of_pages,
            state=article.state,
            year=article.year,
            month=article.month,
            day=article.day,
            doi=article.doi,
            pmid=article.pmid,
            url=article.url,
            note=article.bibliographical_note,
            updated=article.updated,
            authors=[_name(authorship.author) for authorship in article.ordered_authorships],
            keywords=[keyword.term for keyword in article.keywords.all()],
        )

    @property
    def page_range(self) -> str:
        """Return "311-325", a single page "311", or ""."""
        if self.first_page and self.last_page and self.last_page != self.first_page:
            return f"{self.first_page}-{self.last_page}"
        return str(self.first_page) if self.first_page else ""

    @property
    def is_in_press(self) -> bool:
        """Return whether the article is accepted or in press and has no year yet."""
        return (
            self.state in (PublicationState.IN_PRESS, PublicationState.ACCEPTED) and not self.year
        )


def _name(author: Any) -> Name:
    return Name(
        family=author.family_name,
        given=author.given_names,
        particle=author.particle,
        suffix=author.suffix,
        corporate=author.corporate_name,
    )


_RECORD_FIELDS = (
    "pk",
    *BIBLIOGRAPHIC_FIELDS,
    "updated",
    "journal__title",
    "journal__abbreviated_title",
    "journal__issn_print",
    "journal__issn_electronic",
    "journal__publisher",
)


def iter_record_batches(
    articles: QuerySet[Article], *, batch_size: int = 1000
) -> Iterator[list[ArticleRecord]]:
    """Yield the queryset's articles as lists of up to `batch_size` records, in its order.

    Rows come through `iterator(chunk_size)` (a server-side cursor on PostgreSQL); authors and
    keywords are fetched with one query each per batch, and no model objects are built, so
    memory stays flat and the query count grows per batch, not per record.
    """
    rows = articles.values_list(*_RECORD_FIELDS).iterator(chunk_size=batch_size)
    names: dict[tuple, Name] = {}
    while batch := list(islice(rows, batch_size)):
        if len(names) > 100_000:
            names.clear()
        yield _records_from_rows(batch, names=names)


def _records_from_rows(rows: list[tuple], *, names: dict[tuple, Name]) -> list[ArticleRecord]:
    records: dict[int, ArticleRecord] = {}
    for row in rows:
        (
            pk,
            output_type,
            title,
            abstract,
            language,
            volume,
            issue,
            first_page,
            last_page,
            article_number,
            page_count,
            state,
            year,
            month,
            day,
            doi,
            pmid,
            url,
            note,
            own_publisher,
            updated,
            journal_title,
            journal_abbreviation,
            issn_print,
            issn_electronic,
            journal_publisher,
        ) = row
        if not page_count and first_page and last_page:
            page_count = last_page - first_page + 1
        records[pk] = ArticleRecord(
            pk=pk,
            output_type=output_type,
            title=title,
            abstract=abstract,
            language=language,
            journal_title=journal_title or "",
            journal_abbreviation=journal_abbreviation or "",
            issns=[issn for issn in (issn_print, issn_electronic) if issn],
            publisher=own_publisher or journal_publisher or "",
            volume=volume,
            issue=issue,
            first_page=first_page,
            last_page=last_page,
            article_number=article_number,
            number_of_pages=page_count or None,
            state=state,
            year=year,
            month=month,
            day=day,
            doi=doi,
            pmid=pmid,
            url=url,
            note=note,
            updated=updated,
        )
    authorships = (
        Authorship.objects.filter(article_id__in=records)
        .order_by("article_id", "position")
        .values_list(
            "article_id",
            "author__family_name",
            "author__given_names",
            "author__particle",
            "author__suffix",
            "author__corporate_name",
        )
    )
    for article_id, *parts in authorships:
        # Authors recur across articles: one Name per distinct author, shared.
        key = tuple(parts)
        name = names.get(key)
        if name is None:
            name = names[key] = Name(*parts)
        records[article_id].authors.append(name)
    keywords = (
        Article.keywords.through.objects.filter(article_id__in=records)
        .order_by("article_id", "keyword__term")
        .values_list("article_id", "keyword__term")
    )
    for article_id, term in keywords:
        records[article_id].keywords.append(term)
    return list(records.values())


def as_record(article: Article | ArticleRecord) -> ArticleRecord:
    """Return `article` as a record (records pass through)."""
    return article if isinstance(article, ArticleRecord) else ArticleRecord.from_article(article)


# --- CSL-JSON ----------------------------------------------------------------------------------

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


def one_line(text: str) -> str:
    """Return `text` with runs of whitespace (newlines included) collapsed to one space."""
    if "  " in text or "\n" in text or "\r" in text or "\t" in text:
        return " ".join(text.split())
    # Already on one line (the usual case): cheaper than splitting long abstracts into words.
    return text.strip()


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


# --- The engine --------------------------------------------------------------------------------


def pandoc_path() -> str:
    """Return the pandoc binary: settings.CITATION_PANDOC, else the one pypandoc-binary ships."""
    configured = getattr(settings, "CITATION_PANDOC", "")
    if configured:
        return configured
    # The bundled binary, not whatever pandoc is on PATH: output is pinned to its version.
    spec = importlib.util.find_spec("pypandoc")
    if spec is None or not spec.submodule_search_locations:
        raise CitationEngineError(
            "pandoc is not available: install pypandoc-binary or set CITATION_PANDOC."
        )
    binary = Path(next(iter(spec.submodule_search_locations))) / "files" / "pandoc"
    if not binary.exists():
        raise CitationEngineError(
            f"pandoc is not available at {binary}: install pypandoc-binary "
            "(not plain pypandoc) or set CITATION_PANDOC."
        )
    return str(binary)


@lru_cache(maxsize=64)
def _file_digest(path: str, mtime: float, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def _fingerprint(style: CitationStyle) -> str:
    """Return a short digest of what determines the output: renderer, engine binary, style."""
    parts = [RENDERER_VERSION, style.locale or ""]
    for path in (style.path, RENDER_SCRIPT):
        stat = path.stat()
        parts.append(_file_digest(str(path), stat.st_mtime, stat.st_size))
    # The binary is large: its path, size and time identify it well enough.
    binary = Path(pandoc_path())
    identity = binary.stat() if binary.exists() else None
    parts.append(f"{binary}:{identity.st_size}:{identity.st_mtime}" if identity else str(binary))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _timeout(item_count: int) -> float:
    base = getattr(settings, "CITATION_TIMEOUT", 30)
    # Formatting one item on its own costs up to ~30 ms (the style is parsed each time).
    return base + item_count * 0.05


def _run_engine(jobs: list[dict[str, Any]]) -> list[list[dict]]:
    """Run pandoc once on `jobs`; return each job's blocks (pandoc JSON AST)."""
    count = sum(len(job["items"]) for job in jobs)
    request = json.dumps({"jobs": jobs}, ensure_ascii=False).encode("utf-8")
    try:
        completed = subprocess.run(  # noqa: S603 - fixed binary and script, input on stdin
            [pandoc_path(), "lua", str(RENDER_SCRIPT)],
            input=request,
            capture_output=True,
            timeout=_timeout(count),
            check=False,
        )
    except FileNotFoundError as error:
        raise CitationEngineError(f"pandoc could not be started: {error}") from error
    except subprocess.TimeoutExpired as error:
        raise CitationEngineError(
            f"pandoc took more than {error.timeout:.0f} s to format {count} items."
        ) from error
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip()
        raise CitationEngineError(f"pandoc failed (exit {completed.returncode}): {message}")
    answer = json.loads(completed.stdout)
    return [job_div["c"][1] for job_div in answer["blocks"]]


def _job(style: CitationStyle, mode: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    unused = _INERT_FIELDS - _style_variables(style.path)
    job = {
        "style": str(style.path),
        "lang": style.locale,
        "mode": mode,
        "items": [_compatible_item(item, drop=unused) for item in items],
    }
    if mode == "list":
        job["fast_style"] = _style_without_disambiguation(style.path)
    return job


# Bulky fields that change no output unless the style prints them; the engine's time grows
# with the data it is given (an abstract doubles it).
_INERT_FIELDS = frozenset({"abstract", "keyword"})
_DISAMBIGUATION = re.compile(r'disambiguate-add-(?:givenname|names|year-suffix)="true"')


@lru_cache(maxsize=64)
def _style_variables(path: Path) -> frozenset[str]:
    text = path.read_text(encoding="utf-8")
    return frozenset(
        name for value in re.findall(r'variable="([^"]+)"', text) for name in value.split()
    )


@lru_cache(maxsize=64)
def _style_without_disambiguation(path: Path) -> str | None:
    """Return a copy of the style with disambiguation off, or None if it adds no year suffix."""
    text = path.read_text(encoding="utf-8")
    if 'disambiguate-add-year-suffix="true"' not in text:
        return None
    derived = _DISAMBIGUATION.sub(lambda match: match.group().replace("true", "false"), text)
    digest = hashlib.sha256(derived.encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "catalogue-csl"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{path.stem}-{digest}.csl"
    if not target.exists():
        # Written under a unique name, then renamed: concurrent writers never clash.
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".csl")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(derived)
        os.replace(temporary, target)
    return str(target)


# citeproc-js title-cases a word by upper-casing its first character, so a word that starts
# with a symbol ("#hashtag", "<script>") keeps its case; pandoc's citeproc upper-cases the first
# letter instead. Wrapping such words in nocase spans (before the engine sees them; stored and
# exported data are untouched) makes both agree. Words are split where citeproc-js splits them.
_RICH_TEXT_TAG = re.compile(
    r"</?(?:i|b|sup|sub|sc)>"
    r'|<span\s+(?:class="no(?:case|decor)"|style="font-variant:\s*small-caps;?")\s*>'
    r"|</span>"
)
_CITEPROC_JS_WORD = re.compile(r"[^\s‘’“”\"'\-–—/.,;?!:\[\]()]+")


def _protect_symbol_words(text: str) -> str:
    out: list[str] = []
    spans: list[bool] = []  # open spans: True for nocase/nodecor
    position = 0
    for tag in _RICH_TEXT_TAG.finditer(text):
        out.append(_protect_segment(text[position : tag.start()], protected=any(spans)))
        markup = tag.group()
        if markup.startswith("<span"):
            spans.append("no" in markup)
        elif markup == "</span>" and spans:
            spans.pop()
        out.append(markup)
        position = tag.end()
    out.append(_protect_segment(text[position:], protected=any(spans)))
    return "".join(out)


def _protect_segment(segment: str, *, protected: bool) -> str:
    if protected:
        return segment

    def wrap(match: re.Match) -> str:
        word = match.group()
        if not word[0].isalnum() and any(char.isalpha() for char in word):
            return f'<span class="nocase">{word}</span>'
        return word

    return _CITEPROC_JS_WORD.sub(wrap, segment)


def _compatible_item(item: dict[str, Any], *, drop: frozenset[str] = frozenset()) -> dict[str, Any]:
    compatible = {key: value for key, value in item.items() if key not in drop}
    for key, value in compatible.items():
        if key.endswith(("title", "title-short")) and isinstance(value, str):
            compatible[key] = _protect_symbol_words(value)
    return compatible


# --- Writing the engine's AST as citeproc-js text and HTML --------------------------------------

_HTML_TAGS = {
    "Emph": ("<i>", "</i>"),
    "Strong": ("<b>", "</b>"),
    "Superscript": ("<sup>", "</sup>"),
    "Subscript": ("<sub>", "</sub>"),
    "SmallCaps": ('<span style="font-variant:small-caps;">', "</span>"),
    "Underline": ('<span style="text-decoration:underline;">', "</span>"),
}
# citeproc-js flips nested italics/bold to normal ("flip-flop").
_HTML_FLIPPED = {
    "Emph": ('<span style="font-style:normal;">', "</span>"),
    "Strong": ('<span style="font-weight:normal;">', "</span>"),
}


def _escape(text: str) -> str:
    """Escape like citeproc-js's HTML format (numeric entities)."""
    return text.replace("&", "&#38;").replace("<", "&#60;").replace(">", "&#62;")


def _inlines(inlines: list[dict], fmt: str, active: frozenset[str] = frozenset()) -> str:
    out = []
    for node in inlines:
        kind, content = node["t"], node.get("c")
        if kind == "Str":
            out.append(_escape(content) if fmt == "html" else content)
        elif kind in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif kind in _HTML_TAGS:
            if fmt == "text":
                out.append(_inlines(content, fmt, active))
                continue
            if kind in _HTML_FLIPPED and kind in active:
                start, end = _HTML_FLIPPED[kind]
                inner = _inlines(content, fmt, active - {kind})
            else:
                start, end = _HTML_TAGS[kind]
                inner = _inlines(content, fmt, active | {kind})
            out.append(f"{start}{inner}{end}")
        elif kind in ("Span", "Link") or kind == "Cite":
            out.append(_inlines(content[1], fmt, active))
        elif kind == "Quoted":
            opening, closing = ("“", "”") if content[0]["t"] == "DoubleQuote" else ("‘", "’")
            out.append(opening + _inlines(content[1], fmt, active) + closing)
        elif kind in ("Code", "Math", "RawInline"):
            text = content[-1]
            out.append(_escape(text) if fmt == "html" else text)
        elif isinstance(content, list) and content:
            # Any other container (Strikeout, ...): keep its text, never its markup.
            children = content if isinstance(content[0], dict) else content[-1]
            if isinstance(children, list) and all(isinstance(child, dict) for child in children):
                out.append(_inlines(children, fmt, active))
    return "".join(out)


def _classes(node: dict) -> list[str]:
    return node["c"][0][1]


@dataclass(frozen=True)
class _Entry:
    """One formatted item as the engine returned it: bibliography entry and in-text citation."""

    bibliography: list[dict]  # the blocks of the csl-entry Div
    citation: list[dict]  # the in-text citation's inlines ([] in list mode)

    def entry(self, fmt: str, *, label: bool = True) -> str:
        """Return the bibliography entry; label=False drops a numeric style's "1." label."""
        parts = [self._block(block, fmt, label) for block in self.bibliography]
        body = "".join(parts)
        if fmt == "text":
            return body.strip()
        return mark_safe(f'<div class="csl-entry">{body}</div>')  # noqa: S308

    def _block(self, block: dict, fmt: str, label: bool) -> str:
        if block["t"] in ("Para", "Plain"):
            return self._line(block["c"], fmt, label)
        if block["t"] == "Div":
            inner = "".join(self._block(child, fmt, label) for child in block["c"][1])
            if fmt == "html" and "csl-block" in _classes(block):
                return f'\n\n    <div class="csl-block">{inner}</div>\n'
            return inner
        return ""

    def _line(self, inlines: list[dict], fmt: str, label: bool) -> str:
        out = []
        for node in inlines:
            classes = _classes(node) if node["t"] == "Span" else []
            if "csl-left-margin" in classes:
                if not label:
                    continue
                margin = _inlines(node["c"][1], fmt).strip()
                out.append(
                    f'\n    <div class="csl-left-margin">{margin}</div>'
                    if fmt == "html"
                    else margin + " "
                )
            elif "csl-right-inline" in classes or "csl-indent" in classes:
                inner = _inlines(node["c"][1], fmt)
                if fmt == "html" and label:
                    name = "csl-right-inline" if "csl-right-inline" in classes else "csl-indent"
                    inner = f'<div class="{name}">{inner}</div>\n  '
                out.append(inner)
            else:
                out.append(_inlines([node], fmt))
        return "".join(out)

    def in_text(self, fmt: str) -> str:
        """Return the in-text citation ("(Zilcha-Mano, 2017)")."""
        text = _inlines(self.citation, fmt)
        return mark_safe(text) if fmt == "html" else text  # noqa: S308


def _bibliography_entries(blocks: list[dict]) -> list[tuple[str, list[dict]]]:
    """Return (item id, entry blocks) for each entry of the refs Div among `blocks`."""
    entries = []
    for block in blocks:
        if block["t"] == "Div" and "csl-bib-body" in _classes(block):
            for entry in block["c"][1]:
                identifier = entry["c"][0][0]
                entries.append((identifier.removeprefix("ref-"), entry["c"][1]))
    return entries


def _parse_each(blocks: list[dict]) -> dict[str, _Entry]:
    entries = {}
    for item_div in blocks:
        identifier = item_div["c"][0][0]
        citation: list[dict] = []
        bibliography: list[dict] = []
        for block in item_div["c"][1]:
            if block["t"] == "Para" and block["c"] and block["c"][0]["t"] == "Cite":
                citation = block["c"]
        found = _bibliography_entries(item_div["c"][1])
        if found:
            bibliography = found[0][1]
        entries[identifier] = _Entry(bibliography=bibliography, citation=citation)
    return entries


# --- Public rendering API ------------------------------------------------------------------------


def _items(records: Iterable[Article | ArticleRecord | dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    seen: set[str] = set()
    for index, record in enumerate(records):
        item = dict(record) if isinstance(record, dict) else article_to_csl(record)
        # The engine maps results back by id: give missing or repeated ids unique ones.
        if not item.get("id") or str(item["id"]) in seen:
            item["id"] = f"item-{index + 1}"
        item["id"] = str(item["id"])
        seen.add(item["id"])
        items.append(item)
    return items


def _loaded(records: Any) -> Any:
    if isinstance(records, QuerySet) and records.model is Article:
        return (record for batch in iter_record_batches(records) for record in batch)
    return records


def render_entries(
    records: Iterable[Article | ArticleRecord | dict[str, Any]],
    *,
    style: str,
    label: bool = True,
) -> list[dict[str, str]]:
    """Return each record formatted on its own, as if it were the only one cited, in order.

    Each result has "text" and "html" (the bibliography entry) and "intext_text" and
    "intext_html" (the in-text citation). Records are Articles, ArticleRecords or CSL-JSON
    items. label=False drops a numeric style's "1." label. One engine process for all.
    """
    chosen = get_style(style)
    items = _items(_loaded(records))
    if not items:
        return []
    [blocks] = _run_engine([_job(chosen, "each", items)])
    entries = _parse_each(blocks)
    return [_rendered(entries[item["id"]], label=label) for item in items]


def _rendered(entry: _Entry, *, label: bool) -> dict[str, str]:
    return {
        "text": entry.entry("text", label=label),
        "html": entry.entry("html", label=label),
        "intext_text": entry.in_text("text"),
        "intext_html": entry.in_text("html"),
    }


def render_bibliography(
    records: Iterable[Article | ArticleRecord | dict[str, Any]],
    *,
    style: str,
    fmt: str = "text",
) -> list[str]:
    """Return the records' bibliography entries in `fmt` ("text" or "html"), in style order.

    The records form one reference list: sorted as the style sorts, disambiguated ("2017a",
    "2017b"), numbered in the given order by numeric styles. One engine process for all.
    """
    _check_format(fmt)
    chosen = get_style(style)
    items = _items(_loaded(records))
    if not items:
        return []
    [blocks] = _run_engine([_job(chosen, "list", items)])
    return [
        _Entry(bibliography=entry, citation=[]).entry(fmt)
        for _, entry in _bibliography_entries(blocks)
    ]


def stream_bibliography(
    articles: QuerySet[Article],
    *,
    style: str,
    fmt: str = "text",
    batch_size: int = 1000,
) -> Iterator[str]:
    """Yield a long bibliography in chunks of up to `batch_size` entries, one per line.

    Each batch is formatted by one engine process as one reference list (sorted and
    disambiguated within the batch); batches follow the queryset's order, so order the queryset
    as the list should read. Numeric styles number on across batches.
    """
    _check_format(fmt)
    chosen = get_style(style)
    number = 0
    for batch in iter_record_batches(articles, batch_size=batch_size):
        [blocks] = _run_engine([_job(chosen, "list", _items(batch))])
        lines = []
        for _, blocks_of_entry in _bibliography_entries(blocks):
            number += 1
            entry = _Entry(bibliography=_renumber(blocks_of_entry, number), citation=[])
            lines.append(entry.entry(fmt))
        yield "".join(line + "\n" for line in lines)


def _renumber(blocks: list[dict], number: int) -> list[dict]:
    """Return the entry with the digits of its left-margin label replaced by `number`."""
    renumbered = json.loads(json.dumps(blocks))
    for block in renumbered:
        for node in block.get("c", []) if block["t"] in ("Para", "Plain") else []:
            if node["t"] == "Span" and "csl-left-margin" in _classes(node):
                for inline in node["c"][1]:
                    if inline["t"] == "Str" and re.search(r"\d+", inline["c"]):
                        inline["c"] = re.sub(r"\d+", str(number), inline["c"], count=1)
                        return renumbered
    return renumbered


# --- Cached per-article citations ------------------------------------------------------------


def _cache():
    return caches[getattr(settings, "CITATION_CACHE_ALIAS", "default")]


def _cache_key(record: ArticleRecord, item: dict[str, Any], style: CitationStyle) -> str:
    updated = record.updated.timestamp() if record.updated else 0
    digest = hashlib.sha256(
        json.dumps(item, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:16]
    return f"citation:{_fingerprint(style)}:{record.pk}:{updated:.6f}:{style.id}:{digest}"


def render_citations(
    article: Article | ArticleRecord, *, styles: Iterable[str] | None = None
) -> dict[str, dict[str, str]]:
    """Return the article's citation in each style (all configured ones by default), by id.

    Each value is render_citation's dict. Cached; the missing styles are formatted together
    in one engine process.
    """
    chosen = [get_style(style) for style in styles] if styles is not None else None
    chosen = chosen if chosen is not None else list(available_styles().values())
    record = as_record(article)
    item = article_to_csl(record)
    keys = {style.id: _cache_key(record, item, style) for style in chosen}
    cache = _cache()
    cached = cache.get_many(list(keys.values()))
    result = {style_id: cached[key] for style_id, key in keys.items() if key in cached}
    missing = [style for style in chosen if style.id not in result]
    if missing:
        outputs = _run_engine([_job(style, "each", [item]) for style in missing])
        fresh = {}
        for style, blocks in zip(missing, outputs, strict=True):
            entry = _parse_each(blocks)[item["id"]]
            result[style.id] = fresh[keys[style.id]] = _rendered(entry, label=False)
        cache.set_many(fresh, timeout=getattr(settings, "CITATION_CACHE_TIMEOUT", None))
    return {style.id: result[style.id] for style in chosen}


def render_citation(article: Article | ArticleRecord, *, style: str) -> dict[str, str]:
    """Return the article's citation in `style` as a "Cite this" box shows it, cached.

    Keys: "text" and "html" (the reference-list entry, without a numeric style's "1." label;
    the HTML is escaped and marked safe), "intext_text" and "intext_html" (the in-text
    citation, e.g. "(Zilcha-Mano, 2017)").
    """
    return render_citations(article, styles=[style])[style]


def warm_citations(
    articles: QuerySet[Article], *, styles: Iterable[str] | None = None, batch_size: int = 200
) -> int:
    """Format and cache the citations of every article not cached yet; return how many made.

    One engine process per batch and style (each item formatted on its own costs ~20 ms).
    """
    chosen = [get_style(style) for style in styles] if styles is not None else None
    chosen = chosen if chosen is not None else list(available_styles().values())
    cache = _cache()
    made = 0
    for batch in iter_record_batches(articles, batch_size=batch_size):
        items = {record.pk: article_to_csl(record) for record in batch}
        keys = {
            (style.id, record.pk): _cache_key(record, items[record.pk], style)
            for style in chosen
            for record in batch
        }
        cached = cache.get_many(list(keys.values()))
        jobs, job_styles = [], []
        for style in chosen:
            todo = [items[record.pk] for record in batch if keys[style.id, record.pk] not in cached]
            if todo:
                jobs.append(_job(style, "each", todo))
                job_styles.append((style, todo))
        if not jobs:
            continue
        fresh = {}
        for (style, todo), blocks in zip(job_styles, _run_engine(jobs), strict=True):
            entries = _parse_each(blocks)
            for item in todo:
                key = keys[style.id, int(item["id"])]
                fresh[key] = _rendered(entries[item["id"]], label=False)
        cache.set_many(fresh, timeout=getattr(settings, "CITATION_CACHE_TIMEOUT", None))
        made += len(fresh)
    return made
