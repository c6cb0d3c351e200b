-- Fill of the SQLite search index, version 2, reverted (migration 0018_search_printed_names,
-- backwards): empties the FTS tables, which loading version 1 fills again as version 1 of the
-- triggers writes them, and takes a new generation.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DELETE FROM catalogue_search_fts;
DELETE FROM catalogue_search_words;
UPDATE catalogue_search_state SET generation = abs(random());
