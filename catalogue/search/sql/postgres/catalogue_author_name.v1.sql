-- Function catalogue_author_name, version 1: installed by migration 0011_facet_value_trigrams.
-- An author's label as the page shows it (Author.display_name): the non-empty parts joined by
-- spaces, from immutable operators only so that PostgreSQL inlines it.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE OR REPLACE FUNCTION catalogue_author_name(
    given_names text, particle text, family_name text, suffix text, corporate_name text
) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN corporate_name <> '' THEN corporate_name ELSE substr(
        coalesce(' ' || nullif(given_names, ''), '')
        || coalesce(' ' || nullif(particle, ''), '')
        || coalesce(' ' || nullif(family_name, ''), '')
        || coalesce(' ' || nullif(suffix, ''), ''), 2) END
$$;
