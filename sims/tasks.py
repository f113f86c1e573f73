"""The SIM side of the worker: its lanes of gateway work (following requests, comparing SIMs
with aql) for the follower in `ops.worker`, single passes of each for operators and tests,
and the daily erasure. Thin, id-based, safe to run twice or at once.

The work is found in the journal (not in the queue), so a task lost with a dead worker, or
delivered twice, changes nothing: the next look picks up what is due.
"""

import math
import threading
import time

from django.conf import settings

from ops.heartbeat import heartbeat
from ops.pipeline import Lane, Running, claim_margin, step_margin
from ops.worker import by_hand, in_batches, register, retention_pass
from sims import selectors, services
from sims.services.imports import QUEUE_BUDGET

POLL_PASS = "sims.tasks.poll_pass"
ERASE_PASS = "sims.tasks.erase_expired_pass"
PRUNE_PASS = "sims.tasks.prune_checks_pass"
# task -> every so many minutes (the gateway work is the follower's)
SCHEDULES = {ERASE_PASS: 24 * 60, PRUNE_PASS: 10}
DRIFT_PASS_MINUTES = 10  # `drift_pass` by hand compares this many minutes' share of the drift rate
LOST_EVERY = 10  # seconds between looks for sends cut off mid-way
IDLE = 5  # seconds without a look: a lane's follower stopped (another process may follow next)


class _Requests:
    """The first lane: requests whose next check has come (checkstatus; queryiccid for unknown outcomes)."""

    def __init__(self) -> None:
        self.lost_looked = 0.0

    def take(self, n: int) -> list[int]:
        if time.monotonic() - self.lost_looked >= LOST_EVERY:
            self.lost_looked = time.monotonic()
            # A send left without an answer for much longer than any send takes (connect and read
            # timeouts, a wait for the database lock) was cut off: its outcome is unknown.
            services.request_mark_lost(older_than=settings.AQL_TIMEOUT * 4 + 60)
        return services.request_claim_due(limit=n, lease=claim_margin())

    @staticmethod
    def step(pk: int) -> None:
        services.request_poll(request_id=pk)


class _Drift:
    """The drift lane: SIMs compared with aql at the drift rate (selectors.drift_per_hour, looked up
    each minute; a token bucket: a steady rate, at most a minute's worth at once), those due a
    re-check first. Each SIM is marked taken before it is asked about (services.sims_take_for_drift)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tokens, self.at = 0.0, time.monotonic()
        self.per_hour, self.rated_at, self.rated_for = 0, 0.0, None

    def take(self, n: int) -> list[int]:
        asked = (settings.AQL_DRIFT_PER_HOUR, settings.AQL_DRIFT_FULL_PASS_HOURS)
        if time.monotonic() - self.rated_at >= 60 or asked != self.rated_for:
            self.per_hour, self.rated_at, self.rated_for = _drift_per_hour(), time.monotonic(), asked
        rate = self.per_hour / 3600
        with self.lock:
            now = time.monotonic()
            if now - self.at > IDLE:  # this process was not the follower meanwhile: earn nothing for that time
                self.tokens = 0.0
            self.tokens, self.at = min(self.tokens + (now - self.at) * rate, max(1.0, rate * 60)), now
            n = min(n, int(self.tokens))
            if n <= 0:  # nothing allowed yet: not even a query
                return []
            ids = services.sims_take_for_drift(limit=n)
            self.tokens -= len(ids)
            return ids

    @staticmethod
    def step(pk: int) -> None:
        services.sim_query(sim_id=pk, actor=None)


class _Scheduled:
    """The scheduled lane: suspends and reactivations whose time has come, each journalled to be
    sent (the requests lane sends it). No call to aql of its own. An action runs once whatever
    happens (schedule_run takes it under lock); those this process is running are not taken again,
    so they do not fill the pipeline's places meanwhile."""

    def __init__(self) -> None:
        self.running = Running()

    def take(self, n: int) -> list[int]:
        def choose(running: set[int]) -> list[int]:
            return [pk for pk in services.schedules_due(limit=n + len(running)) if pk not in running][:n]

        return self.running.take(choose)

    def step(self, pk: int) -> None:
        self.running.run(lambda pk: services.schedule_run(action_id=pk), pk)


