-- Removes version 1 of the search index's outbox (migration 0027_search_outbox, backwards).
-- Released: never edit.

DROP TRIGGER IF EXISTS catalogue_search_outbox_insert ON catalogue_search;
DROP TRIGGER IF EXISTS catalogue_search_outbox_update ON catalogue_search;
DROP TRIGGER IF EXISTS catalogue_search_outbox_delete ON catalogue_search;
DROP TRIGGER IF EXISTS catalogue_search_outbox_truncate ON catalogue_search;
DROP FUNCTION IF EXISTS catalogue_search_outbox_write();
DROP TABLE IF EXISTS catalogue_search_outbox_state;
DROP TABLE IF EXISTS catalogue_search_outbox;
