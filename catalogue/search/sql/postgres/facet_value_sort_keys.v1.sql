-- Sort-key indexes of authors and keywords, version 1: installed by migration 0014_facet_value_sort_keys.
-- A facet's "more" list A-Z reads the values in name order and stops after the page.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE INDEX IF NOT EXISTS catalogue_author_sort_key ON catalogue_author (catalogue_fold(
    CASE WHEN corporate_name <> '' THEN corporate_name WHEN given_names = '' THEN family_name
    ELSE family_name || ' ' || given_names END));
CREATE INDEX IF NOT EXISTS catalogue_keyword_sort_key ON catalogue_keyword (catalogue_fold(term));
ANALYZE catalogue_author, catalogue_keyword;
