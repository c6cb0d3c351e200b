"""Browse the catalogue: /journals/, /authors/, /keywords/ (A-Z or by count) and /subjects/.

Every list shows the entities that have articles, each with its number of articles and a link
to its page, in name order (optionally from one letter) or by count, narrowed by a filter box
(GET, so it works without JavaScript), 100 a page. The counts are the search index's
whole-catalogue facet counts: on PostgreSQL the table catalogue_search_facet, kept current by
the index's triggers, read by one statement a page through its (facet, count DESC, value) index
or the names' sort-key and trigram indexes (migrations 0011 and 0014); on SQLite the facet's
whole list (catalogue.search.sqlite.run_facet_list), sorted and sliced here. Both order ties
alike, so the same catalogue lists the same pages on both.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse

from catalogue import routers
from catalogue.models import Keyword, SubjectArea, fold
from catalogue.search import FACETS, SearchParams, sqlite
from catalogue.search.links import detail_url
from catalogue.search.params import NUL_MESSAGE, has_nul, parse_page, plain_int
from catalogue.search.postgres.page import LABEL_TABLES
from catalogue.search.statement import is_postgres

# Entries on one page of a browse list.
BROWSE_PAGE_SIZE = 100
# The sorts a list takes (`sort=`), the first the default.
BROWSE_SORTS = {"az": "Name A–Z", "count": "Most articles"}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# A filter longer than this is no name's words.
MAX_FILTER = 200
# A page asked for by its number alone (no after=/before=) is counted from the start of the
# list (OFFSET), which walks every entry before it: served up to this page (1,000 entries,
# tens of milliseconds at 1,000,000 articles), past it a 400 pointing to Next, the letters and
# the filter. The site's own Next and Previous links read from a neighbour at any depth.
MAX_COUNTED_PAGE = 10


@dataclass(frozen=True)
class BrowseKind:
    """One browsable list: its facet in the search index, page title and entity URL."""

    facet: str
    title: str
    noun: str
    template: str
    url_name: str
    filter_label: str


KINDS = {
    "journal": BrowseKind(
        "journal",
        "Journals",
        "journal",
        "catalogue/journal_list.html",
        "catalogue:journal-list",
        "Journal title contains",
    ),
    "author": BrowseKind(
        "author",
        "Authors",
        "author",
        "catalogue/author_list.html",
        "catalogue:author-list",
        "Author name contains",
    ),
    "keyword": BrowseKind(
        "keyword",
        "Keywords",
        "keyword",
        "catalogue/keyword_list.html",
        "catalogue:keyword-list",
        "Keyword contains",
    ),
}


class BrowseError(ValueError):
    """A browse parameter that is not valid: the parameter and the reader's message."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name, self.message = name, message


@dataclass(frozen=True)
class BrowseParams:
    """A browse list's validated parameters."""

    sort: str = "az"
    letter: str = ""
    text: str = ""
    page: int = 1
    # Pages after the first are read from a neighbour, not counted from the start
    # (`after=<id>`: the entries after that one; `before=<id>`: those before it), in either
    # order: an offset deep into 400,000 authors walked them all (page 2,000: 741 ms at
    # 1,000,000 articles). `page` then only numbers the page.
    after: int | None = None
    before: int | None = None


@dataclass
class Entry:
    """One entity of a list: its id, name, number of articles and page."""

    id: int
    name: str
    count: int
    url: str = ""
    code: str = ""
    # False for a broad field shown only as the context of narrower subjects that match.
    shown: bool = True
    children: list[Entry] = field(default_factory=list)


