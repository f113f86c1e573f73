"""The orders side of the worker: its lanes of gateway work (open orders, stock) for the follower
in `ops.worker`, single passes of each for operators and tests, and the daily erasure."""

import threading
import time
from datetime import timedelta

from django.utils import timezone

from ops.heartbeat import heartbeat, last_pass
from ops.pipeline import Lane, claim_margin
from ops.worker import by_hand, in_batches, register, retention_pass
from orders import services

ERASE_RECIPIENTS = "orders.tasks.erase_expired_pass"
SCHEDULES = {ERASE_RECIPIENTS: 24 * 60}  # task -> every so many minutes (the gateway work is the follower's)
STOCK_EVERY = 15 * 60  # seconds between stock snapshots


def _take_orders(n: int) -> list[int]:
    """Open orders whose own next check has come (each every AQL_ORDER_CHECK_INTERVAL)."""
    return services.order_claim_due(limit=n, lease=claim_margin())


def _refresh_order(pk: int) -> None:
    services.order_refresh(order_id=pk, actor=None)


class _Stock:
    """The stock lane: a snapshot when the last is STOCK_EVERY seconds old. When it was is read
    from the database (at most every 30 s), so it holds whichever process follows."""

    def __init__(self) -> None:
        self.look_at, self.lock = 0.0, threading.Lock()

    def take(self, n: int) -> list[int]:
        with self.lock:
            if time.monotonic() < self.look_at:
                return []
            self.look_at = time.monotonic() + 30
            last = last_pass(name="stock")
            return [0] if last is None or timezone.now() - last >= timedelta(seconds=STOCK_EVERY) else []

    @staticmethod
    def step(_: int) -> None:
        _snapshot()


STOCK = _Stock()


def register_lanes() -> None:
    """Give the follower the orders side's gateway work, after the SIMs' requests."""
    register(Lane("orders", 10, _take_orders, _refresh_order))
    register(Lane("stock", 20, STOCK.take, STOCK.step))


def refresh_orders_pass() -> int | None:
    """Ask aql about every open order that is due, now. Returns how many were checked, or None
    while the worker's follower is running (it asks itself)."""
    def run() -> int:
        done = in_batches(_take_orders, _refresh_order)
        heartbeat(name="orders")
        return done

    return by_hand(run)


def _snapshot() -> int:
    levels = services.stock_refresh()
    heartbeat(name="stock")
    return len(levels)


def stock_pass() -> int | None:
    """Take a stock snapshot from aql now. Returns how many product codes it listed, or None while
    the worker's follower is running (it takes them itself)."""
    return by_hand(_snapshot)


def erase_expired_pass() -> int:
    """Erase the recipients of orders that never became SIMs, PERSONAL_DATA_RETENTION_DAYS after."""
    return retention_pass(name="erase-orders", erase=lambda days: services.recipients_erase_expired(days=days))
