-- Reverts the sort-key indexes version 1 (migration 0014_facet_value_sort_keys, backwards): drops them.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DROP INDEX IF EXISTS catalogue_author_sort_key;
DROP INDEX IF EXISTS catalogue_keyword_sort_key;
