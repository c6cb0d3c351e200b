"""PostgreSQL: one SQL statement per results page over the `catalogue_search` index table.

The statement counts the matches, picks the page's ids and computes every facet. Each facet
is counted over a "context": the matches under every selection except the facet's own. A
context of about `exact_threshold` rows or fewer (estimated from a 1/64 probe; for a phrase,
also at most twice as many candidate documents to check) is counted exactly; a larger one
from a random sample of about `sample_size` rows (the `sample` column holds hash(id) mod
1024), scaled up and flagged approximate. A context with no condition at all is the whole
catalogue: its counts come from `catalogue_search_facet`, kept exact by the index triggers.
Relevance ranks every match of an exactly counted search and the sampled matches of a larger
one. The total is exact whenever a facet value is selected or the matches are few; the
matches of words alone above the threshold are estimated (flagged).
Statements run through catalogue_search_run (search/sql/postgres/catalogue_search_run.v1.sql):
no sequential scans, exact bitmaps, no JIT.

Modules: `conditions.py` (words and selections as SQL conditions), `contexts.py` (the rows a
facet is counted over, exactly or from a sample), `page.py` (the results page's statement),
`facet_list.py` (a facet's "more" list), `words.py` ("did you mean", highlighting).
"""

from catalogue.search.postgres.conditions import (
    COLUMNS,
    RANK_WEIGHTS,
    conditions,
    filters_dates,
    has_phrase,
    rank,
    tsquery,
)
from catalogue.search.postgres.contexts import (
    PROBE_BUCKETS,
    SAMPLE_BUCKETS,
    SAMPLE_KEY,
    Settings,
)
from catalogue.search.postgres.facet_list import facet_list_statement, run_facet_list
from catalogue.search.postgres.page import (
    LABEL_TABLES,
    RESULT_COLUMNS,
    SORT_COLUMNS,
    results_statement,
    run_results,
    run_statement,
)
from catalogue.search.postgres.words import headline_sql, suggest_words

__all__ = [
    "COLUMNS",
    "LABEL_TABLES",
    "PROBE_BUCKETS",
    "RANK_WEIGHTS",
    "RESULT_COLUMNS",
    "SAMPLE_BUCKETS",
    "SAMPLE_KEY",
    "SORT_COLUMNS",
    "Settings",
    "conditions",
    "facet_list_statement",
    "filters_dates",
    "has_phrase",
    "headline_sql",
    "rank",
    "results_statement",
    "run_facet_list",
    "run_results",
    "run_statement",
    "suggest_words",
    "tsquery",
]
