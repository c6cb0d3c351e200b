"""Formatted citations: records rendered in CSL styles as text and HTML, as citeproc-js does.

The engine is pandoc's citeproc (the binary bundled by the PyPI package pypandoc-binary), run
as a subprocess on `catalogue/csl/render.lua` with many items per process. Its output (a pandoc
AST) is written out here in exactly the form citeproc-js (Zotero's CSL processor) produces:
its text format, and its HTML format with `&#38;`/`&#60;`/`&#62;` escapes and
`<div class="csl-entry">` entries. Everything user-supplied is escaped; only the CSL rich-text
markup the catalogue stores in titles (`<i>`, `<b>`, `<sub>`, `<sup>`, small caps, nocase
spans) comes out as tags.

A process start costs about 0.1 s, so the citations of one article are cached (see
`rendering`).

Styles are configured in `CITATION_STYLES` (default in catalogue/conf.py, overridable in
settings); the pinned style files are in `catalogue/csl/styles/`.

Modules: `styles` (the configured styles), `engine` (running pandoc), `output` (its AST as
citeproc-js text and HTML), `rendering` (the API below: entries, bibliographies, cached
per-article citations). The CSL-JSON item of a record is catalogue/formats/csl_json.py.
"""

from catalogue.citations.engine import CitationEngineError, pandoc_path
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
    UnknownStyle,
    available_styles,
    default_style,
    get_style,
)

__all__ = [
    "CitationEngineError",
    "CitationStyle",
    "UnknownStyle",
    "available_styles",
    "default_style",
    "get_style",
    "pandoc_path",
    "render_bibliography",
    "render_citation",
    "render_citations",
    "render_entries",
    "stream_bibliography",
    "warm_citations",
]
