"""The engine's AST written out as citeproc-js writes it: its text and HTML formats.

HTML has `&#38;`/`&#60;`/`&#62;` escapes and `<div class="csl-entry">` entries. Everything
user-supplied is escaped; only the CSL rich-text markup the catalogue stores in titles (`<i>`,
`<b>`, `<sub>`, `<sup>`, small caps, nocase spans) comes out as tags.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from django.utils.safestring import mark_safe

from catalogue.citations.engine import WORD_JOINER

FORMATS = ("text", "html")


def check_format(fmt: str) -> None:
    """Return None for "text" or "html"; raise ValueError for any other format."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown citation format {fmt!r}; use 'text' or 'html'.")


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
            if WORD_JOINER in content:
                content = content.replace(WORD_JOINER, "")
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
class Entry:
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


def bibliography_entries(blocks: list[dict]) -> list[tuple[str, list[dict]]]:
    """Return (item id, entry blocks) for each entry of the refs Div among `blocks`."""
    entries = []
    for block in blocks:
        if block["t"] == "Div" and "csl-bib-body" in _classes(block):
            for entry in block["c"][1]:
                identifier = entry["c"][0][0]
                entries.append((identifier.removeprefix("ref-"), entry["c"][1]))
    return entries


def parse_each(blocks: list[dict]) -> dict[str, Entry]:
    """Return the entries of an "each" job by item id."""
    entries = {}
    for item_div in blocks:
        identifier = item_div["c"][0][0]
        citation: list[dict] = []
        bibliography: list[dict] = []
        for block in item_div["c"][1]:
            if block["t"] == "Para" and block["c"] and block["c"][0]["t"] == "Cite":
                citation = block["c"]
        found = bibliography_entries(item_div["c"][1])
        if found:
            bibliography = found[0][1]
        entries[identifier] = Entry(bibliography=bibliography, citation=citation)
    return entries


def renumber(blocks: list[dict], number: int) -> list[dict]:
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


def rendered(entry: Entry, *, label: bool) -> dict[str, str]:
    """Return the entry as "text", "html", "intext_text" and "intext_html"."""
    return {
        "text": entry.entry("text", label=label),
        "html": entry.entry("html", label=label),
        "intext_text": entry.in_text("text"),
        "intext_html": entry.in_text("html"),
    }