def parse_params(
    data: Mapping[str, str], *, letters: bool = True, paged: bool = True
) -> BrowseParams:
    """Return the list's parameters from a QueryDict, or raise BrowseError with its message.

    `sort` is one of BROWSE_SORTS, `letter` one letter A to Z (any case), `filter` at most
    MAX_FILTER characters, `page` plain ASCII digits from 1; none may hold a NUL character.
    """
    get = data.get  # a QueryDict's get() is its last value
    for name in ("sort", "letter", "filter", "page", "after", "before"):
        if has_nul(get(name) or ""):
            raise BrowseError(name, NUL_MESSAGE)
    sort = (get("sort") or "az").strip()
    if sort not in BROWSE_SORTS:
        choices = ", ".join(BROWSE_SORTS)
        raise BrowseError("sort", f"“{sort[:50]}” is not a sort order; use one of: {choices}.")
    letter = (get("letter") or "").strip()
    if letter and not letters:
        raise BrowseError("letter", "This list is not split by letter.")
    if letter and (len(letter) != 1 or letter.upper() not in LETTERS):
        raise BrowseError("letter", f"“{letter[:50]}” is not a letter: use one of A to Z.")
    text = " ".join((get("filter") or "").split())
    if len(text) > MAX_FILTER:
        raise BrowseError("filter", f"The filter is too long: at most {MAX_FILTER} characters.")
    page = 1
    raw_page = (get("page") or "").strip()
    if raw_page:
        if not paged:
            raise BrowseError("page", "This list has one page.")
        try:
            page = parse_page(raw_page)
        except ValueError as error:
            raise BrowseError("page", str(error)) from None
    after, before = _cursor(get, "after"), _cursor(get, "before")
    if after is not None and before is not None:
        raise BrowseError("before", "A page is read after one entry or before one, not both.")
    return BrowseParams(
        sort=sort, letter=letter.lower(), text=text, page=page, after=after, before=before
    )


def _cursor(get: Callable[[str], str | None], name: str) -> int | None:
    """Return the entry id `name` (after=, before=) names, None when absent."""
    raw = (get(name) or "").strip()
    if not raw:
        return None
    value = plain_int(raw)
    if value is None or value < 1:
        raise BrowseError(name, f"“{raw[:50]}” is not an entry id: ids are whole numbers.")
    return value


def too_deep(params: BrowseParams) -> bool:
    """Return whether the page is asked for by a number past MAX_COUNTED_PAGE alone."""
    return params.page > MAX_COUNTED_PAGE and params.after is None and params.before is None


# --- Reading a list ----------------------------------------------------------------------------


def _pg_rows(facet: str, params: BrowseParams, offset: int, limit: int) -> list[tuple]:
    """Return (id, count, name) rows of a page on PostgreSQL, in one statement."""
    table, alias, label = LABEL_TABLES[facet]
    key = FACETS[facet].pg_sort_key or f"catalogue_fold({label})"
    conditions, values = [], []
    if params.letter:
        # A range on the sort key's index rather than LIKE 'a%' (which the index cannot use
        # under a non-C collation); the key is folded, so lower case.
        conditions.append(f"{key} >= %s AND {key} < %s")
        values += [params.letter, chr(ord(params.letter) + 1)]
    if params.text:
        escaped = params.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # The label's trigram index (migration 0011) finds the names containing the text.
        conditions.append(f"catalogue_fold({label}) LIKE '%%' || catalogue_fold(%s) || '%%'")
        values.append(escaped)
    where = "".join(f" AND {condition}" for condition in conditions)
    neighbour = params.after or params.before
    if params.sort == "count":
        sql, values = _pg_count_sql(facet, params, where, values, offset, limit)
    else:
        # Walk the names' sort-key index and look each count up by its primary key; from
        # a neighbour's key on when paging by after= or before= (backwards for before=).
        order = f"{key}, {alias}.id"
        if neighbour is not None:
            sign = ">" if params.after else "<"
            here = f"(SELECT {key} FROM {table} {alias} WHERE {alias}.id = %s)"  # noqa: S608
            # Spelt out rather than as a row comparison, so the key's index bounds it.
            where += f" AND {key} {sign}= {here} AND ({key} {sign} {here} OR {alias}.id {sign} %s)"
            values += [neighbour, neighbour, neighbour]
            if params.before:
                order = f"{key} DESC, {alias}.id DESC"
        sql = (
            f"SELECT {alias}.id, f.count, {label} FROM {table} {alias} "  # noqa: S608
            f"JOIN catalogue_search_facet f ON f.facet = %s AND f.value = {alias}.id::text "
            f"AND f.count > 0 WHERE TRUE{where} ORDER BY {order} "
            f"LIMIT {int(limit)} OFFSET {int(offset)}"
        )
        values = [facet, *values]
    with routers.read_connection().cursor() as cursor:
        cursor.execute(sql, values)
        rows = cursor.fetchall()
    return rows[::-1] if params.before else rows


