"""Finding rows by part of a name without reading every row: a trigram index on each database
(PostgreSQL: pg_trgm's GIN index on UPPER(column), which serves Django's icontains; SQLite: an
FTS5 table with the trigram tokenizer beside the table, kept in step by triggers). The indexes
are made by migrations; see sims 0014 and orders 0009."""

from django.db import connection
from django.db.models import Model, Q
from django.db.models.expressions import RawSQL

TRIGRAM = 3  # a trigram index can narrow a search of at least this many letters


def fts_table(model: type[Model], column: str) -> str:
    """The SQLite FTS5 table that indexes `column` of `model` by trigrams."""
    return f"{model._meta.db_table}_{column}_fts"


def contains_q(model: type[Model], column: str, term: str) -> Q:
    """Rows of `model` whose `column` contains `term` (any case), through the trigram index when
    the term is long enough to use it; shorter terms find nothing (callers say to type more)."""
    if len(term) < TRIGRAM:
        return Q(pk__in=[])
    if connection.vendor != "sqlite" or "%" in term or "_" in term:
        return Q(**{f"{column}__icontains": term})  # PostgreSQL: the GIN index serves UPPER(col) LIKE
    # FTS5's trigram LIKE is case-insensitive, as icontains is.
    # The table and column are ours, never typed; the term is a parameter.
    sql = f'SELECT rowid FROM "{fts_table(model, column)}" WHERE "{column}" LIKE %s'  # noqa: S608
    return Q(pk__in=RawSQL(sql, (f"%{term}%",)))  # noqa: S611
