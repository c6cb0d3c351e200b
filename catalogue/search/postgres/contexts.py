"""PostgreSQL: a context, the rows a facet is counted over, counted exactly or from a sample.

A context CTE trio:
  <name>_probe: how many of its rows fall in a fixed 1/64 sample (cheap: the sample index
                is ANDed into the bitmap, so only those rows are read);
  <name>_k:     1024 when the estimate (probe x 64) is within the exact threshold, else the
                sample cut giving about `sample_size` rows;
  <name>:       every row (k = 1024) or the rows with sample < k; both branches are planned,
                a one-time filter runs one.
"""

# ruff: noqa: S608 -- SQL is assembled from constants, column names and int()-ed limits;
# every value from a request is a bound parameter.

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from catalogue.search.params import SearchParams
from catalogue.search.postgres.conditions import (
    conditions,
    date_conditions,
    filters_dates,
    has_phrase,
    probe_indexed,
    range_rows,
)
from catalogue.search.statement import Fragment, join, where

SAMPLE_BUCKETS = 1024


@dataclass
class Settings:
    """The thresholds of exact counting and the sample size (from SEARCH_* settings)."""

    exact_threshold: int
    sample_size: int
    # For the matches without a selected facet's own selection (its other values' counts).
    context_threshold: int = 5_000
    # Searches without words over scalar facets only take their counts from the cells
    # (cube.py); False counts them from the matches (for comparisons).
    cube: bool = True


PROBE_BUCKETS = 16  # of 1024: the probe reads 1/64 of a context (its index: migration 0012)
# The sample index is on (sample + 0) (migration 0010): "s.sample < 16" alone is then read
# only through the probe's own GIN indexes, which hold just those rows. ANDed with a whole-
# table index on sample, the planner counted the restriction twice (37 rows expected, 2,300
# read, a word checked on each from TOAST).
SAMPLE_KEY = "(s.sample + 0)"
# What reading and checking a row costs, in index entries added to a bitmap (measured: 20x).
ROW_READ_COST = 20


def known(size: Fragment) -> Fragment:
    """Return a probe's row (c, m, a) for a context of exactly `size` rows, read nowhere.

    Without a condition that a GIN index reads (no words, no id facet), a probe reads 1/64 of
    every row of the context: 14,400 rows for language=en at 1,000,000 articles, more than
    the sample it sizes. The cells (cube.py) give the size exactly instead.
    """
    scaled = Fragment("(") + size + Fragment(f") / {SAMPLE_BUCKETS // PROBE_BUCKETS}.0")
    return (
        Fragment("SELECT ")
        + scaled
        + Fragment(" AS c, ")
        + scaled
        + Fragment(" AS m, ")
        + scaled
        + Fragment(" AS a")
    )


