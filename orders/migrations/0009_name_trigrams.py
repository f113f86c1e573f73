"""Trigram indexes for searching order recipients by part of a name (see common/search.py): pg_trgm's GIN
index on PostgreSQL; on SQLite an FTS5 trigram table kept in step with the table by triggers.

Written out here rather than imported: a migration must not change when the code does.
On SQLite, a later migration that alters a field of this table remakes it, which drops these
triggers: it must run `create` again after it (tests/common/test_search.py would show).
"""

from django.db import migrations

TABLE, COLUMN = "orders_despatchorder", "name"
FTS = f"{TABLE}_{COLUMN}_fts"
SQLITE = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5({COLUMN}, content='{TABLE}', content_rowid='id', tokenize='trigram')",
    f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
    f"""CREATE TRIGGER {FTS}_insert AFTER INSERT ON {TABLE} BEGIN
        INSERT INTO {FTS}(rowid, {COLUMN}) VALUES (new.id, new.{COLUMN}); END""",
    f"""CREATE TRIGGER {FTS}_delete AFTER DELETE ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {COLUMN}) VALUES ('delete', old.id, old.{COLUMN}); END""",
    f"""CREATE TRIGGER {FTS}_update AFTER UPDATE OF {COLUMN} ON {TABLE} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {COLUMN}) VALUES ('delete', old.id, old.{COLUMN});
        INSERT INTO {FTS}(rowid, {COLUMN}) VALUES (new.id, new.{COLUMN}); END""",
]
POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX {TABLE}_{COLUMN}_trgm ON {TABLE} USING gin (UPPER({COLUMN}::text) gin_trgm_ops)",
]
UNDO = {
    "sqlite": [f"DROP TRIGGER {FTS}_{op}" for op in ("insert", "delete", "update")] + [f"DROP TABLE {FTS}"],
    "postgresql": [f"DROP INDEX {TABLE}_{COLUMN}_trgm"],
}


def create(apps, schema_editor):
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRESQL}[schema_editor.connection.vendor]:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    for sql in UNDO[schema_editor.connection.vendor]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("orders", "0008_orders_every_minute")]

    operations = [migrations.RunPython(create, drop)]
