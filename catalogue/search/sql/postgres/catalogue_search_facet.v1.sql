-- Table catalogue_search_facet, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE TABLE catalogue_search_facet (
    facet varchar(16) NOT NULL,
    value text NOT NULL,
    count bigint NOT NULL,
    PRIMARY KEY (facet, value)
);
