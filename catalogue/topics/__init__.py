"""Research topics (issue 19): concepts from each record's text and vocabulary, weighted
against the catalogue (its fingerprint), related records, people's and journals' fingerprints,
and finding experts. docs/topics.md explains the weights and the figures."""

from catalogue.topics.pages import (
    journal_fingerprint,
    person_fingerprint,
    record_context,
    record_fingerprint,
    related_records,
)

__all__ = [
    "journal_fingerprint",
    "person_fingerprint",
    "record_context",
    "record_fingerprint",
    "related_records",
    "update_articles",
]


def update_articles(ids) -> int:
    """Fingerprint new or updated records now (the import's and the admin's hook)."""
    from catalogue.topics.store import update_articles as update

    return update(ids)
