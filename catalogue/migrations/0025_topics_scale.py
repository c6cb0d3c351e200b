"""Research topics at a million records (issue 19): an index of each concept's records by
weight, for the expert search's supporting records (catalogue/topics/experts._supporting)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0024_import_matching"),
    ]

    operations = [
        # Not in the model's Meta.indexes: Django cannot declare the article_id tie-break's
        # order beside a descending weight portably; plain SQL both databases accept.
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS article_topic_concept_weight "
            "ON catalogue_articletopic (concept_id, weight DESC, article_id)",
            "DROP INDEX IF EXISTS article_topic_concept_weight",
        ),
    ]
