-- Reverts the index functions version 5 (migration 0026_search_speed, backwards): drops the
-- output type and language B-trees; the migration then loads version 4.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DROP INDEX IF EXISTS catalogue_search_type, catalogue_search_language;
