-- Function catalogue_search_keyword_renamed, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE OR REPLACE FUNCTION catalogue_search_keyword_renamed() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalogue_search_touch(array(
        SELECT DISTINCT ak.article_id
        FROM new_rows n JOIN old_rows o ON o.id = n.id
        JOIN catalogue_article_keywords ak ON ak.keyword_id = n.id
        WHERE n.term IS DISTINCT FROM o.term));
    RETURN NULL;
END
$$;
