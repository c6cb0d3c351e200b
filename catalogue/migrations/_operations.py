"""Migration operations shared by later migrations (a leading underscore: not a migration).

`AddColumnInPlace` first appeared in 0013, which keeps its own copy as released.
"""

from django.db import migrations


class AddColumnInPlace(migrations.AddField):
    """AddField that uses ALTER TABLE ADD COLUMN on SQLite instead of a table rebuild.

    Django adds a NOT NULL column on SQLite by rebuilding the table, and the rename at its end
    fails because the search triggers on other tables name the table. SQLite's own ADD COLUMN
    takes a constant default, so the field needs a `db_default`.
    """

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
