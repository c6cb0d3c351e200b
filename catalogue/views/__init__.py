"""The catalogue's views: `pages` (records and listings) and `imports` (BibTeX import)."""
