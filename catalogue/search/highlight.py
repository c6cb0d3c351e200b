"""Matched words marked in titles and abstracts: the backends mark them with U+E000/U+E001."""

from __future__ import annotations

from django.utils.safestring import SafeString, mark_safe

from catalogue.rich_text import render_rich_text

MARK_START, MARK_END = "\ue000", "\ue001"
SNIPPET_WORDS = 40


def highlight_html(text: str | None) -> SafeString:
    """Return `text` as safe HTML: escaped, CSL rich-text tags kept, U+E000…U+E001 as <mark>."""
    text = text or ""
    if text.count(MARK_START) != text.count(MARK_END):
        text = text.replace(MARK_START, "").replace(MARK_END, "")
    html = str(render_rich_text(text))
    return mark_safe(  # noqa: S308 -- escaped above; only our own markers become tags
        html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    )


def plain_snippet(abstract: str) -> SafeString:
    """Return the abstract's first SNIPPET_WORDS words as safe HTML (no words matched)."""
    words = (abstract or "").split()
    text = " ".join(words[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else "")
    return highlight_html(text)
