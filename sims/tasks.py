"""django-q2 entry points for the SIM side: thin, id-based, safe to run twice or at once.

The scheduled passes find their work in the journal (not in the queue), so a task lost with
a dead worker, or delivered twice, changes nothing: the next pass picks up what is due.
"""

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection

from sims import services

logger = logging.getLogger(__name__)

POLL_PASS = "sims.tasks.poll_pass"
DRIFT_PASS = "sims.tasks.drift_pass"
# A pass takes work a batch at a time (one gateway call per worker thread) and takes no new
# batch after PASS_BUDGET seconds. The worst batch is one call's connect and read timeouts,
# so a pass ends within PASS_BUDGET + 2 * AQL_TIMEOUT: inside the cluster's task timeout
# (240 s; settings.Q_CLUSTER) with the default AQL_TIMEOUT of 30 s.
PASS_BUDGET = 120


def each_bounded(ids: Iterable[int], step: Callable[[int], object]) -> int:
    """Run `step` for each id with at most AQL_MAX_CONCURRENCY gateway calls at once (1: in this thread)."""

    def run(pk: int) -> bool:
        try:
            step(pk)
            return True
        except Exception:  # one bad request must not stop the pass; it stays due and is retried
            logger.exception("worker step failed for %s", pk)
            return False

    def run_in_thread(pk: int) -> bool:
        try:
            return run(pk)
        finally:
            connection.close()  # each thread opened its own

    if settings.AQL_MAX_CONCURRENCY <= 1:
        return sum(map(run, ids))
    with ThreadPoolExecutor(max_workers=settings.AQL_MAX_CONCURRENCY) as pool:
        return sum(pool.map(run_in_thread, ids))


def in_batches(take: Callable[[int], list[int]], step: Callable[[int], object], most: int | None = None) -> int:
    """Take ids a batch at a time and run `step` on each, until none is left, PASS_BUDGET has
    passed, or `most` have been done. Returns how many steps succeeded."""
    started, done, taken = time.monotonic(), 0, 0
    while time.monotonic() - started < PASS_BUDGET and (most is None or taken < most):
        size = settings.AQL_MAX_CONCURRENCY if most is None else min(settings.AQL_MAX_CONCURRENCY, most - taken)
        ids = take(size)
        if not ids:
            break
        taken += len(ids)
        done += each_bounded(ids, step)
    return done


def poll_pass() -> int:
    """Poll every request that is due (checkstatus; queryiccid for unknown outcomes). Returns how many."""
    lease = settings.AQL_TIMEOUT * 2 + 10  # longer than one poll can take: a dead worker's claim runs out soon
    # A send left without an answer for much longer than any send takes (connect and read
    # timeouts, a wait for the database lock) was cut off: its outcome is unknown.
    services.request_mark_lost(older_than=settings.AQL_TIMEOUT * 4 + 60)
    done = in_batches(lambda size: services.request_claim_due(limit=size, lease=lease),
                      lambda pk: services.request_poll(request_id=pk))
    services.heartbeat(name="poll")
    return done


def drift_pass() -> int:
    """Compare up to AQL_DRIFT_BATCH SIMs with aql (queryiccid); differences are recorded, ours follows aql."""
    seen: set[int] = set()

    def take(size: int) -> list[int]:  # the oldest-checked not yet taken in this pass
        ids = [pk for pk in services.sims_due_for_drift_check(limit=size + len(seen)) if pk not in seen][:size]
        seen.update(ids)
        return ids

    done = in_batches(take, lambda pk: services.sim_query(sim_id=pk, actor=None), most=settings.AQL_DRIFT_BATCH)
    services.heartbeat(name="drift")
    return done


SCHEDULES = {POLL_PASS: 1, DRIFT_PASS: 10}  # task -> every so many minutes


def ensure_schedules(schedule_model: type | None = None, schedules: dict[str, int] = SCHEDULES) -> None:
    """Create the worker's schedules, one of each however often this runs (a data migration calls it).

    `Schedule.name` is not unique in django-q2 and its own `schedule()` checks then inserts:
    update_or_create by name is what keeps it to one.
    """
    if schedule_model is None:
        from django_q.models import Schedule as schedule_model
    for func, minutes in schedules.items():
        schedule_model.objects.update_or_create(
            name=func, defaults={"func": func, "schedule_type": "I", "minutes": minutes, "repeats": -1})