def _pg_count_sql(
    facet: str, params: BrowseParams, where: str, values: list, offset: int, limit: int
) -> tuple[str, list]:
    """Return the statement and parameters of a page by count (most articles first, ties by
    the id as text: the (facet, count DESC, value) index's order).

    From a neighbour (after= or before=) the page is two ranges of that index, each read in
    index order and stopping after a page: the neighbour's own count past its id, then the
    smaller (or, backwards, bigger) counts, read only for the rows the first range left short
    (a LIMIT of 0 never starts its scan). A single condition "(count, value) after the
    neighbour's" cannot bound the index (DESC then ASC) and would walk every tie before it:
    most authors have one article."""
    table, alias, label = LABEL_TABLES[facet]
    neighbour = params.after or params.before
    if neighbour is None:
        ranges = [("", [], "f.count DESC, f.value")]
        outer = "count DESC, value"
    else:
        count = "(SELECT count FROM catalogue_search_facet WHERE facet = %s AND value = %s)"
        at = [facet, str(neighbour)]
        if params.after:
            ranges = [
                (f" AND f.count = {count} AND f.value > %s", [*at, str(neighbour)], "f.value"),
                (f" AND f.count < {count}", at, "f.count DESC, f.value"),
            ]
            outer = "count DESC, value"
        else:
            # Backwards: the rows before the neighbour, nearest first (reversed after).
            ranges = [
                (f" AND f.count = {count} AND f.value < %s", [*at, str(neighbour)], "f.value DESC"),
                (f" AND f.count > {count}", at, "f.count, f.value DESC"),
            ]
            outer = "count, value DESC"
    parts, arguments = [], []
    for condition, extra, order in ranges:
        if not where:
            # The page's counts straight from the (facet, count DESC, value) index; only the
            # page's rows are joined to their names.
            parts.append(
                "SELECT f.value, f.count FROM catalogue_search_facet f "  # noqa: S608
                f"WHERE f.facet = %s AND f.count > 0{condition} ORDER BY {order}"
            )
            arguments += [facet, *extra]
        else:
            # Walk the counts' index from the top and look each name up by its key, stopping
            # after the page: a letter's 35,000 authors are not all joined and sorted.
            parts.append(
                f"SELECT f.value, f.count, {label} AS label FROM {table} {alias} "  # noqa: S608
                f"JOIN catalogue_search_facet f ON f.facet = %s "
                f"AND {alias}.id = f.value::bigint AND f.count > 0 "
                f"WHERE TRUE{where}{condition} ORDER BY {order}"
            )
            arguments += [facet, *values, *extra]
    limit = int(limit)
    if len(parts) == 1:
        cte, rows = "", f"{parts[0]} LIMIT {limit} OFFSET {int(offset)}"
    else:
        cte = f"WITH first AS MATERIALIZED ({parts[0]} LIMIT {limit}) "
        rows = (
            "SELECT * FROM first UNION ALL "  # noqa: S608 (the ranges are built above)
            f"({parts[1]} LIMIT {limit} - (SELECT count(*) FROM first))"
        )
    if not where:
        sql = (
            f"{cte}SELECT {alias}.id, t.count, {label} FROM ({rows}) t "  # noqa: S608
            f"JOIN {table} {alias} ON {alias}.id = t.value::bigint "
            f"ORDER BY {_prefixed(outer, 't.')} LIMIT {limit}"
        )
    else:
        sql = (
            f"{cte}SELECT t.value::bigint, t.count, t.label FROM ({rows}) t "  # noqa: S608
            f"ORDER BY {_prefixed(outer, 't.')} LIMIT {limit}"
        )
    return sql, arguments


def _prefixed(order: str, prefix: str) -> str:
    """Return an ORDER BY list with each column prefixed ("count DESC" -> "t.count DESC")."""
    return ", ".join(f"{prefix}{term.strip()}" for term in order.split(","))


def _sqlite_rows(facet: str, params: BrowseParams, offset: int, limit: int) -> list[tuple]:
    """Return (id, count, name) rows of a page on SQLite, ordered as on PostgreSQL."""
    rows = sqlite.run_facet_list(params=SearchParams(), facet=facet)
    wanted = fold(params.text)
    kept = []
    for value, count, label, key in rows:
        if count <= 0 or not label:
            continue
        sort_key = fold(key)
        if params.letter and not sort_key.startswith(params.letter):
            continue
        if wanted and wanted not in fold(label):
            continue
        kept.append((int(value), count, label, sort_key, str(value)))
    if params.sort == "count":
        # Ties in the order of the id as text, like catalogue_search_facet's index.
        kept.sort(key=lambda row: (-row[1], row[4]))
    else:
        kept.sort(key=lambda row: (row[3], row[0]))
    neighbour = params.after or params.before
    if neighbour is not None:
        at = next((i for i, row in enumerate(kept) if row[0] == neighbour), None)
        if at is None:
            return []
        kept = kept[at + 1 :] if params.after else kept[max(0, at - limit) : at]
    return [row[:3] for row in kept[offset : offset + limit]]


