"""django-q2 entry points for orders and stock: thin and safe to run twice or at once."""

from django.conf import settings

from common.worker import heartbeat, in_batches
from orders import services

REFRESH_ORDERS = "orders.tasks.refresh_orders_pass"
REFRESH_STOCK = "orders.tasks.stock_pass"
SCHEDULES = {REFRESH_ORDERS: 10, REFRESH_STOCK: 15}  # task -> every so many minutes


def refresh_orders_pass() -> int:
    """Ask aql about every open order that is due. Returns how many were checked."""
    lease = settings.AQL_TIMEOUT * 2 + 10
    done = in_batches(lambda size: services.order_claim_due(limit=size, lease=lease),
                      lambda pk: services.order_refresh(order_id=pk, actor=None))
    heartbeat(name="orders")
    return done


def stock_pass() -> int:
    """Take a stock snapshot from aql. Returns how many product codes it listed."""
    levels = services.stock_refresh()
    heartbeat(name="stock")
    return len(levels)