class _Files:
    """The files lane: confirmed files of activations, queued some seconds at a time (each request
    journalled to be sent; no call to aql of its own). A file is claimed for the step, so one
    process queues it at a time; a step cut off leaves it due again from its last chunk. A step
    ends well within the time the pipeline allows any step (step_margin)."""

    @staticmethod
    def take(n: int) -> list[int]:
        return services.uploads_due(limit=min(n, 1), lease=claim_margin())

    @staticmethod
    def step(pk: int) -> None:
        services.activations_queue(upload_id=pk, budget=min(QUEUE_BUDGET, step_margin() / 2))


class _Adoptions:
    """The adoption lane: ICCIDs of SIMs already in use at aql, each asked about once (queryiccid),
    at the pipeline's rate like every call. A row is marked asked in the database when taken, before
    aql is asked, and never taken again: a restart goes on with those still waiting."""

    @staticmethod
    def take(n: int) -> list[int]:
        return services.adoption_rows_claim(limit=n)

    @staticmethod
    def step(pk: int) -> None:
        services.adoption_ask(row_id=pk)


def _drift_per_hour() -> int:
    return selectors.drift_per_hour(counts=selectors.state_counts())


REQUESTS, DRIFT, SCHEDULED, FILES, ADOPTIONS = _Requests(), _Drift(), _Scheduled(), _Files(), _Adoptions()


def register_lanes() -> None:
    """Give the follower the SIM side's gateway work: what is scheduled for now and files of
    activations first (they only journal), then requests, adoptions (staff's commands go first), drift
    last of all."""
    register(Lane("scheduled", 0, SCHEDULED.take, SCHEDULED.step))
    register(Lane("files", 0, FILES.take, FILES.step))
    register(Lane("requests", 1, REQUESTS.take, REQUESTS.step))
    register(Lane("adoptions", 50, ADOPTIONS.take, ADOPTIONS.step))
    register(Lane("drift", 90, DRIFT.take, DRIFT.step))


def poll_pass() -> int | None:
    """One pass over every request that is due, now (`manage.py poll --once`). Returns how many,
    or None when the worker's follower is running (it checks them itself)."""
    def run() -> int:
        REQUESTS.lost_looked = 0.0  # look for cut-off sends too
        in_batches(SCHEDULED.take, SCHEDULED.step)  # what is scheduled for now becomes a request to send
        in_batches(FILES.take, FILES.step)  # and confirmed files of activations, requests to send
        done = in_batches(REQUESTS.take, REQUESTS.step)
        heartbeat(name="poll")
        return done

    return by_hand(run)


def adopt_pass() -> int | None:
    """Ask aql about the ICCIDs of adoptions waiting to be asked, now (`manage.py sim adopt --wait`):
    for PASS_BUDGET seconds at most. Returns how many, or None while the worker's follower is running
    (it asks them itself)."""
    return by_hand(lambda: in_batches(ADOPTIONS.take, ADOPTIONS.step))


def drift_pass() -> int | None:
    """Compare a ten minutes' share of the drift rate's SIMs with aql now, those due a re-check first;
    differences are recorded, and ours follows aql. None while the worker's follower is running."""
    def run() -> int:
        share = math.ceil(_drift_per_hour() * DRIFT_PASS_MINUTES / 60)
        done = in_batches(lambda size: services.sims_take_for_drift(limit=size), DRIFT.step, most=share)
        heartbeat(name="drift")
        return done

    return by_hand(run)


def erase_expired_pass() -> int:
    """Erase the subscriber details of SIMs terminated longer ago than PERSONAL_DATA_RETENTION_DAYS."""
    return retention_pass(name="erase", erase=lambda days: services.subscribers_erase_expired(days=days))


def prune_checks_pass() -> int:
    """Delete the system's routine comparisons with aql that found nothing to change, once they are
    older than AQL_CHECKS_KEPT_DAYS (never when 0): every ten minutes, for at most half a minute,
    a little at a time (a backlog, as in a journal kept before this existed, goes over many passes).
    Also frees the numbers whose rest is over (so a rest lasts up to ten minutes longer, never shorter).
    Returns how many requests went."""
    days = settings.AQL_CHECKS_KEPT_DAYS
    pruned = services.checks_prune(days=days) if days else 0
    services.uploads_prune()  # and the CSV files left unconfirmed for a day
    services.number_rests_end_due()  # and the numbers whose rest is over go back to the free list
    heartbeat(name="prune")
    return pruned
