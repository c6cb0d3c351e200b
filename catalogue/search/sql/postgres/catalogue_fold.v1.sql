-- Function catalogue_fold(text), version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- unaccent() is only STABLE (it reads its dictionary by name); this wrapper names the
-- dictionary explicitly so that it can be IMMUTABLE and used in indexes.
CREATE OR REPLACE FUNCTION catalogue_fold(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;
