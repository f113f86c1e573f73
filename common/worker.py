"""The plumbing of every worker pass: claiming due rows, bounded concurrency, a time budget,
the heartbeat, and the retention passes. The domain apps' tasks say what a step is; this says
how steps are run. (The schedules themselves are made by migrations.)

The scheduled passes find their work in the database (not in the queue), so a task lost with
a dead worker, or delivered twice, changes nothing: the next pass picks up what is due.
"""

import contextvars
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from common import audit
from common.models import Heartbeat, Lease

logger = logging.getLogger(__name__)

# A pass takes work a batch at a time (one gateway call per worker thread) and takes no new
# batch after PASS_BUDGET seconds. The worst batch is one call's connect and read timeouts,
# so a pass ends within PASS_BUDGET + 2 * AQL_TIMEOUT: inside the cluster's task timeout
# (240 s; settings.Q_CLUSTER) with the default AQL_TIMEOUT of 30 s.
PASS_BUDGET = 120


def claim_due(due: QuerySet, *, field: str, limit: int, lease: float) -> list[int]:
    """Claim up to `limit` rows of `due` (rows whose `field` time has come) for `lease` seconds.

    Claiming moves the row's `field` ahead, so two workers never take one row at once and a
    worker that dies mid-way only delays it. PostgreSQL skips rows another worker has
    locked; SQLite has one writer at a time, and each claim is a conditional update that
    takes the row only if it is still as it was read.
    """
    due = due.filter(**{f"{field}__lte": timezone.now()}).order_by(field)
    until = timezone.now() + timedelta(seconds=lease)
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            due.model.objects.filter(pk__in=ids).update(**{field: until})
            return ids
        candidates = list(due.values_list("pk", field)[:limit])
        return [pk for pk, seen in candidates
                if due.model.objects.filter(pk=pk, **{field: seen}).update(**{field: until})]


def _run(step: Callable[[int], object], pk: int) -> bool:
    try:
        step(pk)
        return True
    except Exception:  # one bad row must not stop the pass; it stays due and is retried
        logger.exception("worker step failed for %s", pk)
        return False


def _run_in_thread(step: Callable[[int], object], pk: int) -> bool:
    try:
        return _run(step, pk)
    finally:
        connection.close()  # each thread opened its own


def each_bounded(ids: Iterable[int], step: Callable[[int], object]) -> int:
    """Run `step` for each id with at most AQL_MAX_CONCURRENCY gateway calls at once (1: in this thread)."""
    if settings.AQL_MAX_CONCURRENCY <= 1:
        return sum(_run(step, pk) for pk in ids)
    context = contextvars.copy_context()  # each thread records through the same interface as the pass
    with ThreadPoolExecutor(max_workers=settings.AQL_MAX_CONCURRENCY) as pool:
        return sum(pool.map(lambda pk: context.copy().run(_run_in_thread, step, pk), ids))


def in_batches(take: Callable[[int], list[int]], step: Callable[[int], object], most: int | None = None) -> int:
    """Take ids a batch at a time and run `step` on each, until none is left, PASS_BUDGET has
    passed, or `most` have been done. Returns how many steps succeeded. What the steps record
    came through the worker."""
    with audit.via(audit.Interface.WORKER):
        return _in_batches(take, step, most)


def _in_batches(take: Callable[[int], list[int]], step: Callable[[int], object], most: int | None) -> int:
    started, done, taken = time.monotonic(), 0, 0
    while time.monotonic() - started < PASS_BUDGET and (most is None or taken < most):
        if (hold := _held.get()) is not None:
            hold.renew(step_margin())  # a pass run by hand keeps the follower's lease a batch at a time
        size = settings.AQL_MAX_CONCURRENCY if most is None else min(settings.AQL_MAX_CONCURRENCY, most - taken)
        ids = take(size)
        if not ids:
            break
        taken += len(ids)
        done += each_bounded(ids, step)
    return done


