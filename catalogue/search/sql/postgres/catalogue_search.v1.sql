-- Table catalogue_search, version 1: installed by migration 0004_search; replaced by version 2.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE TABLE catalogue_search (
    article_id bigint PRIMARY KEY,
    document tsvector NOT NULL,
    sample smallint NOT NULL,
    year smallint,
    date_key integer,
    output_type varchar(30) NOT NULL,
    language varchar(3) NOT NULL,
    peer_reviewed boolean NOT NULL,
    journal_id bigint,
    keyword_ids bigint[] NOT NULL,
    author_ids bigint[] NOT NULL,
    subject_ids bigint[] NOT NULL,
    title_key text NOT NULL
) WITH (toast_tuple_target = 128, fillfactor = 90);
-- The document goes to TOAST so that facet scans read ~200-byte rows; the arrays stay inline.
ALTER TABLE catalogue_search ALTER COLUMN keyword_ids SET STORAGE MAIN;
ALTER TABLE catalogue_search ALTER COLUMN author_ids SET STORAGE MAIN;
ALTER TABLE catalogue_search ALTER COLUMN subject_ids SET STORAGE MAIN;
ALTER TABLE catalogue_search ALTER COLUMN title_key SET STORAGE MAIN;
