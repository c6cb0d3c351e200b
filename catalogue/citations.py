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
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db.models import QuerySet
from django.utils.safestring import mark_safe

from catalogue.formats.csl_json import article_to_csl
from catalogue.formats.rich_text import RICH_TEXT_TAG
from catalogue.models import Article
from catalogue.records import ArticleRecord, as_record, iter_record_batches

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


def default_style() -> str:
    """Return the style used when none is asked for (settings.CITATION_DEFAULT_STYLE)."""
    return getattr(settings, "CITATION_DEFAULT_STYLE", "apa")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"Unknown citation format {fmt!r}; use 'text' or 'html'.")


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
_CITEPROC_JS_WORD = re.compile(r"[^\s‘’“”\"'\-–—/.,;?!:\[\]()]+")


def _protect_symbol_words(text: str) -> str:
    out: list[str] = []
    spans: list[bool] = []  # open spans: True for nocase/nodecor
    position = 0
    for tag in RICH_TEXT_TAG.finditer(text):
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
