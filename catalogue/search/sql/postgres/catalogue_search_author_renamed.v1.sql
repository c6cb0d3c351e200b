-- Function catalogue_search_author_renamed, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE OR REPLACE FUNCTION catalogue_search_author_renamed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalogue_search_touch(array(
        SELECT DISTINCT au.article_id
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN catalogue_authorship au ON au.author_id = n.id
        WHERE (n.given_names, n.particle, n.family_name, n.suffix, n.corporate_name)
              IS DISTINCT FROM
              (o.given_names, o.particle, o.family_name, o.suffix, o.corporate_name)));
    RETURN NULL;
END
$$;
