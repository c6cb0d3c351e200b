-- Reverts the label trigram indexes version 1 (migration 0011_facet_value_trigrams, backwards): drops them.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DROP INDEX IF EXISTS catalogue_author_label_trgm;
DROP INDEX IF EXISTS catalogue_journal_label_trgm;
DROP INDEX IF EXISTS catalogue_keyword_label_trgm;
DROP INDEX IF EXISTS catalogue_subjectarea_label_trgm;