def browse_entries(kind: str, params: BrowseParams) -> tuple[list[Entry], bool]:
    """Return the page's entries and whether a next page exists (one or two queries)."""
    facet = KINDS[kind].facet
    paged_by_neighbour = params.after is not None or params.before is not None
    offset = 0 if paged_by_neighbour else (params.page - 1) * BROWSE_PAGE_SIZE
    # One row more than a page says whether there is a next one, without counting them all.
    read = _pg_rows if is_postgres() else _sqlite_rows
    rows = read(facet, params, offset, BROWSE_PAGE_SIZE + 1)
    entries = [Entry(id=int(pk), name=name, count=int(count)) for pk, count, name in rows]
    if params.before:
        # Read backwards: the extra row is the one before the page, and a next page exists.
        return _linked(kind, entries[-BROWSE_PAGE_SIZE:]), True
    has_next = len(entries) > BROWSE_PAGE_SIZE
    return _linked(kind, entries[:BROWSE_PAGE_SIZE]), has_next


def _linked(kind: str, entries: list[Entry]) -> list[Entry]:
    """Return the entries with their pages' URLs set (keywords' slugs in one query)."""
    if kind == "keyword":
        slugs = dict(
            Keyword.objects.filter(pk__in=[e.id for e in entries]).values_list("pk", "slug")
        )
        for entry in entries:
            entry.url = reverse("catalogue:keyword-detail", args=[slugs.get(entry.id, "")])
    else:
        for entry in entries:
            entry.url = detail_url(f"catalogue:{kind}-detail", entry.id)
    return entries


# --- Pages -------------------------------------------------------------------------------------


def _query(params: BrowseParams, **changes: object) -> str:
    """Return "?..." for the list's state with `changes` (a falsy value drops the parameter)."""
    state = {"sort": params.sort, "letter": params.letter.upper(), "filter": params.text}
    state.update({name: str(value) if value else "" for name, value in changes.items()})
    if state.get("sort") == "az":
        state["sort"] = ""  # the default sort stays out of the URL
    pairs = [(name, value) for name, value in state.items() if value]
    return "?" + urlencode(pairs) if pairs else "?"


def _error_page(
    request: HttpRequest, template: str, kind: BrowseKind | None, error: BrowseError
) -> HttpResponse:
    context = {"kind": kind, "errors": [(error.name, error.message)], "sorts": BROWSE_SORTS}
    return render(request, template, context, status=400)


def browse_list(request: HttpRequest, kind: str) -> HttpResponse:
    """Return one page of journals, authors or keywords with their numbers of articles."""
    spec = KINDS[kind]
    try:
        params = parse_params(request.GET)
    except BrowseError as error:
        return _error_page(request, spec.template, spec, error)
    if too_deep(params):
        # Counting to the page would walk every entry before it: the reader is pointed to
        # the letters, the filter and Next instead (on the page, with its letters).
        entries, has_next, status = [], False, 400
        errors = [("page", _too_deep_message(params.page))]
    else:
        entries, has_next = browse_entries(kind, params)
        status = 200
        errors = []
        if params.page > 1 and not entries:
            status = 404
            errors = [("page", f"There is no page {params.page:,} of this list.")]
    context = {
        "kind": spec,
        "params": params,
        "entries": entries,
        "errors": errors,
        "sorts": [
            (name, label, _query(params, sort=name, page=None), name == params.sort)
            for name, label in BROWSE_SORTS.items()
        ],
        "letters": [
            (letter, _query(params, letter=letter, page=None), letter.lower() == params.letter)
            for letter in LETTERS
        ],
        "all_letters_url": _query(params, letter=None, page=None),
        "first_url": _query(params, page=None),
        "clear_url": _query(params, filter=None, page=None),
        "previous_url": _previous_url(params, entries),
        "next_url": _next_url(params, entries) if has_next else "",
        "sort_value": "" if params.sort == "az" else params.sort,
        "first_number": (params.page - 1) * BROWSE_PAGE_SIZE + 1,
        # The deepest page a number alone reaches, offered when the one asked for is past it.
        "deepest": (MAX_COUNTED_PAGE, _query(params, page=MAX_COUNTED_PAGE))
        if too_deep(params)
        else None,
    }
    return render(request, spec.template, context, status=status)


