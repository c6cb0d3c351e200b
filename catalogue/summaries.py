"""Evidence summaries: their Markdown body rendered safely, and their literature list in APA.

The body is Markdown written by librarians and experts. It is rendered by Python-Markdown and
then cleaned by nh3 (ammonia) with an allow-list: headings, paragraphs, lists, emphasis,
quotations and links survive; raw HTML written in the Markdown does not (its tags are dropped,
`<script>` and `<style>` with their content), and neither do images or links to anything but
http, https, mailto and relative addresses. Links get rel="nofollow noopener".

Literature entries linked to an article are formatted by the citation engine of the "Cite this"
box (catalogue.citations, cached per article); unlinked entries show their citation text,
escaped.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as etree
from collections.abc import Iterable
from dataclasses import dataclass

import markdown
import nh3
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown.inlinepatterns import InlineProcessor
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor

from catalogue import citations, records
from catalogue.models import Article, EvidenceSummary, Keyword, LiteratureEntry

logger = logging.getLogger(__name__)

LITERATURE_STYLE = "apa"

ALLOWED_TAGS = frozenset(
    {"h2", "h3", "h4", "p", "br", "ul", "ol", "li", "em", "strong", "a", "blockquote", "code"}
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# Relative URLs (/articles/2/, #section) are kept as well: they cannot run script.
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

# Raw HTML is never kept, but the text of <script> and <style> is not even shown as text.
_DROPPED_ELEMENT = r"(?i)<(script|style)\b[^>]*>.*?</\1\s*>"


class _DropScriptInline(InlineProcessor):
    """Remove an inline <script>…</script> or <style>…</style> with its content."""

    def handleMatch(self, match: re.Match, data: str) -> tuple[str, int, int]:
        return "", match.start(0), match.end(0)


class _StripRawHtml(Postprocessor):
    """Put back the raw HTML Markdown set aside as its text only, escaped: no tag survives."""

    def run(self, text: str) -> str:
        stash = self.md.htmlStash
        for index in range(stash.html_counter):
            placeholder = stash.get_placeholder(index)
            raw = stash.rawHtmlBlocks[index]
            cleaned = nh3.clean(raw, tags=set(), clean_content_tags={"script", "style"})
            # A block of raw HTML stands alone as <p>placeholder</p>; its text stays a paragraph.
            block = f"<p>{cleaned.strip()}</p>" if cleaned.strip() else ""
            text = text.replace(f"<p>{placeholder}</p>", block).replace(placeholder, cleaned)
        return text


class _DemoteTopHeadings(Treeprocessor):
    """Turn "# Heading" into <h2>: the page's title is its only <h1>."""

    def run(self, root: etree.Element) -> None:
        for element in root.iter("h1"):
            element.tag = "h2"


def _markdown() -> markdown.Markdown:
    md = markdown.Markdown(extensions=[], output_format="html")
    md.inlinePatterns.register(
        _DropScriptInline(_DROPPED_ELEMENT, md), "drop_script", 200
    )  # before "html" (90) and every other inline pattern
    md.treeprocessors.register(_DemoteTopHeadings(md), "demote_h1", 5)
    md.postprocessors.deregister("raw_html")
    md.postprocessors.register(_StripRawHtml(md), "raw_html", 30)
    return md


def render_markdown(*, text: str) -> SafeString:
    """Return `text` (Markdown) as sanitised HTML: no script, raw HTML, image or unsafe link."""
    html = _markdown().convert(text or "")
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        clean_content_tags={"script", "style"},
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 -- nh3 keeps only the allow-listed tags above


@dataclass(frozen=True)
class LiteratureItem:
    """One entry of a summary's literature list, ready for the page."""

    position: int
    html: SafeString
    text: str
    note: str
    record_url: str = ""
    record_title: str = ""

    @property
    def is_linked(self) -> bool:
        return bool(self.record_url)


def render_literature(
    *, entries: Iterable[LiteratureEntry], style: str = LITERATURE_STYLE
) -> list[LiteratureItem]:
    """Return the entries in their order: linked ones formatted in `style` and pointing to
    their record, the others as their citation text, escaped."""
    entries = list(entries)
    article_ids = [entry.article_id for entry in entries if entry.article_id]
    formatted = _formatted(article_ids=article_ids, style=style)
    items = []
    for entry in entries:
        # Without a record, or if the engine failed, the citation text stands in.
        citation = formatted.get(entry.article_id) or {
            "html": _escaped_entry(entry.citation_text),
            "text": entry.citation_text,
        }
        linked = entry.article_id is not None
        items.append(
            LiteratureItem(
                position=entry.position,
                html=citation["html"],
                text=citation["text"],
                note=entry.note,
                record_url=reverse("catalogue:article-detail", args=[entry.article_id])
                if linked
                else "",
                record_title=entry.article.title if linked else "",
            )
        )
    return items


def _escaped_entry(text: str) -> SafeString:
    return mark_safe(f'<div class="csl-entry">{escape(text)}</div>')  # noqa: S308 -- escaped


def _formatted(*, article_ids: list[int], style: str) -> dict[int, dict[str, str]]:
    """Return the cited articles' citations in `style` by article id, from the citation cache
    (the articles not cached yet are formatted together, in one engine process)."""
    if not article_ids:
        return {}
    articles = Article.objects.filter(pk__in=article_ids)
    try:
        citations.warm_citations(articles, styles=[style])
        return {
            record.pk: citations.render_citation(record, style=style)
            for batch in records.iter_record_batches(articles)
            for record in batch
        }
    except citations.CitationEngineError:
        logger.exception("Formatting a literature list failed; showing its citation texts")
        return {}


def citation_text_for(*, article: Article, style: str = LITERATURE_STYLE) -> str:
    """Return the article's reference in `style` as plain text (for an entry's citation text)."""
    return citations.render_citation(
        Article.objects.with_related().get(pk=article.pk), style=style
    )["text"]


def portal_summaries(
    *, audience: str = "", keyword: Keyword | str | None = None
) -> QuerySet[EvidenceSummary]:
    """Return the published summaries for `audience` citing works with `keyword` (either may
    be empty: no filter), newest first, with their authors."""
    found = EvidenceSummary.objects.published()
    if audience:
        found = found.for_audience(audience)
    if keyword:
        found = found.citing_keyword(keyword)
    return found.newest_first().for_listing()


def summaries_citing(*, article: Article) -> QuerySet[EvidenceSummary]:
    """Return the published summaries whose literature links to `article`, newest first."""
    return EvidenceSummary.objects.published().citing(article).newest_first()


def summary_with_literature(*, slug: str, include_drafts: bool = False) -> EvidenceSummary:
    """Return the summary with this slug, its author and its ordered literature loaded.

    Raises EvidenceSummary.DoesNotExist when there is none (or it is a draft and drafts are
    not included).
    """
    summaries = EvidenceSummary.objects.all()
    if not include_drafts:
        summaries = summaries.published()
    return (
        summaries.select_related("author")
        .prefetch_related(
            Prefetch(
                "literature",
                queryset=LiteratureEntry.objects.order_by("position").select_related("article"),
            )
        )
        .get(slug=slug)
    )
