"""Formatted citations of records: one at a time (cached per article), lists, long streams.

A process start costs about 0.1 s, so the formatted citations of one article are cached
(Django cache `CITATION_CACHE_ALIAS`) under a key made of the article id, its `updated`
time, the style, and a digest of its CSL-JSON (so that renaming an author or a journal, which
does not touch the article's `updated`, invalidates it as well).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.cache import caches
from django.db.models import QuerySet

from catalogue import conf
from catalogue.citations import engine
from catalogue.citations.output import (
    Entry,
    bibliography_entries,
    check_format,
    parse_each,
    rendered,
    renumber,
)
from catalogue.citations.styles import CitationStyle, available_styles, get_style
from catalogue.formats.csl_json import article_to_csl
from catalogue.models import Article
from catalogue.records import ArticleRecord, as_record, iter_record_batches


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
    [blocks] = engine.run_engine([engine.make_job(chosen, "each", items)])
    entries = parse_each(blocks)
    return [rendered(entries[item["id"]], label=label) for item in items]


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
    check_format(fmt)
    chosen = get_style(style)
    items = _items(_loaded(records))
    if not items:
        return []
    [blocks] = engine.run_engine([engine.make_job(chosen, "list", items)])
    return [
        Entry(bibliography=entry, citation=[]).entry(fmt)
        for _, entry in bibliography_entries(blocks)
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
    check_format(fmt)
    chosen = get_style(style)
    number = 0
    for batch in iter_record_batches(articles, batch_size=batch_size):
        [blocks] = engine.run_engine([engine.make_job(chosen, "list", _items(batch))])
        lines = []
        for _, blocks_of_entry in bibliography_entries(blocks):
            number += 1
            entry = Entry(bibliography=renumber(blocks_of_entry, number), citation=[])
            lines.append(entry.entry(fmt))
        yield "".join(line + "\n" for line in lines)


def _cache():
    return caches[conf.get("CITATION_CACHE_ALIAS")]


def _cache_key(record: ArticleRecord, item: dict[str, Any], style: CitationStyle) -> str:
    updated = record.updated.timestamp() if record.updated else 0
    digest = hashlib.sha256(
        json.dumps(item, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:16]
    return f"citation:{engine.fingerprint(style)}:{record.pk}:{updated:.6f}:{style.id}:{digest}"


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
        outputs = engine.run_engine([engine.make_job(style, "each", [item]) for style in missing])
        fresh = {}
        for style, blocks in zip(missing, outputs, strict=True):
            entry = parse_each(blocks)[item["id"]]
            result[style.id] = fresh[keys[style.id]] = rendered(entry, label=False)
        cache.set_many(fresh, timeout=conf.get("CITATION_CACHE_TIMEOUT"))
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
                jobs.append(engine.make_job(style, "each", todo))
                job_styles.append((style, todo))
        if not jobs:
            continue
        fresh = {}
        for (style, todo), blocks in zip(job_styles, engine.run_engine(jobs), strict=True):
            entries = parse_each(blocks)
            for item in todo:
                key = keys[style.id, int(item["id"])]
                fresh[key] = rendered(entries[item["id"]], label=False)
        cache.set_many(fresh, timeout=conf.get("CITATION_CACHE_TIMEOUT"))
        made += len(fresh)
    return made
