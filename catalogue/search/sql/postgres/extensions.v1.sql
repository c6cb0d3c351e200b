-- Extensions unaccent and pg_trgm, version 1: installed by migration 0004_search; replaced by version 2.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
