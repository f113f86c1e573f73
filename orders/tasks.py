"""django-q2 entry points for orders and stock: thin and safe to run twice or at once."""

import time

from django.conf import settings

from orders import services
from sims.services import heartbeat
from sims.tasks import PASS_BUDGET, each_bounded

REFRESH_ORDERS = "orders.tasks.refresh_orders_pass"
REFRESH_STOCK = "orders.tasks.stock_pass"
SCHEDULES = {REFRESH_ORDERS: 10, REFRESH_STOCK: 15}  # task -> every so many minutes


def refresh_orders_pass() -> int:
    """Ask aql about every open order that is due. Returns how many were checked."""
    started, done = time.monotonic(), 0
    lease = settings.AQL_TIMEOUT * 2 + 10
    while time.monotonic() - started < PASS_BUDGET:
        ids = services.order_claim_due(limit=settings.AQL_MAX_CONCURRENCY * 4, lease=lease)
        if not ids:
            break
        done += each_bounded(ids, lambda pk: services.order_refresh(order_id=pk))
    heartbeat(name="orders")
    return done


def stock_pass() -> int:
    """Take a stock snapshot from aql. Returns how many product codes it listed."""
    levels = services.stock_refresh()
    heartbeat(name="stock")
    return len(levels)
