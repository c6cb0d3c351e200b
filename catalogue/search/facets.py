"""The facets, each declared once: everything the search, its validation and its SQL need.

A facet's declaration gives its URL parameter (and `not_<name>`), heading, kind, how many
values the page shows, how its values are validated and labelled, where they live on the
article (a column or a link table), and its column in each backend's index. The filter set
(filters.py), both backends (postgres.py, sqlite.py), the ORM conditions of exports (orm.py),
the API's parameters (api.py) and the templates are built from these declarations; the
index itself is created by migrations (0004 and later: see docs/search.md, "Adding a facet").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from catalogue import identifiers
from catalogue.models import OutputType
from catalogue.search.fields import (
    ChoiceListField,
    IdListField,
    LanguageListField,
    ValueListField,
)

# An author's name as the page shows it; migration 0011 defines the function and indexes
# its folded form.
AUTHOR_NAME = (
    "catalogue_author_name(p.given_names, p.particle, p.family_name, p.suffix, p.corporate_name)"
)
# An author's A-Z key, SQLite's too (tests/test_facets.py): "family given", or the corporate
# name. Migration 0014 indexes it.
AUTHOR_SORT = (
    "catalogue_fold(CASE WHEN p.corporate_name <> '' THEN p.corporate_name "
    "WHEN p.given_names = '' THEN p.family_name ELSE p.family_name || ' ' || p.given_names END)"
)
# SQLite: an author's name parts joined by U+001F; sqlite.author_label builds the name like
# Author.display_name.
AUTHOR_PARTS = (
    "p.given_names || char(31) || p.particle || char(31) || p.family_name || char(31) || "
    "p.suffix || char(31) || p.corporate_name"
)


@dataclass(frozen=True)
class Facet:
    """A facet: its parameter, heading, values, validation, and its SQL on both backends."""

    # The URL parameter (its exclusion is not_<name>) and the key in the API's `facets`.
    name: str
    # The heading; in lower case, the noun of error messages ("no subject area with the id").
    label: str
    # "ids": ids of the rows of `table`; "choice": a code; "bool": true/false; "year".
    kind: str
    # How many values the page shows before "more" (0: all).
    top: int = 8
    # The form field validating its values (None: the year, a range of two YearFields).
    field: type[ValueListField] | None = None
    # The accepted codes and their labels ("choice" and "bool"), in the API schema's order.
    choices: tuple[tuple[str, str], ...] = ()
    # The label of a code, when `choices` does not hold every code.
    value_label: Callable[[str], str] | None = None
    # Where an article's values live: a column of catalogue_article, or a link table
    # (table, value id column) with an article_id column.
    column: str = ""
    link: tuple[str, str] | None = None
    # Excluding values keeps the articles that have no value (an article without a journal).
    nullable: bool = False
    # An empty string is no value: not counted, not listed.
    blank_is_none: bool = False
    # "ids": the values' table and alias, and their label as SQL on each backend.
    table: tuple[str, str] | None = None
    pg_label: str = ""
    sqlite_label: str = ""
    # PostgreSQL A-Z key of an "ids" value (default: its folded label; migration 0014).
    pg_sort_key: str = ""
    # SQLite: the label is an author's U+001F-joined name parts, made a name in Python.
    name_parts: bool = False
    # PostgreSQL: the column of catalogue_search (migration 0004) and its element type; an
    # array for several values per article.
    pg_column: str = ""
    pg_type: str = ""
    pg_array: bool = False
    # PostgreSQL: the column is in the multicolumn GIN index catalogue_search_terms and its
    # probe twin (migration 0012; a scalar column only for "="), and in a B-tree with the
    # date (catalogue_search_journal: a value and a year range in one scan).
    pg_gin: bool = False
    pg_with_dates: bool = False
    # A value computed from the article rather than read from `column` (a "has abstract"
    # facet): its SQL on SQLite's article row aliased c, and its ORM expression.
    sqlite_operand: str = ""
    orm_value: Any = None
    # SQLite: the value as text of the article row aliased c (default: from the operand).
    sqlite_value: str = ""

    @property
    def not_name(self) -> str:
        """Return the parameter excluding values: not_<name>."""
        return f"not_{self.name}"

    @property
    def noun(self) -> str:
        """Return the facet's name in a sentence: its label in lower case."""
        return self.label.lower()

    @property
    def pg_array_type(self) -> str:
        """Return the PostgreSQL array type of a list of its values ("bigint[]")."""
        return f"{self.pg_type}[]"

    @property
    def sqlite_column(self) -> str:
        """Return the SQLite value of the article row aliased c, as stored (selections)."""
        return self.sqlite_operand or f"c.{self.column}"

    @property
    def sqlite_text(self) -> str:
        """Return the SQLite value as text of the article row aliased c (NULL: none)."""
        if self.sqlite_value:
            return self.sqlite_value
        value = self.sqlite_column
        if self.kind in ("ids", "year"):
            return f"CAST({value} AS TEXT)"
        if self.kind == "bool":
            return f"CASE WHEN {value} THEN 'true' ELSE 'false' END"
        return f"nullif({value}, '')" if self.blank_is_none else value

    def value_id(self, value: str) -> Any:
        """Return a value from SQL text as its parameter type: int ids and years, bools, codes."""
        if self.kind in ("ids", "year"):
            return int(value)
        if self.kind == "bool":
            return value == "true"
        return value

    def choice_label(self, value: Any) -> str:
        """Return the label of a code, boolean or year (an id's label comes from its table)."""
        if self.kind == "bool":
            return dict(self.choices)["true" if value in ("true", True) else "false"]
        if self.value_label is not None:
            return self.value_label(value)
        if self.choices:
            return str(dict(self.choices).get(value, value))
        return str(value)

    def order(self) -> Callable[[Any], Any]:
        """Return the sort key of its values on the page (a FacetValue's)."""
        if self.kind == "year":
            return lambda value: -value.id
        if self.kind == "bool":
            return lambda value: (not value.id,)
        return lambda value: (-value.count, value.label.casefold(), str(value.id))


