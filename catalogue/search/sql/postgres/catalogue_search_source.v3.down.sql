-- View catalogue_search_source, version 3, reverted (migration 0028_search_phrase_boundaries,
-- backwards): loaded after version 2 of the view, which no longer calls the function.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DROP FUNCTION IF EXISTS catalogue_search_document(text, text[], text, text[], text);
