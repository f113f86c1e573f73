"""How bench/seed.py writes rows: a table's rows by field name, written by COPY or executemany,
into tables whose secondary indexes are made again afterwards."""

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db.models import JSONField

WRITE_ORDER = ("number", "subscriber", "sim", "request", "event", "order", "order_event", "audit", "product", "stock")


class Table:
    """Rows for one model's table, by field name; checks that every NOT NULL column is given."""

    def __init__(self, model, fields: tuple[str, ...]) -> None:
        self.model, self.fields = model, fields
        unnamed = [f for f in model._meta.concrete_fields  # (a generated column is the database's to fill)
                   if not f.null and not f.generated and f.name not in fields]
        # A column added since this was written takes its default, if it has one (a trigger may
        # keep it, as on_sim is kept); one without a default stops the seed here, not mid-COPY.
        if missing := [f.name for f in unnamed if not f.has_default()]:
            raise SystemExit(f"bench/seed_world.py does not fill {model._meta.label}.{', '.join(missing)}: add it")
        self.columns = [model._meta.get_field(name).column for name in fields] + [f.column for f in unnamed]
        self.defaults = tuple(json.dumps(f.get_default()) if isinstance(f, JSONField) else f.get_default()
                              for f in unnamed)
        if unnamed:
            print(f"  ({model._meta.label}: {', '.join(f.name for f in unnamed)} left to its default)")
        self.rows: list[tuple] = []

    def write(self, cursor, postgres: bool) -> int:
        """Insert the rows collected (COPY on PostgreSQL, executemany on SQLite) and forget them."""
        table = self.model._meta.db_table
        columns = ", ".join(f'"{c}"' for c in self.columns)
        if self.defaults:
            self.rows = [row + self.defaults for row in self.rows]
        if postgres:
            with cursor.copy(f'COPY "{table}" ({columns}) FROM STDIN') as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(self.columns))
            cursor.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', self.rows)  # noqa: S608
        written, self.rows = len(self.rows), []
        return written


@contextmanager
def bare_tables(tables: list[str]) -> Iterator[None]:
    """Load into tables without their secondary indexes, then make each again from its own
    definition (as the migrations left it): one sort per index instead of a random insert per
    row and index. Primary keys and UNIQUE constraints stay; so do triggers (they keep counts)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
                           "AND tablename = ANY(%s) AND indexname NOT IN (SELECT conname FROM pg_constraint)",
                           [tables])
        else:  # the indexes of UNIQUE constraints have no `sql` and cannot be dropped
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                           "AND tbl_name IN (SELECT value FROM json_each(%s))", [json.dumps(tables)])
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:  # even after a failure: the database keeps its indexes
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for _, definition in indexes:
                cursor.execute(definition)
        print(f"  {len(indexes)} indexes made again in {time.perf_counter() - started:.1f} s", flush=True)
