"""The CSL rich-text markup titles and abstracts carry, and plain text on one line.

Titles and abstracts may hold `<i>`, `<b>`, `<sup>`, `<sub>`, `<sc>`, nocase/nodecor and
small-caps spans (see catalogue/formats/bibtex/__init__.py); every format either converts
them (BibTeX, the citation engine) or drops them (RIS, page metadata, citation keys).
"""

from __future__ import annotations

import re

# Every tag of the CSL rich-text markup the catalogue stores, opening or closing.
RICH_TEXT_TAG = re.compile(
    r"</?(?:i|b|sup|sub|sc)>"
    r'|<span\s+(?:class="no(?:case|decor)"|style="font-variant:\s*small-caps;?")\s*>'
    r"|</span>"
)


def one_line(text: str) -> str:
    """Return `text` with runs of whitespace (newlines included) collapsed to one space."""
    if "  " in text or "\n" in text or "\r" in text or "\t" in text:
        return " ".join(text.split())
    # Already on one line (the usual case): cheaper than splitting long abstracts into words.
    return text.strip()


def one_space(text: str) -> str:
    """Return the text with runs of any whitespace (no-break spaces too) collapsed to one space."""
    return " ".join(text.split())


def plain_text(rich_text: str) -> str:
    """Return CSL rich text without its markup tags, on one line."""
    return one_line(RICH_TEXT_TAG.sub("", rich_text))
