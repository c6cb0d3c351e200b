-- Extensions unaccent, pg_trgm and btree_gin, version 2: installed by migration 0012_search_multicolumn_gin.
-- Version 1 and btree_gin (journal_id in a GIN index). All three are trusted (btree_gin since
-- PostgreSQL 13): the database's owner may create them.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
