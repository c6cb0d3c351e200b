-- Cost of pg_catalog.ts_match_vq(tsvector, tsquery), version 1: installed by migration 0009_search_match_cost.
-- Checking a word query against a stored document reads it from TOAST: 100 times an operator.
-- Needs a superuser; the migration checks and otherwise changes nothing.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

ALTER FUNCTION pg_catalog.ts_match_vq(tsvector, tsquery) COST 100;
