-- Reverts table catalogue_search version 2 (migration 0007_search_rows_uncompressed, backwards): toast_tuple_target back to 128.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

ALTER TABLE catalogue_search SET (toast_tuple_target = 128);
