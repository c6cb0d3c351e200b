-- Table catalogue_search_word, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE TABLE catalogue_search_word (word text PRIMARY KEY);
