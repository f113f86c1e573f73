"""Migration operations for tables of a million rows that must stay writable while they change."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db.migrations import AddIndex, RunPython


class AddIndexOnline(AddIndexConcurrently):
    """Add an index while the table goes on being written: CREATE INDEX CONCURRENTLY on PostgreSQL
    (a plain one blocks every write to the table for as long as it builds: seconds at a million
    SIMs, with the worker and the web writing); a plain CREATE INDEX on SQLite, which has no
    other kind and one writer at a time anyway. Its migration must say `atomic = False`."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


def drop_index_online(name: str, table: str, columns: str) -> RunPython:
    """Drop an index that Django made for a field (the field's state is changed beside it), without
    stopping writes on PostgreSQL; back, make it again. Its migration must say `atomic = False`."""
    def sql(schema_editor, postgresql: str, other: str) -> None:
        schema_editor.execute(postgresql if schema_editor.connection.vendor == "postgresql" else other)

    def drop(apps, schema_editor) -> None:
        sql(schema_editor, f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"', f'DROP INDEX IF EXISTS "{name}"')

    def make(apps, schema_editor) -> None:
        sql(schema_editor, f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" ON "{table}" ({columns})',
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({columns})')

    return RunPython(drop, make)
