"""Finding experts: people ranked by how well their fingerprint matches a query's concepts,
with the records that support each match (a fixed number of queries)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Sum

from catalogue import routers
from catalogue.models import Author, AuthorTopic, TopicConcept
from catalogue.topics.text import normalise, query_keys
from catalogue.topics.unions import MAX_TERMS, union_all

# The longest query read, in characters: a topic is a few words.
MAX_QUERY_LENGTH = 200
# People listed, and supporting records shown per person.
MAX_EXPERTS = 20
SUPPORTING_RECORDS = 3
# A person's supporting records on a concept are read from the person's records when the
# concept is in more than PERSON_FIRST_RATIO times as many records as the person has (their
# count read up to PERSON_FIRST_RECORDS), else from the concept's postings by weight.
PERSON_FIRST_RATIO = 10
PERSON_FIRST_RECORDS = 5000

# Whether a pair's person has few records for its concept (parameters: person, count bound,
# concept): constants only, so PostgreSQL evaluates it once, before either scan below.
# Only module constants are formatted into these two statements; values are parameters.
_FEW = (
    "(SELECT COUNT(*) FROM (SELECT 1 FROM catalogue_authorship WHERE author_id = %s LIMIT %s) "  # noqa: S608
    f"AS n) * {PERSON_FIRST_RATIO} < (SELECT document_frequency FROM catalogue_topicconcept "
    "WHERE id = %s)"
)
# A pair's strongest records, by one of two ways to the same rows: a concept in many records
# whose person has few is read from the person's records (walking "machine learning", in
# 150,000 records at 1M, for a person's few took seconds); any other from the concept's
# postings by weight, each checked for the person's authorship.
_SUPPORT_PART = (
    "SELECT * FROM (SELECT %s, t.article_id, a.title, a.year, t.concept_id, t.weight "  # noqa: S608
    "FROM catalogue_authorship l JOIN catalogue_articletopic t "
    "ON t.article_id = l.article_id AND t.concept_id = %s "
    f"JOIN catalogue_article a ON a.id = t.article_id WHERE l.author_id = %s AND {_FEW} "
    "ORDER BY t.weight DESC, a.year DESC, t.article_id LIMIT %s) AS p{i} UNION ALL "
    "SELECT * FROM (SELECT %s, t.article_id, a.title, a.year, t.concept_id, t.weight "
    "FROM catalogue_articletopic t JOIN catalogue_article a ON a.id = t.article_id "
    "WHERE t.concept_id = %s AND EXISTS (SELECT 1 FROM catalogue_authorship l "
    f"WHERE l.article_id = t.article_id AND l.author_id = %s) AND NOT {_FEW} "
    "ORDER BY t.weight DESC, a.year DESC, t.article_id LIMIT %s) AS s{i}"
)
# People read per concept from its strongest before the exact scoring (see _ranked).
CANDIDATES = 200


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
    """Return the people best matching the query's concepts (five queries; six when a
    concept is common, rarely seven: see _ranked).

    A person's match is the sum of their fingerprint's scores on the query's concepts; people
    matching more of the concepts come first.
    """
    concepts = matching_concepts(query)
    if not concepts:
        return ExpertSearch(query, [], [])
    ids = [concept.pk for concept in concepts]
    labels = {concept.pk: concept.label or concept.key for concept in concepts}
    ranked = _ranked(ids, limit)
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
    for author_id, article_id, title, year, concept_id, weight in _supporting(people, ids):
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


def _ranked(ids: list[int], limit: int) -> list[dict]:
    """Return the `limit` best people for these concepts: most concepts matched, then the
    highest sum of scores, then the smaller id.

    Each concept's CANDIDATES strongest people are read from the (concept, -score) index (a
    bounded range scan, where a GROUP BY over every person having a common concept reads tens
    of thousands of rows), and scored exactly on all the concepts. Someone outside those lists
    matches at most the truncated lists' concepts with at most their last scores; when that
    could beat the last person listed, the full GROUP BY decides (exact either way).
    """
    lists: dict[int, list[tuple[int, float]]] = {concept: [] for concept in ids}
    with routers.read_connection().cursor() as cursor:
        rows = union_all(
            cursor,
            "SELECT * FROM (SELECT concept_id, author_id, score FROM catalogue_authortopic "
            "WHERE concept_id = %s ORDER BY score DESC, author_id LIMIT %s) AS c{i}",
            ids,
            lambda concept: (concept, CANDIDATES + 1),
            size=MAX_TERMS,
        )
    for concept, author, score in rows:
        lists[concept].append((author, score))
    truncated = {c: rows[CANDIDATES - 1][1] for c, rows in lists.items() if len(rows) > CANDIDATES}
    if not truncated:
        # The lists hold every row of these concepts: group them here.
        sums: dict[int, list] = {}
        for rows in lists.values():
            for author, score in rows:
                entry = sums.setdefault(author, [0, 0.0])
                entry[0] += 1
                entry[1] += score
        best = sorted(sums.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))
        return [
            {"author_id": author, "matched": matched, "total": total}
            for author, (matched, total) in best[:limit]
        ]
    candidates = {author for rows in lists.values() for author, _ in rows[:CANDIDATES]}
    ranked = _grouped(
        AuthorTopic.objects.filter(concept_id__in=ids, author_id__in=sorted(candidates)), limit
    )
    if len(ranked) == limit:
        last = ranked[-1]
        # The best an unlisted person could do: every truncated concept at its last score.
        best = (len(truncated), sum(truncated.values()))
        if (last["matched"], last["total"]) > best:
            return ranked
    return _grouped(AuthorTopic.objects.filter(concept_id__in=ids), limit)


def _grouped(rows, limit: int) -> list[dict]:
    """Return people's matched concepts and score sums over `rows`, best first."""
    return list(
        rows.values("author_id")
        .annotate(matched=Count("id"), total=Sum("score"))
        .order_by("-matched", "-total", "author_id")[:limit]
    )


def _supporting(people: list[int], ids: list[int]) -> list[tuple]:
    """Return each person's strongest records on these concepts (author, article, title, year,
    concept, weight), strongest first, in one statement.

    A part per person and concept (`_SUPPORT_PART`): usually the concept's records by weight
    from the (concept, weight) index, each checked for the person's authorship, until
    SUPPORTING_RECORDS are found, which reads about as many postings as the concept has per
    record of the person's (reading all of a prolific person's records would cost more); but
    for a concept in more than PERSON_FIRST_RATIO times as many records as the person has,
    the person's records. A person's best records over all the concepts are among the best
    of each concept.
    """
    pairs = [(person, concept) for person in people for concept in ids]
    bound = PERSON_FIRST_RECORDS + 1

    def values(pair: tuple[int, int]) -> tuple:
        # The two ways of a pair take the same parameters.
        person, concept = pair
        return 2 * (person, concept, person, person, bound, concept, SUPPORTING_RECORDS)

    with routers.read_connection().cursor() as cursor:
        # Two terms a pair: more pairs than one statement holds are rare.
        rows = union_all(cursor, _SUPPORT_PART, pairs, values, size=200)
    rows.sort(key=lambda r: (-r[5], -(r[3] if r[3] is not None else -(10**9)), r[1]))
    return rows
