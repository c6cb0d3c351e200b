"""Formatted citations of records: one at a time (cached per article), lists, long streams.

The formatted citations of one article are cached (Django cache `CITATION_CACHE_ALIAS`) under
a key made of the article id, its `updated` time, the style and locale, the engine's
fingerprint, and a digest of its CSL-JSON (so that renaming an author or a journal, which does
not touch the article's `updated`, invalidates it as well).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.cache import caches
from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe

from catalogue import conf
from catalogue.citations import engine
from catalogue.citations.output import (
    check_format,
    entry_text,
    escape_html,
    plain_text,
    renumber,
    replace_et_al,
    safe_html,
    without_label,
)
from catalogue.citations.styles import (
    CitationStyle,
    available_styles,
    get_style,
    style_locale,
)
from catalogue.formats.csl_json import article_to_csl
from catalogue.models import Article
from catalogue.records import ArticleRecord, as_record, iter_record_batches

Records = Iterable[Article | ArticleRecord | dict[str, Any]]


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


def _escaped(text: str) -> SafeString:
    return mark_safe(escape_html(text))  # noqa: S308


def _entry(
    result: dict[str, tuple[str | None, str]], *, locale: str, label: bool
) -> dict[str, str]:
    """Return one engine result as "text", "html", "intext_text" and "intext_html"."""
    (text, cite_text), (markup, cite_html) = result["text"], result["html"]
    if text is None:
        # A style without a bibliography (some note styles): the citation is the entry.
        text = cite_text
        markup = f'<div class="csl-entry">{cite_html}</div>'
    text = replace_et_al(entry_text(text), locale, fmt="text")
    markup = replace_et_al(entry_text(markup), locale, fmt="html")
    cite_text = replace_et_al(cite_text, locale, fmt="text")
    cite_html = replace_et_al(cite_html, locale, fmt="html")
    if not label:
        text, markup = without_label(text, markup)
    intext_html = safe_html(cite_html, "")
    return {
        "text": text,
        "html": safe_html(markup, text),
        "intext_text": cite_text,
        "intext_html": intext_html if intext_html or not cite_text else _escaped(cite_text),
    }


def _chosen(style: str | CitationStyle, locale: str | None) -> tuple[CitationStyle, str | None]:
    chosen = style if isinstance(style, CitationStyle) else get_style(style)
    # Validates the locale (UnknownLocale) before any work.
    style_locale(chosen, locale)
    return chosen, locale


def render_entries(
    records: Records,
    *,
    style: str,
    locale: str | None = None,
    label: bool = True,
) -> list[dict[str, str]]:
    """Return each record formatted on its own, as if it were the only one cited, in order.

    Each result has "text" and "html" (the bibliography entry) and "intext_text" and
    "intext_html" (the in-text citation). Records are Articles, ArticleRecords or CSL-JSON
    items. label=False drops a numeric style's "1." label.
    """
    chosen, locale = _chosen(style, locale)
    items = _items(_loaded(records))
    if not items:
        return []
    lang = style_locale(chosen, locale)
    results = engine.format_each(chosen, locale, items)
    return [_entry(result, locale=lang, label=label) for result in results]


def _list_entries(
    chosen: CitationStyle, locale: str | None, items: list[dict[str, Any]], fmt: str
) -> tuple[list[str], bool]:
    """Return the items' entries as one reference list, and whether they carry a label."""
    lang = style_locale(chosen, locale)
    answer = engine.format_list(chosen, locale, items, fmt)
    if answer is None:
        # No bibliography in the style: each item's citation, in the given order.
        results = engine.format_each(chosen, locale, items)
        entries = [_entry(result, locale=lang, label=True) for result in results]
        return [entry[fmt] for entry in entries], False
    params, raw, _ = answer
    entries = []
    for entry in raw:
        trimmed = replace_et_al(entry_text(entry), lang, fmt=fmt)
        entries.append(
            safe_html(trimmed, plain_text(trimmed).strip()) if fmt == "html" else trimmed
        )
    return entries, bool(params.get("second-field-align"))


def render_bibliography(
    records: Records,
    *,
    style: str,
    locale: str | None = None,
    fmt: str = "text",
) -> list[str]:
    """Return the records' bibliography entries in `fmt` ("text" or "html"), in style order.

    The records form one reference list: sorted as the style sorts, disambiguated ("2017a",
    "2017b"), numbered in the given order by numeric styles.
    """
    check_format(fmt)
    chosen, locale = _chosen(style, locale)
    items = _items(_loaded(records))
    if not items:
        return []
    return _list_entries(chosen, locale, items, fmt)[0]


