-- Function catalogue_search_run, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- Runs one search statement (catalogue/search/postgres.py, every value already quoted by the
-- driver) with settings of its own: work_mem 64MB (exact, not lossy, bitmaps over a million
-- rows: a lossy bitmap rechecks, so reads, every document on its pages), no sequential scans
-- (a scan reads every document; the GIN and btree indexes answer every search condition), no
-- JIT (compiling costs more than it saves here), no parallel workers (two cores serve several
-- requests), and random reads priced as the cached reads they are (fewer bitmap legs).
CREATE OR REPLACE FUNCTION catalogue_search_run(statement text) RETURNS SETOF record
    LANGUAGE plpgsql
    SET work_mem = '64MB'
    SET enable_seqscan = off
    SET jit = off
    SET max_parallel_workers_per_gather = 0
    SET random_page_cost = 1.1
    AS $$
BEGIN
    RETURN QUERY EXECUTE statement;
END
$$;
