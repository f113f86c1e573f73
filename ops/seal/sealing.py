"""Sealing the audit trail: each sealed table's new rows join its hash chain, a link (a Seal row) per
chunk, without a lock on the tables being written.

Which rows are safe to seal (the horizon). Ids are not given in commit order on PostgreSQL: a
transaction takes its row's id from the sequence when it inserts, and may commit after another that
took a higher id later. Sealing everything below the highest id visible now could pass over a row
still in flight, which would then appear later inside a sealed range: a forgery, as `audit verify`
rightly reports any row that turns up there. Two ways out: ask the database for the lowest id any
open transaction holds (not portable, and not visible to us on SQLite or through a pooler), or seal
only what is old enough. We do the second:

    horizon = the highest id of a row written (`at`) more than AUDIT_SEAL_MARGIN seconds ago.

Every id at or below the horizon was taken before that row's id was, so by a transaction that was
already open more than the margin ago. Transactions that write events last seconds (the margin is
minutes: it covers the clocks of the machines that write `at`, too), so every such transaction has
committed, or rolled back for good, and the rows below the horizon are all that will ever be
there. Rows above it wait for a later pass: nothing is skipped, since the next link starts where
this one ended. Any row that does turn up below a sealed horizon later is then reported by verify
("inserted"), and an id sealed as present that is gone is reported ("missing"): the gaps are
re-checked every time the trail is verified. On SQLite, with one writer at a time, ids do commit
in order; the rule holds all the same.

No lock: the pass reads committed rows and inserts its own Seal rows, one short transaction per
link. Two sealers at once cannot fork a chain: a link's (table, after_id) is unique, the second
insert fails and that sealer stops (the first carries on).
"""

from dataclasses import dataclass
from datetime import timedelta

import structlog
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ops.models import Seal
from ops.seal.canon import Table, chain, key_id, pack, seal_key, sealed_tables

logger = structlog.get_logger(__name__)
CHUNK = 5000  # rows a link: a link's entries are ~70 KB compressed; verify reads one link's rows per query


@dataclass
class Sealed:
    """What a pass sealed in one table."""

    label: str
    rows: int = 0
    links: int = 0
    upto: int = 0  # every id up to this one is sealed
    raced: bool = False  # another sealer was sealing this table at once: it carries on
    digest: str = ""  # the chain's head once sealed (kept apart, it shows the newest seals being deleted)


def horizon(table: Table, *, after: int, margin: float) -> int | None:
    """The highest id written more than `margin` seconds ago and above `after` (see the module's words),
    or None when there is none. Read from the top of the id index down: only a margin's rows are passed."""
    cutoff = timezone.now() - timedelta(seconds=margin)
    return (table.model._default_manager.filter(pk__gt=after, at__lt=cutoff).order_by("-pk")
            .values_list("pk", flat=True).first())


def head(label: str) -> Seal | None:
    """A table's last link."""
    return Seal.objects.filter(table=label).order_by("-last_id").defer("entries").first()


def sealed_upto(label: str) -> int:
    """Every row of the table `label` with an id up to this one is sealed (0: none yet). One query, for pages."""
    return Seal.objects.filter(table=label).order_by("-last_id").values_list("last_id", flat=True).first() or 0


def table_seal(table: Table, *, key: bytes, margin: float, chunk: int = CHUNK) -> Sealed:
    """Seal `table`'s rows up to its horizon, in links of `chunk` rows, each chained to the one before."""
    done = Sealed(table.label)
    last = head(table.label)
    after, previous = (last.last_id, last.digest) if last else (0, "")
    done.upto, done.digest = after, previous
    top = horizon(table, after=after, margin=margin)
    if top is None:
        return done
    kid = key_id(key)
    while rows := table.rows(after, top, limit=chunk):
        entries = [table.entry(key, row) for row in rows]
        first_id, last_id = rows[0][0], rows[-1][0]
        raw, stored = pack(entries)
        digest = chain(key, previous, label=table.label, after_id=after, last_id=last_id, raw=raw)
        try:
            with transaction.atomic():
                Seal.objects.create(table=table.label, after_id=after, first_id=first_id, last_id=last_id,
                                    count=len(entries), digest=digest, key_id=kid, entries=stored)
        except IntegrityError:
            done.raced = True
            return done
        done.rows, done.links, done.upto, done.digest = done.rows + len(entries), done.links + 1, last_id, digest
        after, previous = last_id, digest
    return done


def trail_seal(*, margin: float | None = None) -> list[Sealed]:
    """Seal every sealed table's rows written more than `margin` seconds ago (AUDIT_SEAL_MARGIN)."""
    key = seal_key()
    margin = settings.AUDIT_SEAL_MARGIN if margin is None else margin
    results = [table_seal(table, key=key, margin=margin) for table in sealed_tables()]
    for result in results:
        if result.rows:
            logger.info("audit trail sealed", table=result.label, rows=result.rows, upto=result.upto,
                        head=result.digest)
    return results


def seal_pass() -> int:
    """The worker's pass (every five minutes): seal what is old enough. Returns how many rows."""
    return sum(result.rows for result in trail_seal())