def stream_bibliography(
    articles: QuerySet[Article],
    *,
    style: str,
    locale: str | None = None,
    fmt: str = "text",
    batch_size: int = 1000,
) -> Iterator[str]:
    """Yield a long bibliography in chunks of up to `batch_size` entries, one per line.

    Each batch is formatted as one reference list (sorted and disambiguated within the batch);
    batches follow the queryset's order, so order the queryset as the list should read.
    Numeric styles number on across batches.
    """
    check_format(fmt)
    chosen, locale = _chosen(style, locale)
    return _stream(articles, chosen, locale, fmt, batch_size)


def _stream(
    articles: QuerySet[Article],
    chosen: CitationStyle,
    locale: str | None,
    fmt: str,
    batch_size: int,
) -> Iterator[str]:
    number = 0
    for batch in iter_record_batches(articles, batch_size=batch_size):
        entries, labelled = _list_entries(chosen, locale, _items(batch), fmt)
        lines = []
        for entry in entries:
            number += 1
            line = renumber(entry, number, fmt=fmt) if labelled else entry
            lines.append(line.replace("\n", " ") if fmt == "text" else line.replace("\n", ""))
        yield "".join(line + "\n" for line in lines)


def _cache():
    return caches[conf.get("CITATION_CACHE_ALIAS")]


def _cache_key(
    record: ArticleRecord, item: dict[str, Any], style: CitationStyle, locale: str | None
) -> str:
    updated = record.updated.timestamp() if record.updated else 0
    digest = hashlib.sha256(
        json.dumps(item, sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:16]
    fingerprint = engine.fingerprint(style, locale)
    return f"citation:{fingerprint}:{record.pk}:{updated:.6f}:{digest}"


def render_citations(
    article: Article | ArticleRecord,
    *,
    styles: Iterable[str] | None = None,
    locale: str | None = None,
) -> dict[str, dict[str, str]]:
    """Return the article's citation in each style (all core ones by default), by id.

    Each value is render_citation's dict. Cached; the missing styles are formatted then.
    """
    chosen = [get_style(style) for style in styles] if styles is not None else None
    chosen = chosen if chosen is not None else list(available_styles().values())
    for style in chosen:
        style_locale(style, locale)
    record = as_record(article)
    item = article_to_csl(record)
    keys = {style.id: _cache_key(record, item, style, locale) for style in chosen}
    cache = _cache()
    cached = cache.get_many(list(keys.values()))
    result = {style_id: cached[key] for style_id, key in keys.items() if key in cached}
    fresh = {}
    for style in chosen:
        if style.id in result:
            continue
        [formatted] = engine.format_each(style, locale, [item])
        lang = style_locale(style, locale)
        entry = _entry(formatted, locale=lang, label=False)
        result[style.id] = fresh[keys[style.id]] = entry
    if fresh:
        cache.set_many(fresh, timeout=conf.get("CITATION_CACHE_TIMEOUT"))
    return {style.id: result[style.id] for style in chosen}


def render_citation(
    article: Article | ArticleRecord, *, style: str, locale: str | None = None
) -> dict[str, str]:
    """Return the article's citation in `style` as a "Cite this" box shows it, cached.

    Keys: "text" and "html" (the reference-list entry, without a numeric style's "1." label;
    the HTML is escaped and marked safe), "intext_text" and "intext_html" (the in-text
    citation, e.g. "(Zilcha-Mano, 2017)").
    """
    return render_citations(article, styles=[style], locale=locale)[style]


def warm_citations(
    articles: QuerySet[Article],
    *,
    styles: Iterable[str] | None = None,
    locale: str | None = None,
    batch_size: int = 200,
) -> int:
    """Format and cache the citations of every article not cached yet; return how many made."""
    chosen = [get_style(style) for style in styles] if styles is not None else None
    chosen = chosen if chosen is not None else list(available_styles().values())
    for style in chosen:
        style_locale(style, locale)
    cache = _cache()
    made = 0
    for batch in iter_record_batches(articles, batch_size=batch_size):
        items = {record.pk: article_to_csl(record) for record in batch}
        keys = {
            (style.id, record.pk): _cache_key(record, items[record.pk], style, locale)
            for style in chosen
            for record in batch
        }
        cached = cache.get_many(list(keys.values()))
        fresh = {}
        for style in chosen:
            todo = [record.pk for record in batch if keys[style.id, record.pk] not in cached]
            if not todo:
                continue
            lang = style_locale(style, locale)
            results = engine.format_each(style, locale, [items[pk] for pk in todo])
            for pk, formatted in zip(todo, results, strict=True):
                entry = _entry(formatted, locale=lang, label=False)
                fresh[keys[style.id, pk]] = entry
        if fresh:
            cache.set_many(fresh, timeout=conf.get("CITATION_CACHE_TIMEOUT"))
        made += len(fresh)
    return made
