"""Django admin for librarians: articles with their name forms and contributors, people (merge,
split, undo), the other authorities, evidence summaries and the import history.

Importing the package registers every ModelAdmin (Django's autodiscover imports
`catalogue.admin`).
"""

from catalogue.admin import imports, people, records, summaries

__all__ = ["imports", "people", "records", "summaries"]
