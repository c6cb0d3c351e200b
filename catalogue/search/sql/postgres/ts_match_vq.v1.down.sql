-- Reverts the cost of ts_match_vq version 1 (migration 0009_search_match_cost, backwards): PostgreSQL's default, 1.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST 1;
