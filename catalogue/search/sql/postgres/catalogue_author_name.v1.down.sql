-- Reverts function catalogue_author_name version 1 (migration 0011_facet_value_trigrams, backwards): drops it.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DROP FUNCTION IF EXISTS catalogue_author_name(text, text, text, text, text);
