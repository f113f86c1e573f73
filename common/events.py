"""The outbox writer: what a service calls, inside the transaction of its change, to tell
integrators about it (webhooks, in the hooks app, send it later).

Called visibly from the services, never from a signal. Written in the caller's transaction: an
event is committed with its change or rolled back with it, so none is lost and none describes a
change that did not happen. Payloads are thin (ids, ICCIDs, states, outcome words, error codes
with meanings, the API path of the resource): never a subscriber's or recipient's details.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from common.models import EventKind, OutboxEvent

__all__ = ["EventKind", "emit"]

# Keys that would carry a person's details: refused, so a careless payload fails in tests, not in
# an integrator's logs.
PERSONAL = frozenset({"name", "company", "address", "postcode", "contact_no", "contact_number", "subscriber",
                      "subname", "subaddress", "subpostcode", "subcontactno", "recipient", "imei"})


def _personal_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {k for k in value if k in PERSONAL} | {k for v in value.values() for k in _personal_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _personal_keys(v)}
    return set()


def emit(kind: EventKind | str, payload: dict[str, Any]) -> None:
    """Record that `kind` happened, with `payload`, in the caller's transaction (which must be
    open: an event outside one would go out even if the change it describes rolled back)."""
    kind = EventKind(kind)
    if found := _personal_keys(payload):
        raise ValueError(f"A {kind} event must not carry personal details: {sorted(found)}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("emit() belongs inside the transaction.atomic() of the change it describes")
    OutboxEvent.objects.create(kind=kind, payload=payload, fan_out_at=timezone.now())


# The API paths of the resources events are about (the REST API, /api/v1/).
def request_url(request_id: int) -> str:
    return f"/api/v1/requests/{request_id}"


def sim_url(iccid: str) -> str:
    return f"/api/v1/sims/{iccid}"


def batch_url(batch_id: int) -> str:
    return f"/api/v1/batches/{batch_id}"


def order_url(order_ref: str) -> str:
    return f"/api/v1/orders/{order_ref}"


STOCK_URL = "/api/v1/stock"
