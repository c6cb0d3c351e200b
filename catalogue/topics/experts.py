"""Finding experts: people ranked by how well their fingerprint matches a query's concepts,
with the records that support each match (a fixed number of queries)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Sum

from catalogue.models import ArticleTopic, Author, AuthorTopic, TopicConcept
from catalogue.topics.text import normalise, query_keys

# The longest query read, in characters: a topic is a few words.
MAX_QUERY_LENGTH = 200
# People listed, and supporting records shown per person.
MAX_EXPERTS = 20
SUPPORTING_RECORDS = 3


class QueryError(ValueError):
    """A query that cannot be searched; the message says why, for the reader."""


@dataclass
class Support:
    """A record supporting a match: its id, title and year, and the concept it shares."""

    article_id: int
    title: str
    year: int | None
    concept: str
    weight: float


@dataclass
class Expert:
    """One person matching the query: how well, on which concepts, and their records."""

    author: Author
    score: float
    concepts: list[str]
    records: list[Support] = field(default_factory=list)


@dataclass
class ExpertSearch:
    """The concepts a query was read as, and the people matching them."""

    query: str
    concepts: list[TopicConcept]
    experts: list[Expert]


def clean_query(text: str | None) -> str:
    """Return the query with spaces collapsed, or raise QueryError with the reader's message."""
    text = text or ""
    if "\x00" in text:
        raise QueryError("The query holds a null character.")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryError(
            f"The query is {len(text):,} characters long; at most {MAX_QUERY_LENGTH} are read."
        )
    if any(ord(char) < 32 and char not in "\t\n\r" for char in text):
        raise QueryError("The query holds a control character.")
    return " ".join(text.split())


def matching_concepts(query: str) -> list[TopicConcept]:
    """Return the catalogue's concepts the query names, the longest matches only (one query).

    "therapeutic alliance" matches that concept, not also "therapeutic" and "alliance".
    """
    keys = query_keys(query)
    whole = normalise(query)
    if whole and whole not in keys:
        keys.insert(0, whole)
    if not keys:
        return []
    found = {
        concept.key: concept
        for concept in TopicConcept.objects.filter(key__in=keys[:200], document_frequency__gt=0)
    }
    chosen: list[TopicConcept] = []
    for key in sorted(found, key=lambda k: (-len(k.split(" ")), k)):
        if any(f" {key} " in f" {other.key} " for other in chosen):
            continue
        chosen.append(found[key])
    return chosen


def find_experts(query: str, *, limit: int = MAX_EXPERTS) -> ExpertSearch:
    """Return the people best matching the query's concepts (at most five queries).

    A person's match is the sum of their fingerprint's scores on the query's concepts; people
    matching more of the concepts come first.
    """
    concepts = matching_concepts(query)
    if not concepts:
        return ExpertSearch(query, [], [])
    ids = [concept.pk for concept in concepts]
    labels = {concept.pk: concept.label or concept.key for concept in concepts}
    ranked = list(
        AuthorTopic.objects.filter(concept_id__in=ids)
        .values("author_id")
        .annotate(matched=Count("id"), total=Sum("score"))
        .order_by("-matched", "-total", "author_id")[:limit]
    )
    people = [row["author_id"] for row in ranked]
    if not people:
        return ExpertSearch(query, concepts, [])
    authors = Author.objects.in_bulk(people)
    matched: dict[int, list[str]] = {pk: [] for pk in people}
    for author_id, concept_id in (
        AuthorTopic.objects.filter(author_id__in=people, concept_id__in=ids)
        .order_by("author_id", "-score")
        .values_list("author_id", "concept_id")
    ):
        matched[author_id].append(labels[concept_id])
    support: dict[int, list[Support]] = {pk: [] for pk in people}
    rows = (
        ArticleTopic.objects.filter(concept_id__in=ids, article__authorships__author_id__in=people)
        .order_by("-weight", "-article__year", "article_id")
        .values_list(
            "article__authorships__author_id",
            "article_id",
            "article__title",
            "article__year",
            "concept_id",
            "weight",
        )
    )
    for author_id, article_id, title, year, concept_id, weight in rows:
        records = support[author_id]
        if len(records) < SUPPORTING_RECORDS and all(r.article_id != article_id for r in records):
            records.append(Support(article_id, title, year, labels[concept_id], weight))
    experts = [
        Expert(authors[row["author_id"]], row["total"], matched[row["author_id"]])
        for row in ranked
        if row["author_id"] in authors
    ]
    for expert in experts:
        expert.records = support[expert.author.pk]
    return ExpertSearch(query, concepts, experts)
