-- Table catalogue_search_state, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE TABLE catalogue_search_state (id integer PRIMARY KEY CHECK (id = 1), generation integer NOT NULL);
INSERT INTO catalogue_search_state VALUES (1, abs(random()));
