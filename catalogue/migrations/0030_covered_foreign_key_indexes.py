"""Drop four foreign-key indexes that a composite index already leads with (issue 17).

Every import writes each index of the rows it adds. These four serve nothing the composite
ones do not: `article_journal_year` (journal, year), `authorship_unique_position` (article,
position), `authorship_author_article` (author, article) and `contributor_unique_position`
(article, role, position) each lead with the column. The fields say `db_index=False`; only the
indexes are dropped here. Django's own AlterField would rebuild each table on SQLite (dropping
the search triggers with it) and re-validate each foreign key on PostgreSQL (a scan of 4.2M
authorships at 1M articles under an exclusive lock).
"""

import django.db.models.deletion
from django.db import migrations, models

# (index, table, column): Django's names for the fields' indexes, the same on both databases.
INDEXES = [
    ("catalogue_article_journal_id_449da708", "catalogue_article", "journal_id"),
    ("catalogue_authorship_article_id_be3daf98", "catalogue_authorship", "article_id"),
    ("catalogue_authorship_author_id_3c44ff61", "catalogue_authorship", "author_id"),
    ("catalogue_contributor_article_id_87f7f1c7", "catalogue_contributor", "article_id"),
]


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0029_import_speed")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ("{column}")',
                )
                for name, table, column in INDEXES
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="article",
                    name="journal",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="articles",
                        to="catalogue.journal",
                    ),
                ),
                migrations.AlterField(
                    model_name="authorship",
                    name="article",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="authorships",
                        to="catalogue.article",
                    ),
                ),
                migrations.AlterField(
                    model_name="authorship",
                    name="author",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="authorships",
                        to="catalogue.author",
                    ),
                ),
                migrations.AlterField(
                    model_name="contributor",
                    name="article",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contributors",
                        to="catalogue.article",
                    ),
                ),
            ],
        )
    ]
