-- Reverts the index functions version 3 (migration 0010_search_sample_key, backwards): drops the (sample + 0) index;
-- the migration then loads version 2.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DROP INDEX IF EXISTS catalogue_search_sample_key;
