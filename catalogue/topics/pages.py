"""What pages show of research topics: a record's, a person's or a journal's fingerprint with
the explanation of each weight, and a record's related records (a fixed number of queries)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.urls import reverse

from catalogue.models import (
    Article,
    ArticleTopic,
    Author,
    AuthorTopic,
    Journal,
    JournalTopic,
    RelatedArticle,
    TopicStatistics,
)

# Concepts shown on a page; the fingerprint keeps more (related records use them).
SHOWN_CONCEPTS = 12
OTHER_GROUP = "Other topics"
_FIELD_NAMES = {
    "title": "title",
    "abstract": "abstract",
    "keyword": "keywords",
    "subject": "subject areas",
}


@dataclass
class ShownConcept:
    """One concept as a page shows it, with the explanation of its weight."""

    label: str
    weight: float
    kind: str
    document_frequency: int
    articles: int
    fields: list[str] = field(default_factory=list)
    occurrences: int = 0
    records: int = 0  # for a person or journal: how many of their records have it

    @property
    def search_url(self) -> str:
        """Return a search for the concept as a phrase."""
        return reverse("catalogue:search") + "?" + urlencode({"q": f'"{self.label}"'})

    @property
    def share(self) -> str:
        """Return how common it is in the catalogue, as a readable percent."""
        if not self.articles:
            return "0%"
        percent = 100.0 * self.document_frequency / self.articles
        return f"{percent:.1f}%" if percent >= 0.1 else "under 0.1%"

    @property
    def where(self) -> str:
        """Return the fields it came from, in words ("title and abstract")."""
        names = [_FIELD_NAMES.get(name, name) for name in self.fields]
        if len(names) <= 1:
            return "".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]


@dataclass
class Fingerprint:
    """A fingerprint as a page shows it: concepts grouped by subject area."""

    owner: str  # "record", "person" or "journal"
    concepts: list[ShownConcept]
    groups: list[tuple[str, list[ShownConcept]]]
    computed_at: datetime | None
    articles: int

    def __bool__(self) -> bool:
        return bool(self.concepts)


@dataclass
class Related:
    """One related record: the article, its similarity and the concepts they share."""

    article: Article
    similarity: float
    shared: list[str]

    @property
    def percent(self) -> int:
        """Return the similarity as a whole percent."""
        return round(100 * self.similarity)


def _statistics() -> tuple[datetime | None, int]:
    row = TopicStatistics.objects.order_by("pk").values_list("computed_at", "articles").first()
    return row if row else (None, 0)


def _group(concepts: list[ShownConcept], subjects: list[str | None]) -> list:
    """Group concepts by their subject area, the heaviest group first."""
    groups: dict[str, list[ShownConcept]] = {}
    for concept, subject in zip(concepts, subjects, strict=True):
        groups.setdefault(subject or OTHER_GROUP, []).append(concept)
    return sorted(
        groups.items(),
        key=lambda item: (item[0] == OTHER_GROUP, -sum(c.weight for c in item[1]), item[0]),
    )


def _fingerprint(owner: str, rows, *, per_record: bool, limit: int) -> Fingerprint:
    computed_at, articles = _statistics()
    concepts, subjects = [], []
    for row in rows[:limit]:
        concept = row.concept
        concepts.append(
            ShownConcept(
                label=concept.label or concept.key,
                weight=round(row.weight, 1),
                kind=concept.kind,
                document_frequency=concept.document_frequency,
                articles=articles,
                fields=row.fields.split(",") if per_record else [],
                occurrences=row.occurrences if per_record else 0,
                records=0 if per_record else row.records,
            )
        )
        subjects.append(concept.main_subject.name if concept.main_subject_id else None)
    return Fingerprint(owner, concepts, _group(concepts, subjects), computed_at, articles)


def _top_rows(model: type, limit: int, **owner: int) -> list:
    """Return an owner's strongest concept rows (with concept and subject, one query)."""
    rows = (
        model.objects.filter(**owner)
        .select_related("concept", "concept__main_subject")
        .order_by("-weight", "concept__key")
    )
    return list(rows[:limit])


def record_fingerprint(article: Article, *, limit: int = SHOWN_CONCEPTS) -> Fingerprint:
    """Return a record's fingerprint for its page (two queries)."""
    rows = _top_rows(ArticleTopic, limit, article_id=article.pk)
    return _fingerprint("record", rows, per_record=True, limit=limit)


def person_fingerprint(author: Author, *, limit: int = SHOWN_CONCEPTS) -> Fingerprint:
    """Return a person's fingerprint: their records' concepts, recent ones counting more."""
    rows = _top_rows(AuthorTopic, limit, author_id=author.pk)
    return _fingerprint("person", rows, per_record=False, limit=limit)


def journal_fingerprint(journal: Journal, *, limit: int = SHOWN_CONCEPTS) -> Fingerprint:
    """Return a journal's fingerprint, made like a person's."""
    rows = _top_rows(JournalTopic, limit, journal_id=journal.pk)
    return _fingerprint("journal", rows, per_record=False, limit=limit)


def related_records(article: Article) -> list[Related]:
    """Return a record's related records, most similar first (one query)."""
    rows = (
        RelatedArticle.objects.filter(article_id=article.pk)
        .select_related("related", "related__journal")
        .order_by("-similarity", "related_id")
    )
    return [
        Related(row.related, row.similarity, [s for s in row.shared.split("; ") if s])
        for row in rows
    ]


def record_context(article: Article) -> dict:
    """Return the record page's research topics: `fingerprint` and `related` (three queries)."""
    return {"fingerprint": record_fingerprint(article), "related": related_records(article)}
