-- Function catalogue_search_changed, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- Statement-level: one call per INSERT/UPDATE/DELETE/COPY with every touched article id.
-- TG_ARGV[0] is the column holding the article id in the changed table.
CREATE OR REPLACE FUNCTION catalogue_search_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM old_rows', TG_ARGV[0]) INTO ids;
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE format(
            'SELECT array_agg(DISTINCT x) FROM (SELECT %1$I AS x FROM old_rows '
            'UNION ALL SELECT %1$I FROM new_rows) AS changed', TG_ARGV[0]) INTO ids;
    ELSE
        EXECUTE format('SELECT array_agg(DISTINCT %I) FROM new_rows', TG_ARGV[0]) INTO ids;
    END IF;
    PERFORM catalogue_search_touch(ids);
    RETURN NULL;
END
$$;
