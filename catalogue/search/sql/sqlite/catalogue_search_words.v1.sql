-- FTS5 table catalogue_search_words, version 1: installed by migration 0004_search.
-- Unstemmed words of titles, keywords and names, for "did you mean".
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE VIRTUAL TABLE catalogue_search_words USING fts5(words, tokenize = 'unicode61 remove_diacritics 0');
