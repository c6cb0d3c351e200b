-- View catalogue_search_source, version 2, reverted (migration 0018_search_printed_names,
-- backwards): version 1 is created with CREATE VIEW, so the view is dropped first.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DROP VIEW IF EXISTS catalogue_search_source;