def _too_deep_message(page: int) -> str:
    """Return the 400 message for a page number past MAX_COUNTED_PAGE asked for alone."""
    return (
        f"Page {page:,} cannot be counted to: a page number alone reaches the first "
        f"{MAX_COUNTED_PAGE} pages. Go on from there with Next, or choose a letter or a filter."
    )


def _next_url(params: BrowseParams, entries: list[Entry]) -> str:
    """Return the next page's link: after this page's last entry."""
    if entries:
        return _query(params, page=params.page + 1, after=entries[-1].id)
    return _query(params, page=params.page + 1)


def _previous_url(params: BrowseParams, entries: list[Entry]) -> str:
    """Return the previous page's link ("" on the first): before this page's first entry,
    the first page itself plainly."""
    if params.page <= 1:
        return ""
    if params.page == 2 or not entries:
        return _query(params, page=params.page - 1 if params.page > 2 else None)
    return _query(params, page=params.page - 1, before=entries[0].id)


def _subject_tree(params: BrowseParams) -> list[dict]:
    """Return the subject areas that have articles, under their broad fields, by scheme."""
    subjects = list(SubjectArea.objects.values_list("pk", "code", "name", "scheme", "parent_id"))
    if is_postgres():
        with routers.read_connection().cursor() as cursor:
            cursor.execute(
                "SELECT value, count FROM catalogue_search_facet "
                "WHERE facet = 'subject' AND count > 0"
            )
            counts = {int(value): int(count) for value, count in cursor.fetchall()}
    else:
        rows = sqlite.run_facet_list(params=SearchParams(), facet="subject")
        counts = {int(value): count for value, count, _, _ in rows if count > 0}
    nodes = {
        pk: Entry(
            id=pk,
            name=name,
            count=counts.get(pk, 0),
            code=code,
            url=detail_url("catalogue:subject-detail", pk),
        )
        for pk, code, name, _, _ in subjects
    }
    roots: dict[str, list[Entry]] = {}
    for pk, _, _, scheme, parent in subjects:
        if parent is None or parent not in nodes:
            roots.setdefault(scheme, []).append(nodes[pk])
        else:
            nodes[parent].children.append(nodes[pk])
    wanted = fold(params.text)

    def keep(entry: Entry, *, matched: bool) -> Entry | None:
        """Return the entry with the children worth showing, or None if none is."""
        matched = matched or not wanted or wanted in fold(entry.name)
        children = [c for c in (keep(c, matched=matched) for c in entry.children) if c]
        if not children and not (entry.count and matched):
            return None
        if params.sort == "count":
            children.sort(key=lambda c: (-c.count, fold(c.name), c.id))
        else:
            children.sort(key=lambda c: (fold(c.name), c.id))
        entry.children = children
        entry.shown = bool(entry.count and matched)
        return entry

    schemes = []
    for scheme in sorted(roots):
        kept = [e for e in (keep(e, matched=False) for e in roots[scheme]) if e]
        if params.sort == "count":
            kept.sort(key=lambda e: (-e.count, fold(e.name), e.id))
        else:
            kept.sort(key=lambda e: (fold(e.name), e.id))
        if kept:
            schemes.append({"scheme": scheme, "fields": kept})
    return schemes


def subject_list(request: HttpRequest) -> HttpResponse:
    """Return the subject areas as their scheme's tree: broad fields and narrower subjects."""
    template = "catalogue/subject_list.html"
    try:
        params = parse_params(request.GET, letters=False, paged=False)
    except BrowseError as error:
        return _error_page(request, template, None, error)
    context = {
        "params": params,
        "schemes": _subject_tree(params),
        "sorts": [
            (name, label, _query(params, sort=name), name == params.sort)
            for name, label in BROWSE_SORTS.items()
        ],
        "sort_value": "" if params.sort == "az" else params.sort,
        "clear_url": _query(params, filter=None),
    }
    return render(request, template, context)


urlpatterns: list[URLPattern] = [
    path("journals/", browse_list, {"kind": "journal"}, name="journal-list"),
    path("authors/", browse_list, {"kind": "author"}, name="author-list"),
    path("keywords/", browse_list, {"kind": "keyword"}, name="keyword-list"),
    path("subjects/", subject_list, name="subject-list"),
]
