"""An order's outcome in words: the one place pages, admin and the CLI get them from."""

from django.contrib import messages

from common.errors import refusal_exit_code
from common.outcomes import Outcome
from orders.lifecycle import OrderState
from orders.models import DespatchOrder


def order_outcome(order: DespatchOrder) -> Outcome:
    """Where an order stands, with the SIM it became and aql's last word."""
    text = f"Order {order.order_ref}: {order.get_state_display().lower()}"
    if order.iccid:
        text += f", SIM {order.iccid}"
    text += "." + (f" {order.reason}" if order.reason else "")
    not_asked = getattr(order, "not_asked", None)  # a refresh aql refused or did not answer
    if not_asked is not None:
        return Outcome(messages.WARNING, f"{text} aql could not be asked just now: it will be asked again.",
                       refusal_exit_code(not_asked))
    match order.state:
        case OrderState.PROCESSING | OrderState.DESPATCHED:
            return Outcome.done(text)
        case OrderState.FAILED | OrderState.CANCELLED | OrderState.NOT_PLACED:
            return Outcome.refused(text)
        case OrderState.SUBMITTED:
            return Outcome.unknown(text)
    return Outcome.waiting(text)  # a draft: out of stock, or not sent yet
