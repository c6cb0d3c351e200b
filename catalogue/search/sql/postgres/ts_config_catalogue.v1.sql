-- Text search configuration catalogue, version 1: installed by migration 0004_search.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

-- English stemming after removing accents: "Flückiger" and "fluckiger" are one lexeme.
CREATE TEXT SEARCH CONFIGURATION catalogue (COPY = pg_catalog.english);
ALTER TEXT SEARCH CONFIGURATION catalogue
    ALTER MAPPING FOR hword, hword_part, word WITH public.unaccent, english_stem;
