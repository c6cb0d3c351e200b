"""An article's own publisher: a book's, report's, thesis's or dataset's.

The publisher was kept on the journal only, so an entry without one (a book with a publisher,
a thesis with a school) lost it on import, and its citations lacked it. The column has a
database default, so adding it rewrites no rows, and bulk writers that do not name it
(the synthetic catalogue's COPY) still insert.

On SQLite, Django adds a NOT NULL column by rebuilding the table (create, copy, drop, rename),
and the rename fails because the search triggers on the author and link tables name
catalogue_article. SQLite's own ALTER TABLE ADD COLUMN takes a constant default, so it is used
there instead; the rebuild would also copy every row for nothing.
"""

from django.db import migrations, models


class AddColumnInPlace(migrations.AddField):
    """AddField that uses ALTER TABLE ADD COLUMN on SQLite instead of a table rebuild."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "sqlite":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        model = to_state.apps.get_model(app_label, self.model_name)
        field = model._meta.get_field(self.name)
        definition, params = schema_editor.column_sql(model, field, include_default=True)
        schema_editor.execute(
            f"ALTER TABLE {schema_editor.quote_name(model._meta.db_table)} "
            f"ADD COLUMN {schema_editor.quote_name(field.column)} {definition}",
            params,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0012_search_multicolumn_gin"),
    ]

    operations = [
        AddColumnInPlace(
            model_name="article",
            name="publisher",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="Leave empty when it is the journal's publisher.",
                max_length=255,
            ),
        ),
    ]
