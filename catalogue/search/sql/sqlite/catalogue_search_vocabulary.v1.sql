-- fts5vocab table catalogue_search_vocabulary, version 1: installed by migration 0004_search.
-- The vocabulary of catalogue_search_words, one row per word.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

CREATE VIRTUAL TABLE catalogue_search_vocabulary USING fts5vocab(catalogue_search_words, 'row');
