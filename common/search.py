"""Finding rows by part of a name without reading every row: a trigram index on each database
(PostgreSQL: pg_trgm's GIN index on UPPER(column), which serves Django's icontains; SQLite: an
FTS5 table with the trigram tokenizer beside the table, kept in step by triggers). The indexes
are made by migrations; see sims 0014 and orders 0009. A postcode, or its first half, is found
through the postcode column's own index (`postcode_start`, `prefix_q`)."""

import re

from django.db import connection
from django.db.models import Model, Q
from django.db.models.expressions import RawSQL

TRIGRAM = 3  # a trigram index can narrow a search of at least this many letters
# The start of a UK postcode as staff type it: its district ("G41"), its sector ("G41 5"), or all
# of it, with or without the space ("G41 5ZF", "G415ZF"): the outward code, then what there is of
# the inward one.
POSTCODE_START = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)(?: ?(\d[A-Z]{2})| (\d[A-Z]?))?$")


def fts_table(model: type[Model], column: str) -> str:
    """The SQLite FTS5 table that indexes `column` of `model` by trigrams."""
    return f"{model._meta.db_table}_{column}_fts"


def contains_q(model: type[Model], column: str, term: str, *, at_most: int | None = None) -> Q:
    """Rows of `model` whose `column` contains `term` (any case), through the trigram index when
    the term is long enough to use it; shorter terms find nothing (callers say to type more).
    `at_most`: a caller that looks at no more rows than this (the lowest ids) says so, and SQLite's
    index stops there: a surname 9,000 subscribers have took 10 ms to find them all, 0.5 ms for 201."""
    if len(term) < TRIGRAM:
        return Q(pk__in=[])
    if connection.vendor != "sqlite" or "%" in term or "_" in term:
        return Q(**{f"{column}__icontains": term})  # PostgreSQL: the GIN index serves UPPER(col) LIKE
    # The term as one phrase of its trigrams: the rows that contain it, any case (the tokenizer's), as
    # icontains. A third of the time of the same table's LIKE '%term%', which reads each candidate's text
    # again to check it (33 ms against 10 for a surname 9,000 of a million subscribers have).
    # The table and column are ours, never typed; the term is a parameter, quoted as FTS5 wants.
    sql = f'SELECT rowid FROM "{fts_table(model, column)}" WHERE "{column}" MATCH %s'  # noqa: S608
    if at_most is not None:
        sql += f" LIMIT {int(at_most)}"
    return Q(pk__in=RawSQL(sql, ('"' + term.replace('"', '""') + '"',)))  # noqa: S611


def postcode_start(typed: str) -> tuple[str, bool] | None:
    """The postcode, or the start of one, `typed` names, as clean_postcode stores it ("g41" ->
    "G41 ", "g41 5" -> "G41 5", "g415zf" -> "G41 5ZF"), and whether it is whole; None when it names
    none. A district ends with its space, so that G4 does not find G41."""
    match = POSTCODE_START.match(" ".join(typed.upper().split()))
    if not match:
        return None
    outward, inward, part = match.groups()
    return f"{outward} {inward or part or ''}", inward is not None


def prefix_q(field: str, prefix: str) -> Q:
    """Rows whose `field` starts with `prefix` (case as stored), through the column's own index.
    SQLite's LIKE ignores case, so no index serves it; its default collation compares bytes, so
    the range [prefix, prefix with its last character raised by one) is the same set, read from the
    index. PostgreSQL's LIKE 'x%' is served by the varchar_pattern_ops index Django makes beside a
    CharField's own (a range is not safe there: a non-C collation ignores spaces when it compares)."""
    if connection.vendor != "sqlite":
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix[:-1] + chr(ord(prefix[-1]) + 1)})
