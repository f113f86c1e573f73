"""The follower: one worker pass at a time (a lease) runs every lane of gateway work through the
pipeline; single passes by hand under the same lease; the retention passes. The domain apps'
tasks say what a step is (registered lanes); ops.pipeline says how steps are run, ops.leases how
work is claimed, ops.heartbeat what is recorded. (The schedules themselves are made by migrations.)

The scheduled passes find their work in the database (not in the queue), so a task lost with
a dead worker, or delivered twice, changes nothing: the next pass picks up what is due.
"""

import contextvars
import time
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from common import audit
from common.models import Lease
from ops import gateway, pipeline
from ops.heartbeat import answered_at, heartbeat
from ops.leases import Hold, alone, take_lease

# A pass by hand takes no new work after PASS_BUDGET seconds, then finishes the steps it began.
PASS_BUDGET = 120


def in_batches(take: Callable[[int], list[int]], step: Callable[[int], object], most: int | None = None) -> int:
    """Take ids and run `step` on each (at most AQL_MAX_CONCURRENCY calls to aql at once) until none
    is left, PASS_BUDGET has passed, or `most` have been taken: a single pass by hand, through the
    follower's pipeline.
    Returns how many steps succeeded. What the steps record came through the worker."""
    with audit.via(audit.Interface.WORKER):
        by_hand_lane = pipeline.Lane("by hand", 0, take, step)
        return pipeline.run([by_hand_lane], going=_Until(PASS_BUDGET), hold=_held.get(), most=most)


FOLLOWER = "follower"
IN_LINE = "follower-in-line"  # held by the next follower while it waits: the follower hands over
_held: contextvars.ContextVar["Hold | None"] = contextvars.ContextVar("held", default=None)


def by_hand(run: Callable[[], int]) -> int | None:
    """Run a single pass now (`manage.py poll --once`, tests) under the follower's lease, so it
    never adds calls to aql beside a running follower. None, and nothing run, while the worker's
    follower is running: it does this work itself. The lease is renewed as the pass goes, a
    step_margin() at a time, so a pass killed mid-way keeps the follower waiting only briefly."""
    with alone(FOLLOWER, seconds=pipeline.step_margin()) as hold:
        if not hold:
            return None
        token = _held.set(hold)
        try:
            return run()
        finally:
            _held.reset(token)


LANES: dict[str, pipeline.Lane] = {}  # registered by the apps in AppConfig.ready(): ops imports none of them
FOLLOW_SPAN = 55  # seconds: a follower runs at least until just before the next is scheduled, a minute after it
# ...and takes no new work after this long from its start (waiting in line included). The steps
# it began then end within 2 * step_margin(): inside the cluster's task timeout (settings.Q_CLUSTER;
# the check common.W002 says when AQL_TIMEOUT is too long for it).
FOLLOW_AT_MOST = 100
LOOK_EVERY = 1  # seconds between looks when nothing is due: work is taken within this of its time
SCHEDULES = {"ops.worker.follow_pass": 1}  # task -> every so many minutes


def register(lane: pipeline.Lane) -> None:
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
    hold = take_lease(FOLLOWER, seconds=pipeline.step_margin())
    if not hold and overtime:
        in_line = take_lease(IN_LINE, seconds=span + every)
        try:
            if in_line:
                hold = take_lease(FOLLOWER, seconds=pipeline.step_margin(), wait=span, every=every)
        finally:
            in_line.let_go()
    if not hold:
        return 0
    try:
        heartbeat(name="poll")
        lanes = sorted(LANES.values(), key=lambda lane: lane.order)
        with audit.via(audit.Interface.WORKER):
            done = pipeline.run(lanes, going=going, every=every, hold=hold)
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
