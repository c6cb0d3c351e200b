"""Selected records (a "book bag"): the article ids a visitor marked, kept in their session.

The selection is an ordered list of article ids (the order they were selected in) under one
session key, at most SELECTED_MAX. A change is checked whole before it is applied: a bad or
unknown id, or a change that would pass the limit, leaves the selection as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.sessions.backends.base import SessionBase
from django.utils.safestring import SafeString

from catalogue.models import Article, Author, Authorship, OutputType
from catalogue.models.names import PrintedName
from catalogue.rich_text import render_rich_text
from catalogue.search.params import plain_int

# The most records a visitor may select (issue 18): a 1,000-record page still renders fast.
SELECTED_MAX = 1000
SESSION_KEY = "catalogue_selected"
# The pages (URL names) whose lists have Select controls: the header's form carries a CSRF
# token there only, so other pages set no CSRF cookie. (The record page's Select button is a
# form with its own token.)
SELECT_PAGES = frozenset(
    {
        "search",
        "selected",
        "journal-detail",
        "author-detail",
        "keyword-detail",
        "subject-detail",
    }
)
# The names a listed record shows before "and n more".
LISTED_AUTHORS = 3
# A request naming more ids than this is no reader's selection (the limit plus a full removal).
MAX_IDS_PER_REQUEST = 2 * SELECTED_MAX


class SelectionError(ValueError):
    """A change that cannot be applied: `status` is 400 (bad id), 404 (unknown), 409 (limit)."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        self.status = status
        super().__init__(message)


@dataclass(frozen=True)
class Change:
    """What a change did: the ids added and removed (those not already so), and the count."""

    added: tuple[int, ...]
    removed: tuple[int, ...]
    count: int

    def message(self) -> str:
        """Return the change in words, for the page and the screen reader."""
        parts = []
        if self.added:
            parts.append(f"Added {_records(len(self.added))}")
        if self.removed:
            parts.append(f"Removed {_records(len(self.removed))}")
        done = "; ".join(parts) if parts else "Nothing changed"
        return f"{done}. {_records(self.count).capitalize()} selected."


def _records(count: int) -> str:
    return f"{count:,} record{'' if count == 1 else 's'}"


def selected_ids(session: SessionBase) -> list[int]:
    """Return the session's selected article ids, in the order they were selected."""
    stored = session.get(SESSION_KEY, [])
    # The session is the server's own data, but an old or hand-made one must not break a page.
    if not isinstance(stored, list):
        return []
    return [value for value in stored if isinstance(value, int) and not isinstance(value, bool)]


def selected_count(session: SessionBase) -> int:
    """Return how many records the session has selected."""
    return len(selected_ids(session))


def parse_ids(values: Iterable[str], *, field: str) -> list[int]:
    """Return the ids of `values` (plain ASCII digits, de-duplicated, in order), or raise
    SelectionError naming the first bad one."""
    values = list(values)
    if len(values) > MAX_IDS_PER_REQUEST:
        raise SelectionError(
            f"Too many ids in one request: at most {MAX_IDS_PER_REQUEST:,} (you sent "
            f"{len(values):,})."
        )
    ids: dict[int, None] = {}
    for value in values:
        number = plain_int(value.strip())
        if number is None or number == 0:
            shown = "".join(ch if ch.isprintable() else "?" for ch in value[:30])
            raise SelectionError(
                f"“{shown}” is not an article id: {field}= takes a whole number such as 42."
            )
        ids[number] = None
    return list(ids)


def change_selection(
    session: SessionBase,
    *,
    add: Iterable[int] = (),
    remove: Iterable[int] = (),
    clear: bool = False,
) -> Change:
    """Apply a change (clear, then remove, then add) to the session's selection and return
    what it did; raise SelectionError, changing nothing, for an unknown id or a selection that
    would pass SELECTED_MAX. One query checks the added ids; none when nothing is added."""
    previous = selected_ids(session)
    removing = set(remove)
    kept = [pk for pk in ([] if clear else previous) if pk not in removing]
    present = set(kept)
    adding = [pk for pk in dict.fromkeys(add) if pk not in present]
    if adding:
        found = set(Article.objects.filter(pk__in=adding).values_list("pk", flat=True))
        unknown = [pk for pk in adding if pk not in found]
        if unknown:
            listed = ", ".join(str(pk) for pk in unknown[:5])
            more = f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else ""
            raise SelectionError(
                f"There is no article with the id {listed}{more}; nothing was changed.",
                status=404,
            )
    if len(kept) + len(adding) > SELECTED_MAX:
        room = max(SELECTED_MAX - len(kept), 0)
        raise SelectionError(
            f"You can select at most {SELECTED_MAX:,} records. You have {len(kept):,}; "
            f"adding {len(adding):,} more would pass the limit (room for {room:,}). "
            "Nothing was changed: export or remove some records first.",
            status=409,
        )
    updated = kept + adding
    if updated != previous:
        session[SESSION_KEY] = updated
    old, new = set(previous), set(updated)
    added = tuple(pk for pk in updated if pk not in old)
    removed = tuple(pk for pk in previous if pk not in new)
    return Change(added=added, removed=removed, count=len(updated))


@dataclass
class ListedRecord:
    """What /selected/ shows of a record: read as plain values, not model objects (a
    1,000-record list makes no 6,000 model instances)."""

    pk: int
    title_html: SafeString
    type_label: str
    journal: str
    year: int | None
    et_al: bool
    authors: list[str] = field(default_factory=list)
    more_authors: int = 0


class _Name:
    """A name's parts as read by values_list, named the way the models' properties read them:
    the printed name and the person's name come from the models' own code."""

    printed_name = PrintedName.printed_name
    full_family_name = Author.full_family_name
    display_name = Author.display_name

    def __init__(self, parts: tuple[str, ...]) -> None:
        (self.family_name, self.given_names, self.particle, self.suffix, self.corporate_name) = (
            parts
        )


def listed_records(ids: list[int]) -> list[ListedRecord]:
    """Return the records of `ids` that exist, in the order of `ids` (two queries)."""
    labels = dict(OutputType.choices)
    rows = Article.objects.filter(pk__in=ids).values_list(
        "pk", "title", "output_type", "journal__title", "year", "et_al"
    )
    records = {
        pk: ListedRecord(
            pk=pk,
            title_html=render_rich_text(title),
            type_label=labels.get(output_type, output_type),
            journal=journal or "",
            year=year,
            et_al=et_al,
        )
        for pk, title, output_type, journal, year, et_al in rows
    }
    names = PrintedName.NAME_FIELDS
    slots = (
        Authorship.objects.filter(article_id__in=list(records))
        .order_by("article_id", "position")
        .values_list("article_id", *names, *(f"author__{name}" for name in names))
    )
    width = len(names)
    for article_id, *parts in slots:
        record = records[article_id]
        if len(record.authors) >= LISTED_AUTHORS:
            record.more_authors += 1
            continue
        # As the printed_name template filter: the printed form, else the person's name.
        printed = _Name(tuple(parts[:width])).printed_name
        record.authors.append(printed or _Name(tuple(parts[width:])).display_name)
    return [records[pk] for pk in ids if pk in records]