FACETS: dict[str, Facet] = {
    facet.name: facet
    for facet in (
        Facet("year", "Year", "year", top=0, column="year", pg_column="year", pg_type="smallint"),
        Facet(
            "type",
            "Output type",
            "choice",
            top=8,
            field=ChoiceListField,
            choices=tuple(OutputType.choices),
            column="output_type",
            pg_column="output_type",
            pg_type="text",
        ),
        Facet(
            "journal",
            "Journal",
            "ids",
            field=IdListField,
            column="journal_id",
            nullable=True,
            table=("catalogue_journal", "j"),
            pg_label="j.title",
            sqlite_label="j.title",
            pg_column="journal_id",
            pg_type="bigint",
            pg_gin=True,
            pg_with_dates=True,
        ),
        Facet(
            "author",
            "Author",
            "ids",
            field=IdListField,
            link=("catalogue_authorship", "author_id"),
            table=("catalogue_author", "p"),
            pg_label=AUTHOR_NAME,
            sqlite_label=f"(CASE WHEN p.id IS NULL THEN NULL ELSE {AUTHOR_PARTS} END)",
            pg_sort_key=AUTHOR_SORT,
            name_parts=True,
            pg_column="author_ids",
            pg_type="bigint",
            pg_array=True,
            pg_gin=True,
        ),
        Facet(
            "keyword",
            "Keyword",
            "ids",
            field=IdListField,
            link=("catalogue_article_keywords", "keyword_id"),
            table=("catalogue_keyword", "k"),
            pg_label="k.term",
            sqlite_label="k.term",
            pg_column="keyword_ids",
            pg_type="bigint",
            pg_array=True,
            pg_gin=True,
        ),
        Facet(
            "subject",
            "Subject area",
            "ids",
            field=IdListField,
            link=("catalogue_article_subject_areas", "subjectarea_id"),
            table=("catalogue_subjectarea", "sa"),
            pg_label="sa.name",
            sqlite_label="sa.name",
            pg_column="subject_ids",
            pg_type="bigint",
            pg_array=True,
            pg_gin=True,
        ),
        Facet(
            "language",
            "Language",
            "choice",
            top=6,
            field=LanguageListField,
            value_label=lambda code: identifiers.language_name(code) or code,
            column="language",
            blank_is_none=True,
            pg_column="language",
            pg_type="text",
        ),
        Facet(
            "peer_reviewed",
            "Peer reviewed",
            "bool",
            top=2,
            field=ChoiceListField,
            choices=(("true", "Peer reviewed"), ("false", "Not peer reviewed")),
            column="peer_reviewed",
            pg_column="peer_reviewed",
            pg_type="boolean",
        ),
    )
}
# Facets whose values the reader picks (the year is a range instead).
VALUE_FACETS = tuple(name for name, facet in FACETS.items() if facet.kind != "year")
# Facets whose values are ids of rows of their own table (labelled from it).
ID_FACETS = tuple(name for name, facet in FACETS.items() if facet.kind == "ids")
