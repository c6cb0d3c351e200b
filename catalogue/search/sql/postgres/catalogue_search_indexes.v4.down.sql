-- Reverts the index functions version 4 (migration 0012_search_multicolumn_gin, backwards): drops the multicolumn GIN
-- indexes; the migration then loads version 3.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DROP INDEX IF EXISTS catalogue_search_terms, catalogue_search_probe;
