"""The catalogue's views: `pages` (home, records, journal/author/keyword/subject lists, DOI
redirect, errors), `imports` (BibTeX import) and `summaries` (evidence summaries).

The search page and its API are in catalogue/search/.
"""
