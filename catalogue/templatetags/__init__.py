"""Template tags and filters for the catalogue's pages."""