@dataclass
class Hold:
    """A lease taken by `alone`: true when it was got; `renew` keeps it while the work goes on."""

    name: str
    holder: str
    got: bool
    renewed: float = 0.0

    def __bool__(self) -> bool:
        return self.got

    def renew(self, seconds: float) -> None:
        """Hold it `seconds` from now (written at most every few seconds: an idle look stays a read)."""
        if time.monotonic() - self.renewed < 5:
            return
        self.renewed = time.monotonic()
        until = timezone.now() + timedelta(seconds=seconds)
        Lease.objects.filter(name=self.name, holder=self.holder).update(until=until)


@contextmanager
def alone(name: str, *, seconds: float) -> Iterator[Hold]:
    """Hold the lease `name` for `seconds` (longer by `renew`) while the block runs: the Hold is
    false when another process (on this machine or another) holds it. Let go on leaving; a
    holder that dies only delays the next one until its lease runs out."""
    now, holder = timezone.now(), uuid.uuid4().hex
    Lease.objects.get_or_create(name=name, defaults={"holder": "", "until": now})
    got = Lease.objects.filter(name=name, until__lte=now).update(
        holder=holder, until=now + timedelta(seconds=seconds))
    try:
        yield Hold(name, holder, bool(got))
    finally:
        if got:  # only our own hold: one that ran out may have been taken by another since
            Lease.objects.filter(name=name, holder=holder).update(until=timezone.now())


FOLLOWER = "follower"


def step_margin() -> float:
    # Longer than any one step can run: two calls to aql (an answer, then a services change's
    # removals), each up to its connect and read timeouts.
    return 4 * settings.AQL_TIMEOUT + 10


_held: contextvars.ContextVar["Hold | None"] = contextvars.ContextVar("held", default=None)


def by_hand(run: Callable[[], int]) -> int | None:
    """Run a single pass now (`manage.py poll --once`, tests) under the follower's lease, so it
    never adds calls to aql beside a running follower. None, and nothing run, while the worker's
    follower is running: it does this work itself. The lease is held a batch at a time, so a
    pass killed mid-way keeps the follower waiting only briefly."""
    with alone(FOLLOWER, seconds=step_margin()) as hold:
        if not hold:
            return None
        token = _held.set(hold)
        try:
            return run()
        finally:
            _held.reset(token)


@dataclass(frozen=True)
class Lane:
    """One kind of gateway work the follower does: `take(n)` claims up to n ids that are due now,
    `step(id)` does one of them (about one call to aql). Lanes with a lower `order` are served first."""

    name: str
    order: int
    take: Callable[[int], list[int]]
    step: Callable[[int], object]


LANES: dict[str, Lane] = {}  # registered by the apps in AppConfig.ready(): common imports none of them
FOLLOW_SPAN = 55  # seconds: a follower runs until just before the next is scheduled, a minute after it
LOOK_EVERY = 1  # seconds between looks when nothing is due: work is taken within this of its time
SCHEDULES = {"common.worker.follow_pass": 1}  # task -> every so many minutes


def register(lane: Lane) -> None:
    """Add a kind of gateway work to the follower (again: replaced, not doubled)."""
    LANES[lane.name] = lane


def follow_pass() -> int:
    """The worker's scheduled task (every minute): follow the gateway work for FOLLOW_SPAN seconds."""
    return follow(span=FOLLOW_SPAN)


def follow(*, span: float, every: float = LOOK_EVERY) -> int:
    """For `span` seconds keep up to AQL_MAX_CONCURRENCY calls to aql going, taking due work from
    the lanes, first lanes first, as each call ends (a steady pipeline, not batches in lockstep),
    and look again every `every` seconds when nothing is due (one query a lane).

    Every call the worker makes to aql goes through here, and one follower runs at a time (a
    lease, across processes and machines), so aql never sees more than AQL_MAX_CONCURRENCY calls
    at once from the worker, however many q workers there are. Returns how many steps succeeded;
    0 at once when another follower holds the lease."""
    # The lease is renewed at every look, so it outlives calls begun just before the span ends,
    # and runs out soon after a follower that died.
    with alone(FOLLOWER, seconds=step_margin()) as hold:
        if not hold:
            return 0
        heartbeat(name="poll")
        lanes = sorted(LANES.values(), key=lambda lane: lane.order)
        with audit.via(audit.Interface.WORKER):
            done = _pipeline(lanes, until=time.monotonic() + span, every=every, hold=hold)
        heartbeat(name="poll")
        return done


