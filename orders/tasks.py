"""django-q2 entry points for orders and stock: thin and safe to run twice or at once."""

from django.conf import settings

from common.worker import heartbeat, in_batches, retention_pass
from orders import services

REFRESH_ORDERS = "orders.tasks.refresh_orders_pass"
REFRESH_STOCK = "orders.tasks.stock_pass"
ERASE_RECIPIENTS = "orders.tasks.erase_expired_pass"
# Orders are looked at every minute, each only once its own next check has come (an idle pass is
# one indexed query), so an order aql despatches is seen within AQL_ORDER_CHECK_INTERVAL.
SCHEDULES = {REFRESH_ORDERS: 1, REFRESH_STOCK: 15, ERASE_RECIPIENTS: 24 * 60}  # task -> every so many minutes


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


def erase_expired_pass() -> int:
    """Erase the recipients of orders that never became SIMs, PERSONAL_DATA_RETENTION_DAYS after."""
    return retention_pass(name="erase-orders", erase=lambda days: services.recipients_erase_expired(days=days))