def context_ctes(
    name: str,
    params: SearchParams,
    columns: list[str],
    settings: Settings,
    score: Fragment | None,
    *,
    sample: int,
    threshold: int,
    derive: Sequence[tuple[str, Fragment]] = (),
    size: Fragment | None = None,
) -> Fragment:
    """Return the CTEs of the context `name`: the rows matching `params` with `columns`.

    Counted exactly up to `threshold` rows, else sampled to about `sample` rows (the module
    docstring); `score` adds each row's relevance; `derive` names exact contexts whose rows,
    filtered by a selection, are these rows (then no scan of the index is needed); `size`,
    the context's exact number of rows when it is known (cube.py), replaces the probe.
    """
    parts = conditions(params)
    condition = where(parts)
    threshold, sample = int(threshold), int(sample)
    selected = ", ".join(f"s.{column}" for column in columns)
    scored = Fragment(", ") + score + Fragment(" AS score") if score else Fragment("")
    scale = SAMPLE_BUCKETS // PROBE_BUCKETS
    # The probe counts candidates (c) and, for a phrase, the matches among them (m): the
    # work of an exact answer is rechecking every candidate's document.
    phrase = has_phrase(params.query)
    # Without a score to compute or a phrase to recheck, the probe keeps its rows: when they
    # are as many as the sample wanted they are the sample (k = PROBE_BUCKETS), and the
    # context's index conditions are not evaluated a second time. A popular keyword's posting
    # list is what a context costs most to read.
    reuse = score is None and not phrase and size is None
    # Without a condition that a probe GIN index reads, the sample index selects its rows.
    restrict = f" AND s.sample < {PROBE_BUCKETS}"
    if not probe_indexed(params):
        restrict += f" AND {SAMPLE_KEY} < {PROBE_BUCKETS}"
    # With a year range and other conditions to read from indexes, the probe leaves the
    # years out of its scan and counts its rows in the range (c) and in all (a); {name}_d then
    # says whether reading the range's index (every article in it) costs more than checking
    # the years on the rows the other conditions find, for all of them (whole) and for the
    # sample (part). Each scan has both forms; one-time filters run one.
    switch = filters_dates(params)
    in_range = (
        where(date_conditions(params, alias="s", indexable=False)) if switch else Fragment("TRUE")
    )
    dates = "none" if switch else "index"
    if phrase:
        probe = (
            Fragment("SELECT count(*) FILTER (WHERE ")
            + in_range
            + Fragment(") AS c, count(*) FILTER (WHERE ")
            + in_range
            + Fragment(" AND ")
            + join(parts, " AND ")
            + Fragment(") AS m, count(*) AS a FROM catalogue_search s WHERE ")
            + where(conditions(params, positions=False, dates=dates))
            + Fragment(restrict)
        )
    else:
        counted = (
            Fragment("count(*) FILTER (WHERE ")
            + in_range
            + Fragment(") AS c, count(*) FILTER (WHERE ")
            + in_range
            + Fragment(") AS m, count(*) AS a FROM ")
        )
        if reuse:
            probe = Fragment("SELECT ") + counted + Fragment(f"{name}_rows0 s")
        else:
            probe = (
                Fragment("SELECT ")
                + counted
                + Fragment("catalogue_search s WHERE ")
                + where(conditions(params, dates=dates))
                + Fragment(restrict)
            )
    # Sized exactly, a context of more than 1,024 times the sample is read from bucket 0.
    smallest = PROBE_BUCKETS if reuse else (0 if size is not None else 1)
    ctes = Fragment("")
    if reuse:
        ctes = (
            Fragment(f"{name}_rows0 AS MATERIALIZED (SELECT {selected} ")
            + Fragment("FROM catalogue_search s WHERE ")
            + where(conditions(params, dates=dates))
            + Fragment(f"{restrict}), ")
        )
    k = f"(SELECT k FROM {name}_k)"
    # (condition, one-time filter) of each form of a scan; "{part}" becomes whole or part.
    forms = [(condition, "")]
    if switch:
        forms = [
            (condition, f" AND NOT (SELECT {{part}} FROM {name}_d)"),
            (where(conditions(params, dates="filter")), f" AND (SELECT {{part}} FROM {name}_d)"),
        ]
    sampled = Fragment("")
    for form, choice in forms:
        sampled = sampled + (
            Fragment(f" UNION ALL (SELECT {selected}")
            + scored
            + Fragment(" FROM catalogue_search s WHERE ")
            + form
            + Fragment(
                # "= ANY(buckets)", not "< k": the planner then expects few rows and ANDs the
                # sample index into the bitmap, so only sampled rows are read.
                f" AND {SAMPLE_KEY} = ANY((SELECT b FROM {name}_buckets)::int[]) "
                f"AND {k} > {smallest} AND {k} < {SAMPLE_BUCKETS}{choice.format(part='part')})"
            )
        )
    if reuse:
        sampled = sampled + (
            Fragment(f" UNION ALL (SELECT * FROM {name}_rows0 s WHERE ")
            + in_range
            + Fragment(f" AND {k} = {PROBE_BUCKETS})")
        )
    sized = (
        f"(SELECT CASE WHEN m * {scale} <= {threshold} AND c * {scale} <= {2 * threshold} "
        f"THEN {SAMPLE_BUCKETS} ELSE greatest({smallest}, least({SAMPLE_BUCKETS - 1}, "
        f"ceil({SAMPLE_BUCKETS}.0 * {sample} / (c * {scale}))))::int END FROM {name}_probe)"
    )
    derived, scanned = Fragment(""), ""
    if derive:
        # The matches are a subset of every context that leaves out one selection: when one
        # of those is exact, its rows filtered by that selection are the matches, and the
        # probe and the scan of the index are not needed (lazy: CASE and one-time filters).
        candidates = ", ".join(
            f"('{context}', (SELECT k FROM {context}_k), (SELECT c FROM {context}_probe))"
            for context, _ in derive
        )
        ctes = ctes + Fragment(
            f"{name}_from AS MATERIALIZED (SELECT f FROM (VALUES {candidates}) AS v (f, k, c) "
            f"WHERE k = {SAMPLE_BUCKETS} ORDER BY c, f LIMIT 1), "
        )
        sized = (
            f"(SELECT CASE WHEN EXISTS (SELECT 1 FROM {name}_from) THEN {SAMPLE_BUCKETS} "
            f"ELSE {sized} END)"
        )
        scanned = f" AND NOT EXISTS (SELECT 1 FROM {name}_from)"
        columns_c = ", ".join(f"c.{column}" for column in columns)
        for context, own in derive:
            if score is None:
                head = Fragment(f"(SELECT {columns_c} FROM {context} c WHERE ")
            else:
                # The document is read for the matches only, not for the context's rows.
                head = (
                    Fragment(f"(SELECT {columns_c}, ")
                    + score
                    + Fragment(
                        f" AS score FROM {context} c JOIN catalogue_search s "
                        "ON s.article_id = c.article_id WHERE "
                    )
                )
            derived = derived + (
                head
                + Fragment(f"(SELECT f FROM {name}_from) = '{context}' AND ")
                + own
                + Fragment(") UNION ALL ")
            )
    exact = join(
        (
            Fragment(f"(SELECT {selected}")
            + scored
            + Fragment(" FROM catalogue_search s WHERE ")
            + form
            + Fragment(f" AND {k} = {SAMPLE_BUCKETS}{scanned}{choice.format(part='whole')})")
            for form, choice in forms
        ),
        " UNION ALL ",
    )
    decision = Fragment("")
    if switch:
        # Heap reads of the rows outside the range against the range's bitmap: a row read
        # and checked costs about 20 times an index entry added to a bitmap (measured).
        decision = Fragment(
            f"{name}_d AS MATERIALIZED (SELECT (p.a - p.c) * {scale} * {ROW_READ_COST} "
            f"< r.n AS whole, (p.a - p.c) * {scale} * {ROW_READ_COST}.0 * q.k / {SAMPLE_BUCKETS} "
            f"< r.n AS part FROM {name}_probe p, {name}_k q, (SELECT {range_rows(params)} "
            "AS n) r), "
        )
    return (
        ctes
        + Fragment(f"{name}_probe AS MATERIALIZED (")
        + (probe if size is None else known(size))
        + Fragment(
            f"), {name}_k AS MATERIALIZED (SELECT {sized} AS k), "
            f"{name}_buckets AS MATERIALIZED (SELECT "
            f"array(SELECT generate_series(0, k - 1)) AS b FROM {name}_k), "
        )
        + decision
        + Fragment(f"{name} AS MATERIALIZED (")
        + derived
        + exact
        + sampled
        + Fragment(")")
    )
