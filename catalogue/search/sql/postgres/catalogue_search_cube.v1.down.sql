-- Removes the cells of catalogue_search_cube.v1.sql (migration 0026_search_speed, backwards);
-- the migration then loads catalogue_search_facet_values version 1.
-- Released: never edit. A change is a new version file and a new migration (see README.md).

DELETE FROM catalogue_search_facet WHERE facet = 'cube';
