"""The follower's pipeline: lanes of work and the steps taken from them, at most AQL_MAX_CONCURRENCY
calls to aql at once (the gate in ops.gateway), twice as many steps running, each step's failure
its own."""

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections

from ops import gateway
from ops.leases import Hold

logger = logging.getLogger(__name__)


def step_margin() -> float:
    # Longer than any one step can run: two calls to aql (an answer, then a services change's
    # removals), each up to its connect and read timeouts.
    return 4 * settings.AQL_TIMEOUT + 10


def claim_margin() -> float:
    """How long a lane claims a row for: a step taken may first wait for its turn at aql behind
    one round of other steps (the pipeline runs twice as many steps as calls), then run."""
    return 2 * step_margin()


@dataclass(frozen=True)
class Lane:
    """One kind of gateway work the follower does: `take(n)` claims up to n ids that are due now,
    `step(id)` does one of them (about one call to aql). Lanes with a lower `order` are served first."""

    name: str
    order: int
    take: Callable[[int], list[int]]
    step: Callable[[int], object]


class Running:
    """The ids a lane's steps are running in this process, so its `take` can leave them out or bound
    how many run at once: counted under a lock when taken, let go when the step ends, however it ends."""

    def __init__(self) -> None:
        self.lock, self.ids = threading.Lock(), set[int]()

    def take(self, choose: Callable[[set[int]], list[int]]) -> list[int]:
        """The ids `choose(running ids)` picks, now counted as running (one process's steps take in turn)."""
        with self.lock:
            ids = choose(self.ids)
            self.ids.update(ids)
            return ids

    def run(self, step: Callable[[int], object], pk: int) -> None:
        """`step(pk)`, then `pk` is no longer running (a failed step is let go too: it stays due)."""
        try:
            step(pk)
        finally:
            with self.lock:
                self.ids.discard(pk)


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


def run(lanes: list[Lane], *, going: Callable[[], bool], hold: Hold | None, every: float | None = None,
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
