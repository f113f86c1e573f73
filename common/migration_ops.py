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


def allow_null_in_place(table: str, columns: tuple[str, ...], *, back_to: object) -> RunPython:
    """Let columns hold NULL without remaking their table (their fields' state is changed beside it).

    PostgreSQL drops the NOT NULL in its catalogue. SQLite has no ALTER COLUMN: Django would copy the
    whole table (a million SIMs) once per field, and drop the triggers on it. SQLite's own documented
    way for removing a NOT NULL (sqlite.org/lang_altertable.html, "other kinds of table schema changes")
    edits the table's definition in place instead: no row is rewritten, triggers and indexes stay.
    Back, NULLs become `back_to` and the NOT NULL returns."""
    def definitions(schema_editor, edit) -> None:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [table])
            sql = cursor.fetchone()[0]
            for column in columns:
                sql = edit(sql, f'"{column}" bool')
            cursor.execute("PRAGMA schema_version")
            version = cursor.fetchone()[0]
            cursor.execute("PRAGMA writable_schema = ON")
            cursor.execute("UPDATE sqlite_master SET sql = %s WHERE type = 'table' AND name = %s", [sql, table])
            cursor.execute(f"PRAGMA schema_version = {version + 1}")  # other connections read it afresh
            cursor.execute("PRAGMA writable_schema = OFF")
            cursor.execute("PRAGMA integrity_check")
            if (found := cursor.fetchone()[0]) != "ok":
                raise RuntimeError(f"{table}'s definition, edited, fails SQLite's integrity check: {found}")

    def replace(sql: str, old: str, new: str) -> str:
        if sql.count(old) != 1:  # the definition is not as Django made it: change nothing
            raise RuntimeError(f"{old!r} is not once in {table}'s definition")
        return sql.replace(old, new)

    def forwards(apps, schema_editor) -> None:
        if schema_editor.connection.vendor == "sqlite":
            definitions(schema_editor, lambda sql, col: replace(sql, f"{col} NOT NULL", f"{col} NULL"))
            return
        for column in columns:
            schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" DROP NOT NULL')

    def backwards(apps, schema_editor) -> None:
        for column in columns:
            schema_editor.execute(f'UPDATE "{table}" SET "{column}" = %s WHERE "{column}" IS NULL', [back_to])  # noqa: S608 (names from the migration)
        if schema_editor.connection.vendor == "sqlite":
            definitions(schema_editor, lambda sql, col: replace(sql, f"{col} NULL", f"{col} NOT NULL"))
            return
        for column in columns:
            schema_editor.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" SET NOT NULL')

    return RunPython(forwards, backwards)
