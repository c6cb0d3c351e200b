-- Reverts the index functions version 2 (migration 0008_search_probe_indexes, backwards): drops the probe indexes;
-- the migration then loads version 1.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DROP INDEX IF EXISTS catalogue_search_probe_author_ids, catalogue_search_probe_document, catalogue_search_probe_keyword_ids, catalogue_search_probe_subject_ids;
