-- Trigram indexes on the labels of journals, authors, keywords and subject areas, version 1: installed by migration 0011_facet_value_trigrams.
-- For the filter box of a facet's "more" list.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE INDEX IF NOT EXISTS catalogue_author_label_trgm ON catalogue_author USING gin
    (catalogue_fold(catalogue_author_name(given_names, particle, family_name, suffix,
     corporate_name)) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS catalogue_journal_label_trgm ON catalogue_journal USING gin
    (catalogue_fold(title) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS catalogue_keyword_label_trgm ON catalogue_keyword USING gin
    (catalogue_fold(term) gin_trgm_ops);
CREATE INDEX IF NOT EXISTS catalogue_subjectarea_label_trgm ON catalogue_subjectarea USING gin
    (catalogue_fold(name) gin_trgm_ops);
ANALYZE catalogue_author, catalogue_journal, catalogue_keyword, catalogue_subjectarea;
