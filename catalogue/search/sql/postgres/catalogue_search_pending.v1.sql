-- Table catalogue_search_pending, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE TABLE catalogue_search_pending (
    id bigserial PRIMARY KEY,
    article_ids bigint[] NOT NULL
);