def _take(lanes: list[Lane], free: int) -> list[tuple[Lane, int]]:
    taken: list[tuple[Lane, int]] = []
    for lane in lanes:
        if len(taken) >= free:
            break
        taken += [(lane, pk) for pk in lane.take(free - len(taken))]
    return taken


def _pipeline(lanes: list[Lane], *, until: float, every: float, hold: Hold) -> int:
    slots, done = max(1, settings.AQL_MAX_CONCURRENCY), 0
    if slots == 1:  # one call at a time: in this thread (and, in tests, inside the test's transaction)
        while time.monotonic() < until:
            hold.renew(step_margin())
            taken = _take(lanes, 1)
            done += sum(_run(lane.step, pk) for lane, pk in taken)
            if not taken and time.monotonic() + every < until:
                time.sleep(every)
            elif not taken:
                break
        return done
    context = contextvars.copy_context()  # each thread records through the same interface as the follower
    with ThreadPoolExecutor(max_workers=slots) as pool:
        running: set[Future] = set()
        while True:
            hold.renew(step_margin())  # a small write every few seconds: the lease lasts while the follower does
            if time.monotonic() < until:
                running |= {pool.submit(context.copy().run, _run_in_thread, lane.step, pk)
                            for lane, pk in _take(lanes, slots - len(running))}
            if not running:
                if time.monotonic() + every >= until:
                    return done
                time.sleep(every)
                continue
            finished, running = wait(running, timeout=every, return_when=FIRST_COMPLETED)
            done += sum(f.result() for f in finished)


def heartbeat(*, name: str) -> None:
    """Record that a worker pass of this kind just finished."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})


def last_pass(*, name: str) -> datetime | None:
    """When a worker pass of this kind last finished, if ever."""
    return Heartbeat.objects.filter(name=name).values_list("at", flat=True).first()


# The follower beats at least once a minute; three minutes without one means no worker is running.
SILENT_AFTER = timedelta(minutes=3)
# django-q2's scheduler first runs about 30 s after a cluster starts: until the first pass, "starting".
STARTING_FOR = timedelta(minutes=2)


@dataclass(frozen=True)
class WorkerStatus:
    state: str  # "running", "starting" or "stopped"
    last_pass: datetime | None
    started: datetime | None


def worker_started(**_: object) -> None:
    """django-q2's post_spawn signal: a worker process of a cluster has just started."""
    heartbeat(name="start")


def worker_status() -> WorkerStatus:
    """Is the worker running (a polling pass lately), starting (a cluster started, no pass since)
    or stopped? The dashboard tells the three apart, so a fresh start is not an alarm."""
    beats = dict(Heartbeat.objects.filter(name__in=("poll", "start")).values_list("name", "at"))
    last, started, now = beats.get("poll"), beats.get("start"), timezone.now()
    if last and now - last <= SILENT_AFTER:
        state = "running"
    elif started and (last is None or started > last) and now - started <= STARTING_FOR:
        state = "starting"
    else:
        state = "stopped"
    return WorkerStatus(state, last, started)


def retention_pass(*, name: str, erase: Callable[[int], int]) -> int:
    """A daily erasure of personal data kept longer than PERSONAL_DATA_RETENTION_DAYS (nothing
    when it is not set): `erase(days)` does it and says how many. Recorded as the worker's."""
    days = settings.PERSONAL_DATA_RETENTION_DAYS
    if not days:
        return 0
    with audit.via(audit.Interface.WORKER):
        erased = erase(days)
    heartbeat(name=name)
    return erased
