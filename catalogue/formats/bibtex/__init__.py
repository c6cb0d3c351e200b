"""BibTeX parsing: bytes in, decoded catalogue-ready entries and located problems out.

Pure: no database access, no Django settings. The import package (`catalogue/importer/`)
matches and writes what this package returns. Writing BibTeX is `writer` (imported on its
own, not here: it needs the record and the models).

Text conventions shared with the rest of the catalogue: titles and abstracts are
plain Unicode text that may carry CSL rich-text markup (`<i>`, `<b>`, `<sup>`,
`<sub>`, `<span class="nocase">`); everything else is literal text and is escaped
on output. LaTeX font commands become that markup; a literal `<`, `>` or `&` typed
in a .bib file is kept as the character, so a `<i>` typed in a title reads as
italics, as citeproc-js reads CSL-JSON.

Modules: `entries` (parse_bytes/parse_text), `encoding` (decode_bytes), `latex`
(latex_to_unicode), `names` (parse_names), `fields` (single-field readers),
`record_fields` (pages, issue and numbers, dates as written, containers, eprint),
`contributors` (editors, translators and every other role), `splitter` (a fast
splitter for well-formed text; bibtexparser splits the rest), `results` (the
dataclasses below); `writer` (bibtex_entry, the export). The fidelity rules are in
docs/fidelity.md.
"""

from .encoding import BibTeXError, decode_bytes
from .entries import MAX_FIELD_LENGTH, MAX_NESTING, parse_bytes, parse_text
from .latex import latex_to_unicode
from .names import parse_names
from .results import Entry, Name, ParseResult, Problem

__all__ = [
    "MAX_FIELD_LENGTH",
    "MAX_NESTING",
    "BibTeXError",
    "Entry",
    "Name",
    "ParseResult",
    "Problem",
    "decode_bytes",
    "latex_to_unicode",
    "parse_bytes",
    "parse_names",
    "parse_text",
]
