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
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import QuerySet
from django.utils import timezone

from common import audit
from common.models import Heartbeat, Lease
from ops import gateway

logger = logging.getLogger(__name__)

# A pass by hand takes no new work after PASS_BUDGET seconds, then finishes the steps it began.
PASS_BUDGET = 120


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


def in_batches(take: Callable[[int], list[int]], step: Callable[[int], object], most: int | None = None) -> int:
    """Take ids and run `step` on each (at most AQL_MAX_CONCURRENCY calls to aql at once) until none
    is left, PASS_BUDGET has passed, or `most` have been taken: a single pass by hand, through the
    follower's pipeline.
    Returns how many steps succeeded. What the steps record came through the worker."""
    with audit.via(audit.Interface.WORKER):
        return _pipeline([Lane("by hand", 0, take, step)], going=_Until(PASS_BUDGET), hold=_held.get(), most=most)


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


FOLLOWER = "follower"
IN_LINE = "follower-in-line"  # held by the next follower while it waits: the follower hands over


def step_margin() -> float:
    # Longer than any one step can run: two calls to aql (an answer, then a services change's
    # removals), each up to its connect and read timeouts.
    return 4 * settings.AQL_TIMEOUT + 10


def claim_margin() -> float:
    """How long a lane claims a row for: a step taken may first wait for its turn at aql behind
    one round of other steps (the pipeline runs twice as many steps as calls), then run."""
    return 2 * step_margin()


_held: contextvars.ContextVar["Hold | None"] = contextvars.ContextVar("held", default=None)


def by_hand(run: Callable[[], int]) -> int | None:
    """Run a single pass now (`manage.py poll --once`, tests) under the follower's lease, so it
    never adds calls to aql beside a running follower. None, and nothing run, while the worker's
    follower is running: it does this work itself. The lease is renewed as the pass goes, a
    step_margin() at a time, so a pass killed mid-way keeps the follower waiting only briefly."""
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
FOLLOW_SPAN = 55  # seconds: a follower runs at least until just before the next is scheduled, a minute after it
# ...and takes no new work after this long from its start (waiting in line included). The steps
# it began then end within 2 * step_margin(): inside the cluster's task timeout (settings.Q_CLUSTER;
# the check common.W002 says when AQL_TIMEOUT is too long for it).
FOLLOW_AT_MOST = 100
LOOK_EVERY = 1  # seconds between looks when nothing is due: work is taken within this of its time
SCHEDULES = {"ops.worker.follow_pass": 1}  # task -> every so many minutes


def register(lane: Lane) -> None:
    """Add a kind of gateway work to the follower (again: replaced, not doubled)."""
    LANES[lane.name] = lane


def follow_pass() -> int:
    """The worker's scheduled task (every minute): follow the gateway work for FOLLOW_SPAN seconds,
    then until the next follower is in line, at most FOLLOW_AT_MOST."""
    return follow(span=FOLLOW_SPAN, overtime=FOLLOW_AT_MOST - FOLLOW_SPAN)


def follow(*, span: float, every: float = LOOK_EVERY, overtime: float = 0.0) -> int:
    """For `span` seconds keep up to AQL_MAX_CONCURRENCY calls to aql going, taking due work from
    the lanes, first lanes first, as each call ends (a steady pipeline, not batches in lockstep),
    and look again every `every` seconds when nothing is due (one query a lane).

    Every call the worker makes to aql goes through here, and one follower runs at a time (a
    lease, across processes and machines), so aql never sees more than AQL_MAX_CONCURRENCY calls
    at once from the worker, however many q workers there are. Returns how many steps succeeded;
    0 when another follower holds the lease.

    With `overtime` (the scheduled follower) there is no gap between one follower and the next,
    although django-q2's scheduler starts each up to 30 s late: a follower that finds the lease
    held waits in line for it (one waits; any other returns at once), and the holder, its span
    over, goes on until one is in line or `overtime` more seconds have passed, then hands over."""
    # The lease is renewed at every look, so it outlives calls begun just before the end, and
    # runs out soon after a follower that died.
    going = _Until(span, overtime, every)  # from now: the wait in line counts
    hold = take_lease(FOLLOWER, seconds=step_margin())
    if not hold and overtime:
        in_line = take_lease(IN_LINE, seconds=span + every)
        try:
            if in_line:
                hold = take_lease(FOLLOWER, seconds=step_margin(), wait=span, every=every)
        finally:
            in_line.let_go()
    if not hold:
        return 0
    try:
        heartbeat(name="poll")
        lanes = sorted(LANES.values(), key=lambda lane: lane.order)
        with audit.via(audit.Interface.WORKER):
            done = _pipeline(lanes, going=going, every=every, hold=hold)
        heartbeat(name="poll")
        answered_at(gateway.last_answer())
        return done
    finally:
        hold.let_go()


