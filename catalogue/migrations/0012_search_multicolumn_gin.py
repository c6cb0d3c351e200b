"""One multicolumn GIN index for words, keywords, authors, subjects and journals (and one more
over the probe's rows) instead of one GIN index per column.

A context of a results statement ANDs its conditions: a word and a popular keyword were two
bitmaps, the word's 56,769 entries and the keyword's 151,805 (27 ms), for 8,535 rows in
common. A multicolumn GIN index matches all of its columns' conditions in one scan and skips
through the longer posting lists to the entries the shorter ones need: the same rows in 9.5 ms.
A journal is in it too (btree_gin, for "="): keyword 2 and journal 8 went from 22 ms (the
keyword's 120,593 entries ANDed with the journal's 10,845) to 2.3 ms.

Over the probe's rows (sample < 16) migration 0008 built one partial GIN index per column,
with predicates sample < 16, < 17, ... so that the planner could AND two. It ANDed them only
one way round: it adds indexes in order of estimated cost and skips one whose predicate
follows from those already chosen, so when the word's index (sample < 16) looked cheaper than
a keyword's (sample < 17) the word was read from the whole-table index instead (16 ms instead
of 0.5 ms, per context). One multicolumn partial index has one predicate and no such choice.

The (journal_id, date_key) B-tree stays: it answers a journal and a year range together.
Figures: docs/performance.md (Search), 1,000,000 articles.
"""

from django.db import migrations

from catalogue.search.sql import execute


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        execute(
            schema_editor,
            "postgres/extensions.v2.sql",
            "postgres/catalogue_search_indexes.v4.sql",
        )


def backwards(apps, schema_editor):
    # The extensions stay: nothing of version 3 needs btree_gin gone.
    if schema_editor.connection.vendor == "postgresql":
        execute(
            schema_editor,
            "postgres/catalogue_search_indexes.v3.sql",
            "postgres/catalogue_search_indexes.v4.down.sql",
        )


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0011_facet_value_trigrams")]

    operations = [migrations.RunPython(forwards, backwards)]
