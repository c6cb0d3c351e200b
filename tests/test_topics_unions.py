"""The chunked UNION ALL helper of catalogue/topics (one bounded subquery per item), on the
database under test: rows, chunking, SQLite's bound on compound terms, and wrong calls."""

from __future__ import annotations

import pytest
from django.db import connection

from catalogue.topics import unions
from catalogue.topics.unions import union_all
from tests.factories import make_article

# The three newest of an article's namesakes: a bounded subquery per title, as the callers do.
NEWEST = (
    "SELECT * FROM (SELECT %s, id, year FROM catalogue_article WHERE title = %s "
    "ORDER BY year DESC, id LIMIT %s) AS n{i}"
)


@pytest.fixture
def namesakes(db):
    """Five titles, the n-th held by n records of years 2000..2000+n-1."""
    made = {}
    for n in range(1, 6):
        made[n] = [make_article(title=f"Title {n}", year=2000 + y) for y in range(n)]
    return made


def test_rows_of_every_item_in_item_order_a_chunk_a_statement(namesakes, django_assert_num_queries):
    items = [5, 1, 3, 2, 4]
    with django_assert_num_queries(3), connection.cursor() as cursor:
        rows = union_all(cursor, NEWEST, items, lambda n: (n, f"Title {n}", 3), size=2)
    expected = [
        (n, article.pk, article.year)
        for n in items
        for article in sorted(namesakes[n], key=lambda a: (-a.year, a.pk))[:3]
    ]
    assert rows == expected


def test_no_items_no_statement(db, django_assert_num_queries):
    with django_assert_num_queries(0), connection.cursor() as cursor:
        assert union_all(cursor, NEWEST, [], lambda n: (n, "", 1)) == []


def test_an_item_without_rows_adds_none(namesakes):
    with connection.cursor() as cursor:
        rows = union_all(cursor, NEWEST, [9, 1], lambda n: (n, f"Title {n}", 3))
    assert rows == [(1, namesakes[1][0].pk, 2000)]


def test_a_statement_of_the_most_terms_sqlite_allows_runs(db, django_assert_num_queries):
    # 1,000 single-term parts: two statements of 500 terms each (SQLite's bound).
    items = list(range(1000))
    with django_assert_num_queries(2), connection.cursor() as cursor:
        rows = union_all(cursor, "SELECT %s AS v{i}", items, lambda n: (n,), size=unions.MAX_TERMS)
    assert sorted(row[0] for row in rows) == items


def test_parts_of_two_terms_count_twice_against_the_bound(db):
    two = f"{NEWEST} UNION ALL {NEWEST.replace('n{i}', 'm{i}')}"
    with connection.cursor() as cursor:
        with pytest.raises(ValueError, match="251 items of 2 terms exceed 500"):
            union_all(cursor, two, [1], lambda n: 2 * (n, "", 1), size=251)
        assert union_all(cursor, two, [1], lambda n: 2 * (n, "", 1), size=250) == []


@pytest.mark.parametrize("size", [0, -1, 501])
def test_a_size_out_of_bounds_is_refused(db, size):
    with connection.cursor() as cursor, pytest.raises(ValueError, match="exceed"):
        union_all(cursor, NEWEST, [1], lambda n: (n, "", 1), size=size)


def test_parameters_not_matching_the_part_are_refused(db, django_assert_num_queries):
    refused = pytest.raises(ValueError, match="2 parameters for a part taking 3")
    with django_assert_num_queries(0), connection.cursor() as cursor, refused:
        union_all(cursor, NEWEST, [1], lambda n: (n, ""))
