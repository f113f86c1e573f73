"""The webhooks side of the worker: lanes of the follower (ops.worker) that fan new events out
and send deliveries, and a single pass of both for operators and tests.

Deliveries are a lane of the follower rather than a task of their own: the follower already
claims, leases and runs steps with a time budget. They never take one of aql's calls at once (a
session of their own, outside aql's gate), and at most WEBHOOKS_AT_ONCE of the follower's places
wait for integrators at once, so a slow or dead receiver cannot hold up the gateway work; their
lane comes after the requests and orders lanes, which are served first.
"""

import threading
import time

from django.conf import settings

from hooks import services
from ops.heartbeat import heartbeat
from ops.pipeline import Lane, Running, claim_margin
from ops.worker import by_hand, in_batches, register

PRUNE_EVERY = 600  # seconds between pruning steps in one process


class _FanOut:
    """A step fans out up to FAN_OUT_AT_MOST new events at once (a database write, no call out)."""

    def __init__(self) -> None:
        self.lock, self.busy = threading.Lock(), False

    def take(self, n: int) -> list[int]:
        with self.lock:
            if self.busy or not services.events_waiting():
                return []
            self.busy = True
            return [0]

    def step(self, _: int) -> None:
        try:
            services.events_fan_out(lease=claim_margin())
        finally:
            with self.lock:
                self.busy = False


class _Deliveries:
    """Deliveries due, at most WEBHOOKS_AT_ONCE of them running in this process."""

    def __init__(self) -> None:
        self.running = Running()

    def take(self, n: int) -> list[int]:
        def choose(running: set[int]) -> list[int]:
            room = min(n, settings.WEBHOOKS_AT_ONCE - len(running))
            return services.deliveries_claim_due(limit=room, lease=claim_margin()) if room > 0 else []

        return self.running.take(choose)

    def step(self, pk: int) -> None:
        self.running.run(lambda pk: services.delivery_send(delivery_id=pk), pk)


class _Prune:
    """Delivered deliveries and their events older than WEBHOOKS_KEPT_DAYS, a little at a time."""

    def __init__(self) -> None:
        self.at, self.lock = 0.0, threading.Lock()

    def take(self, n: int) -> list[int]:
        with self.lock:
            if not settings.WEBHOOKS_KEPT_DAYS or time.monotonic() < self.at:
                return []
            self.at = time.monotonic() + PRUNE_EVERY
            return [0]

    @staticmethod
    def step(_: int) -> None:
        services.deliveries_prune(days=settings.WEBHOOKS_KEPT_DAYS)


FAN_OUT, DELIVERIES, PRUNE = _FanOut(), _Deliveries(), _Prune()


def register_lanes() -> None:
    """Give the follower the webhooks' work: fan-out (quick, no call out) early, deliveries after
    the gateway's requests and orders, pruning last."""
    register(Lane("webhook-events", 5, FAN_OUT.take, FAN_OUT.step))
    register(Lane("webhooks", 30, DELIVERIES.take, DELIVERIES.step))
    register(Lane("webhook-prune", 95, PRUNE.take, PRUNE.step))


def deliver_pass() -> int | None:
    """Fan out new events and send every delivery that is due, now. Returns how many deliveries
    were tried, or None while the worker's follower is running (it sends them itself)."""
    def run() -> int:
        in_batches(FAN_OUT.take, FAN_OUT.step)
        done = in_batches(DELIVERIES.take, DELIVERIES.step)
        heartbeat(name="webhooks")
        return done

    return by_hand(run)
