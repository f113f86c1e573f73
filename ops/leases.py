"""Leases: a named lease one process holds at a time (across processes and machines), and claiming
due rows for a while, so two workers never take one row at once and a worker that dies only
delays what it held."""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from common.models import Lease


def claim_due(due: QuerySet, *, field: str, limit: int, lease: float) -> list[int]:
    """Claim up to `limit` rows of `due` (rows whose `field` time has come) for `lease` seconds.

    Claiming moves the row's `field` ahead, so two workers never take one row at once and a
    worker that dies mid-way only delays it. PostgreSQL skips rows another worker has
    locked. SQLite has one writer at a time, and its transactions here are IMMEDIATE
    (settings.DATABASES): this one holds the write lock from its read to its update, so
    nothing can take the rows in between (a conditional update a row cost 500 queries, 120 ms,
    a step of webhook events).
    """
    due = due.filter(**{f"{field}__lte": timezone.now()}).order_by(field)
    until = timezone.now() + timedelta(seconds=lease)
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        due.model.objects.filter(pk__in=ids).update(**{field: until})
        return ids


@dataclass
class Hold:
    """A lease taken by `take_lease` or `alone`: true when it was got; `renew` keeps it while the
    work goes on, `let_go` gives it up."""

    name: str
    holder: str
    got: bool
    ends: float = 0.0  # when the lease as last written runs out (time.monotonic())

    def __bool__(self) -> bool:
        return self.got

    def renew(self, seconds: float) -> None:
        """Hold it `seconds` from now: written only when what was written last would end more than a
        few seconds sooner, so an idle look stays a read."""
        if self.ends - time.monotonic() > seconds - min(5.0, seconds / 2):
            return
        self.ends = time.monotonic() + seconds
        until = timezone.now() + timedelta(seconds=seconds)
        if not Lease.objects.filter(name=self.name, holder=self.holder).update(until=until):
            self.got = False  # it ran out and another took it: no new work is taken under it (see _pipeline)

    def let_go(self) -> None:
        if self.got:  # only our own hold: one that ran out may have been taken by another since
            Lease.objects.filter(name=self.name, holder=self.holder).update(until=timezone.now())


def take_lease(name: str, *, seconds: float, wait: float = 0.0, every: float = 1.0) -> Hold:
    """The lease `name` for `seconds`, if no other process (on this machine or another) holds it;
    tried again every `every` seconds for up to `wait`. A holder that dies only delays the next
    one until its lease runs out."""
    holder, deadline, made = uuid.uuid4().hex, time.monotonic() + wait, False
    while True:
        now, started = timezone.now(), time.monotonic()  # the lease runs from here, however long the write waits
        until = now + timedelta(seconds=seconds)
        got = Lease.objects.filter(name=name, until__lte=now).update(holder=holder, until=until)
        if not got and not made:  # held, or its row not made yet (the first take ever): made, and tried again
            Lease.objects.get_or_create(name=name, defaults={"holder": "", "until": now})
            made = True
            continue
        if got or time.monotonic() + every > deadline:
            return Hold(name, holder, bool(got), ends=started + seconds if got else 0.0)
        time.sleep(every)


@contextmanager
def alone(name: str, *, seconds: float) -> Iterator[Hold]:
    """Hold the lease `name` (see `take_lease`) while the block runs; the Hold is false when
    another holds it. Let go on leaving."""
    hold = take_lease(name, seconds=seconds)
    try:
        yield hold
    finally:
        hold.let_go()
