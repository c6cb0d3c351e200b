"""Small factories for building catalogue rows in tests; every argument is keyword-only."""

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

from catalogue.models import (
    Article,
    Author,
    Authorship,
    Journal,
    Keyword,
    OutputType,
    PublicationState,
    SubjectArea,
)

# The core citation styles (the Cite box's tabs), in settings order.
CORE_STYLE_IDS = [
    "apa",
    "harvard-cite-them-right",
    "vancouver",
    "modern-language-association",
    "chicago-author-date",
    "american-medical-association",
]

_sequence = itertools.count(1)
# Distinguishes "no journal given" (create one) from an explicit journal=None (no journal).
_NEW = object()


def make_journal(
    *,
    title: str = "",
    abbreviated_title: str = "",
    issn_print: str = "",
    issn_electronic: str = "",
    publisher: str = "",
) -> Journal:
    """Return a saved journal; the title defaults to a unique "Journal N"."""
    return Journal.objects.create(
        title=title or f"Journal {next(_sequence)}",
        abbreviated_title=abbreviated_title,
        issn_print=issn_print,
        issn_electronic=issn_electronic,
        publisher=publisher,
    )


def make_author(
    *,
    family_name: str = "",
    given_names: str = "Ada",
    particle: str = "",
    suffix: str = "",
    corporate_name: str = "",
    orcid: str = "",
) -> Author:
    """Return a saved author; a person named "Ada AuthorN" unless told otherwise."""
    if corporate_name:
        given_names = ""
    elif not family_name:
        family_name = f"Author{next(_sequence)}"
    return Author.objects.create(
        family_name=family_name,
        given_names=given_names,
        particle=particle,
        suffix=suffix,
        corporate_name=corporate_name,
        orcid=orcid,
    )


def make_keyword(*, term: str = "", slug: str = "") -> Keyword:
    """Return a saved keyword; the term defaults to a unique "keyword N"."""
    return Keyword.objects.create(term=term or f"keyword {next(_sequence)}", slug=slug)


def make_subject(
    *,
    name: str = "",
    code: str = "",
    scheme: str = "ASJC",
    parent: SubjectArea | None = None,
) -> SubjectArea:
    """Return a saved subject area; the name defaults to a unique "Subject N"."""
    return SubjectArea.objects.create(
        name=name or f"Subject {next(_sequence)}",
        code=code,
        scheme=scheme,
        parent=parent,
    )


def make_article(
    *,
    title: str = "",
    journal: Any = _NEW,
    authors: Sequence[Author | tuple[Author, dict[str, str]]] = (),
    keywords: Iterable[Keyword] = (),
    subject_areas: Iterable[SubjectArea] = (),
    output_type: str = OutputType.ARTICLE,
    peer_reviewed: bool = True,
    state: str = PublicationState.PUBLISHED,
    year: int | None = 2020,
    month: int | None = None,
    day: int | None = None,
    language: str = "en",
    **fields: Any,
) -> Article:
    """Return a saved article with `authors` in the given order (positions 1, 2, ...).

    Each authorship's printed name is its author's, unless the item is a pair
    `(author, {"given_names": "P", ...})` giving the printed parts that differ.

    A new journal is created unless `journal` is given (pass journal=None for none); any
    other Article field (doi, volume, issue, first_page, abstract, ...) can be passed too.
    """
    if journal is _NEW:
        journal = make_journal()
    article = Article.objects.create(
        title=title or f"Article {next(_sequence)}",
        journal=journal,
        output_type=output_type,
        peer_reviewed=peer_reviewed,
        state=state,
        year=year,
        month=month,
        day=day,
        language=language,
        **fields,
    )
    authorships = []
    for position, item in enumerate(authors, start=1):
        author, printed = item if isinstance(item, tuple) else (item, {})
        authorship = Authorship(article=article, author=author, position=position)
        authorship.copy_name_from(author)
        for name, value in printed.items():
            setattr(authorship, name, value)
        authorships.append(authorship)
    Authorship.objects.bulk_create(authorships)
    if keywords:
        article.keywords.set(keywords)
    if subject_areas:
        article.subject_areas.set(subject_areas)
    return article


def make_job_worker(*, worker_id: str = "test-worker", batch: bool = True, interval: float = 0):
    """Return django-tasks-db's job worker for the default queue, run in this process."""
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
