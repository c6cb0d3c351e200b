-- FTS5 table catalogue_search_fts, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE VIRTUAL TABLE catalogue_search_fts USING fts5(title, keywords, authors, abstract, tokenize = 'porter unicode61 remove_diacritics 2');
