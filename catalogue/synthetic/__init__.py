"""Synthetic catalogue: realistic, seeded journals, authors, keywords and articles in bulk.

For demos and benchmarks. The same article count and seed always give the same
records. Journals, keywords and authors are used with Zipf-like frequencies (a
few very common, a long tail), years lean to recent ones, and titles and
abstracts are English sentences over a research vocabulary whose words also
follow a Zipf law, so both rare and broad search terms exist (see
docs/performance.md for measured examples).

Rows are written batch by batch inside one transaction: COPY on PostgreSQL,
`bulk_create` elsewhere. On PostgreSQL the search index is built for the new articles
after that commit, a batch per transaction (`indexing`), so that no COMMIT builds it all
at once. Keywords and subject areas are shared (terms and codes are unique), so a second
seed reuses them; journals, authors and articles are new for every seed, and every DOI
carries the seed (10.5555/syn<seed>.<n>).

Modules: `generator` runs it all; `writers` puts rows into the database (every article
goes through `writers.write_articles`); `indexing` indexes them for search; `subjects`,
`keywords`, `journals`, `authors` and `articles` make the rows, `containers` what a book,
chapter, report, thesis or e-print says beyond a journal article (and contributors, "and
others", citation keys); `vocabulary` is the word lists and sentence templates; `sampling`
the seeded Zipf and weighted draws.
"""

from catalogue.synthetic.articles import DOI_PREFIX, FIRST_YEAR, LAST_YEAR, doi_for
from catalogue.synthetic.authors import AUTHOR_FIELDS
from catalogue.synthetic.generator import (
    DEFAULT_BATCH_SIZE,
    MAX_BATCH_SIZE,
    GenerationError,
    GenerationReport,
    PoolSizes,
    Progress,
    generate_catalogue,
    pool_sizes,
    seed_is_loaded,
)
from catalogue.synthetic.indexing import SEARCH_BATCH, index_articles, unindexed_articles
from catalogue.synthetic.journals import abbreviate_title
from catalogue.synthetic.keywords import keyword_terms
from catalogue.synthetic.subjects import SUBJECT_AREAS
from catalogue.synthetic.vocabulary import ADJECTIVES, NOUNS
from catalogue.synthetic.writers import (
    ARTICLE_FIELDS,
    ARTICLE_KEYWORD_FIELDS,
    ARTICLE_SUBJECT_FIELDS,
    AUTHORSHIP_FIELDS,
    CONTRIBUTOR_FIELDS,
)

__all__ = [
    "ADJECTIVES",
    "ARTICLE_FIELDS",
    "ARTICLE_KEYWORD_FIELDS",
    "ARTICLE_SUBJECT_FIELDS",
    "AUTHORSHIP_FIELDS",
    "AUTHOR_FIELDS",
    "CONTRIBUTOR_FIELDS",
    "DEFAULT_BATCH_SIZE",
    "DOI_PREFIX",
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_BATCH_SIZE",
    "NOUNS",
    "SEARCH_BATCH",
    "SUBJECT_AREAS",
    "GenerationError",
    "GenerationReport",
    "PoolSizes",
    "Progress",
    "abbreviate_title",
    "doi_for",
    "generate_catalogue",
    "index_articles",
    "keyword_terms",
    "pool_sizes",
    "seed_is_loaded",
    "unindexed_articles",
]
