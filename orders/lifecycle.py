"""A despatch order's states and the one table of how they change (`OrderStep`).

The services apply a step only to an order still in one of its sources, re-read under lock:
the page, admin and the worker may act on one order at once, and only the first counts.
"""

from django.db import models

from common.transitions import Transition


class OrderState(models.TextChoices):
    """Where a despatch order stands."""

    @property
    def colour(self) -> str:
        return ORDER_COLOURS[self]

    DRAFT = "draft", "Draft"  # not sent, or refused for lack of stock: can be submitted
    SUBMITTED = "submitted", "Submitting"  # recorded and sent; aql's answer not yet known
    PROCESSING = "processing", "Processing"  # aql has it, awaiting despatch
    DESPATCHED = "despatched", "Despatched"
    CANCELLED = "cancelled", "Cancelled"  # aql rejected the order
    FAILED = "failed", "Failed"  # aql refused it (see the reason): can be submitted again
    # aql had no record of it all through the settle window: it was never placed. It may be
    # placed again, as a new order with a reference of its own.
    NOT_PLACED = "not_placed", "Not placed"


ORDER_COLOURS = {OrderState.DRAFT: "grey", OrderState.SUBMITTED: "blue", OrderState.PROCESSING: "blue",
                 OrderState.DESPATCHED: "green", OrderState.CANCELLED: "red", OrderState.FAILED: "red",
                 OrderState.NOT_PLACED: "red"}
OPEN = (OrderState.SUBMITTED, OrderState.PROCESSING)  # the worker follows these
SUBMITTABLE = (OrderState.DRAFT, OrderState.FAILED)


def _step(name: str, source: set[OrderState], target: set[OrderState]) -> Transition:
    return Transition(name, frozenset(source), frozenset(target))


class OrderStep:
    """Every way an order changes state."""

    S = OrderState
    SUBMIT = _step("submitting", set(SUBMITTABLE), {S.SUBMITTED})
    # aql's answer to the despatch: taken (processing), out of stock (a draft again), refused,
    # or no clear answer (still submitted: it will be asked about by its reference).
    ANSWER = _step("the answer to a despatch", {S.SUBMITTED}, {S.PROCESSING, S.DRAFT, S.FAILED})
    REFRESH = _step("asking aql about it", set(OPEN), {S.PROCESSING, S.DESPATCHED, S.CANCELLED})
    # aql has no record of an order whose despatch got no clear answer: not placed, in the end.
    NO_RECORD = _step("aql having no record of it", {S.SUBMITTED}, {S.NOT_PLACED})


def submit_refusal(state: str, order_ref: str) -> str | None:
    """Why an order cannot be sent now, in staff's words; None when it can."""
    if OrderStep.SUBMIT.allows(state):
        return None
    return f"Order {order_ref} is {OrderState(state).label.lower()}: it cannot be sent again."