class _Until:
    """A follower's time: `span` seconds, then until a follower is in line (looked for every
    `every` seconds), or `overtime` more seconds have passed."""

    def __init__(self, span: float, overtime: float = 0.0, every: float = LOOK_EVERY) -> None:
        self.start, self.span, self.overtime, self.every = time.monotonic(), span, overtime, every
        self.looked, self.in_line = 0.0, False

    def __call__(self) -> bool:
        now = time.monotonic() - self.start
        if now < self.span:
            return True
        if now >= self.span + self.overtime or self.in_line:
            return False
        if now - self.looked >= self.every:
            self.looked = now
            self.in_line = Lease.objects.filter(name=IN_LINE, until__gt=timezone.now()).exists()
        return not self.in_line


def _take(lanes: list[Lane], wanted: int) -> list[tuple[Lane, int]]:
    taken: list[tuple[Lane, int]] = []
    for lane in lanes:
        if len(taken) >= wanted:
            break
        taken += [(lane, pk) for pk in lane.take(wanted - len(taken))]
    return taken


def _run(step: Callable[[int], object], pk: int) -> bool:
    try:
        step(pk)
        return True
    except Exception:  # one bad row must not stop the pass; it stays due and is retried
        logger.exception("worker step failed for %s", pk)
        return False


class _Inline:
    """One call at a time: each step runs in the calling thread (and, in tests, inside the test's transaction)."""

    def submit(self, step: Callable[[int], object], pk: int) -> Future:
        future: Future = Future()
        future.set_result(_run(step, pk))
        return future

    def __enter__(self) -> "_Inline":
        return self

    def __exit__(self, *exc: object) -> None:
        pass


class _Threads(ThreadPoolExecutor):
    """Threads for the steps, each keeping one database connection from step to step (opening one
    a step cost more than the step's own queries), all closed when the pipeline ends. Each step
    records through the same interface as the pipeline's caller, and passes the same gate to aql
    (the context is copied)."""

    def __init__(self, slots: int) -> None:
        super().__init__(max_workers=slots)
        self.slots, self.context, self.opened = slots, contextvars.copy_context(), set()

    def submit(self, step: Callable[[int], object], pk: int) -> Future:  # type: ignore[override]
        return super().submit(self.context.copy().run, self._run, step, pk)

    def _run(self, step: Callable[[int], object], pk: int) -> bool:
        self.opened.add(connections[DEFAULT_DB_ALIAS])  # this thread's own
        if _run(step, pk):
            return True
        connection.close()  # the thread's next step starts on a fresh connection, whatever this one's state
        return False

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)  # every thread has finished
        for db in self.opened:
            db.inc_thread_sharing()  # closed from here, as its thread has ended
            try:
                db.close()
            except Exception:  # one that cannot be closed must not keep the others open
                logger.exception("closing a worker thread's database connection")
            finally:
                db.dec_thread_sharing()


def _pipeline(lanes: list[Lane], *, going: Callable[[], bool], hold: Hold | None, every: float | None = None,
              most: int | None = None) -> int:
    """Keep steps going, taking due work from `lanes` (first lanes first) as steps end, while
    `going()` (looked at least once); then finish the steps begun. When nothing is due: look again
    every `every` seconds, or with `every` None return. At most `most` ids are taken."""
    calls = max(1, settings.AQL_MAX_CONCURRENCY)
    # Twice as many steps as calls to aql at once: while some steps wait for aql, others read and
    # write the database, and the gate (gateway.at_most) still lets only `calls` reach aql at once.
    slots = 1 if calls == 1 else 2 * calls
    running: set[Future] = set()
    done = taken = looks = 0
    with gateway.at_most(calls), _Inline() if slots == 1 else _Threads(slots) as pool:
        while True:
            if hold is not None:
                hold.renew(step_margin())  # a small write every few seconds: the lease lasts while the work does
            free = slots - len(running)
            held = hold is None or bool(hold)
            if free and held and (not looks or going()) and (most is None or taken < most):
                looks += 1
                for lane, pk in _take(lanes, free if most is None else min(free, most - taken)):
                    running.add(pool.submit(lane.step, pk))
                    taken += 1
            if not running:
                if every is None or not held or not going():
                    return done
                time.sleep(every)
                continue
            finished, running = wait(running, timeout=every, return_when=FIRST_COMPLETED)
            done += sum(f.result() for f in finished)


def heartbeat(*, name: str) -> None:
    """Record that a worker pass of this kind just finished: one UPDATE (every pass pays it), the
    row made the first time."""
    now = timezone.now()
    if not Heartbeat.objects.filter(name=name).update(at=now):
        Heartbeat.objects.update_or_create(name=name, defaults={"at": now})


GATEWAY = "gateway"  # the heartbeat of aql's answers: /readyz's evidence that aql is reachable


def answered_at(at: datetime | None) -> None:
    """Record that aql answered the worker at `at` (after each follower's pass): never moved back,
    as another cluster's follower may have written a later answer."""
    if at is None:
        return
    if not Heartbeat.objects.filter(name=GATEWAY, at__lt=at).update(at=at):
        Heartbeat.objects.get_or_create(name=GATEWAY, defaults={"at": at})


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
