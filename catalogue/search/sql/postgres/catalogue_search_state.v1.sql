-- Sequence catalogue_search_generation and table catalogue_search_state, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- The generation names the index's state for caches: a new value from a sequence on every
-- change, never reused even when a transaction rolls back.
CREATE SEQUENCE catalogue_search_generation;
CREATE TABLE catalogue_search_state (
    id integer PRIMARY KEY CHECK (id = 1),
    generation bigint NOT NULL
);
INSERT INTO catalogue_search_state VALUES (1, nextval('catalogue_search_generation'));
