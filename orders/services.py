"""Every write to despatch orders and stock. Views, admin, CLI and tasks call these only.

Submitting follows the SIM journal's rule: the order is recorded as submitted and committed
before aql is called, so a timeout leaves an order we can query by its reference, and it is
never sent twice: only staff, seeing aql has no record of it, submit it again. Every change of
state is a step of `orders.lifecycle.OrderStep`.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone

from aql.codes import DESPATCH_INSUFFICIENT_SIMS, DESPATCH_UNDEFINED_ERROR, Code
from aql.despatch import OrderStatus
from aql.http import GatewayError, GatewayRejected
from common import events, validators
from common.actors import Actor, recorded
from common.audit import ERASED, name_of
from common.errors import Refused
from common.events import EventKind
from common.models import AuditAction, AuditEvent
from common.transitions import Transition
from ops import gateway
from ops.leases import claim_due
from ops.logs import said
from orders import selectors
from orders.lifecycle import OPEN, OrderState, OrderStep, submit_refusal
from orders.models import DespatchOrder, OrderEvent, Product, StockLevel
from sims import services as sim_services
from sims.models import Sim

logger = logging.getLogger(__name__)
# That many "no record" answers in a row before an order whose despatch got no answer counts as not placed.
NOT_PLACED_AFTER = 3


def cleaned_recipient(*, name: str, company: str, address: str, postcode: str, contact_no: str) -> dict[str, str]:
    """Every field checked before anything is sent: aql's '2 Missing parameters' never tells staff."""
    v = validators
    fields = v.clean_all(name=(v.clean_name, name), company=(v.clean_company, company),
                         address=(v.clean_address, address), postcode=(v.clean_postcode, postcode),
                         contact_no=(v.clean_contact_number, contact_no))
    # aql lists `company` among a despatch's fields without calling it optional: a private
    # customer's order carries the recipient's name there rather than nothing.
    fields["company"] = fields["company"] or fields["name"]
    return fields


def order_create(*, actor: Actor, name: str, company: str, address: str, postcode: str,
                 contact_no: str) -> DespatchOrder:
    """Record a draft order for a SIM to be posted to this recipient. Nothing is sent yet."""
    fields = cleaned_recipient(name=name, company=company, address=address, postcode=postcode,
                               contact_no=contact_no)
    with transaction.atomic():
        return _draft(actor, "Order created.", **fields)


def _draft(actor: Actor, said: str, **fields: Any) -> DespatchOrder:
    """A new order, by `actor`, and its first line in the trail (never the recipient's details:
    the trail must outlive their erasure)."""
    order = DespatchOrder.objects.create(created_by=recorded(actor), created_by_name=name_of(actor), **fields)
    _event(order, actor, "", said)
    return order


def order_correct(*, order_id: int, actor: Actor, **recipient: str) -> DespatchOrder:
    """Correct the recipient of an order not yet with aql (a draft, or one aql refused), checked as
    a new order is; the change goes in the order's trail, without the details themselves."""
    fields = cleaned_recipient(**recipient)
    with transaction.atomic():
        order = DespatchOrder.objects.select_for_update().get(pk=order_id)
        if submit_refusal(order.state, order.order_ref):
            raise Refused(f"Order {order.order_ref} is with aql: what was sent stays as sent.")
        for field, value in fields.items():
            setattr(order, field, value)
        order.save()
        _event(order, actor, order.state, "Recipient corrected.")
    return order


def recipients_erase_expired(*, days: int) -> int:
    """Erase the recipient of every order that did not become a SIM (cancelled, failed, not placed,
    or a draft) and was last touched more than `days` ago: the retention setting's rule for what a
    SIM's erasure cannot reach. An order that became a SIM goes with the SIM's subscriber. Each is
    recorded in the order's trail, by the system account."""
    cutoff = timezone.now() - timedelta(days=days)
    done = (OrderState.CANCELLED, OrderState.FAILED, OrderState.NOT_PLACED, OrderState.DRAFT)
    due = DespatchOrder.objects.filter(state__in=done, sim__isnull=True, created_at__lt=cutoff).exclude(name=ERASED)
    erased = 0
    for order in due.iterator():
        with transaction.atomic():
            DespatchOrder.objects.filter(pk=order.pk).erase_recipients()
            _event(order, None, order.state, "The recipient's personal details were erased (retention).")
        erased += 1
    return erased


def order_place_again(*, order_id: int, actor: Actor) -> DespatchOrder:
    """Place an order aql never placed again, as a new order with a reference of its own (the old
    reference is never sent twice). Only once it is "not placed", after the settle window."""
    with transaction.atomic():
        old = DespatchOrder.objects.select_for_update().get(pk=order_id)
        if old.state != OrderState.NOT_PLACED:
            raise Refused(f"Order {old.order_ref} is {old.get_state_display().lower()}: only an order aql never "
                          "placed can be placed again.")
        if DespatchOrder.objects.filter(replaces=old).exists():
            raise Refused(f"Order {old.order_ref} has been placed again already.")
        new = _draft(actor, f"Order created to place order {old.order_ref} again.", replaces=old, name=old.name,
                     company=old.company, address=old.address, postcode=old.postcode, contact_no=old.contact_no)
    return order_submit(order_id=new.pk, actor=actor)


def order_submit(*, order_id: int, actor: Actor) -> DespatchOrder:
    """Send a draft (or failed) order to aql. Recorded as submitted before the call."""
    with transaction.atomic():
        order = DespatchOrder.objects.select_for_update().get(pk=order_id)
        why = submit_refusal(order.state, order.order_ref)
        if why:
            raise Refused(why)
        order.state, order.reason, order.submitted_at = OrderState.SUBMITTED, "", timezone.now()
        # If aql's answer is lost, the worker asks aql about this reference after a while.
        order.next_check_at = timezone.now() + timedelta(seconds=settings.AQL_ORDER_CHECK_INTERVAL)
        before = DespatchOrder.objects.filter(pk=order.pk).values_list("state", flat=True).get()
        order.save()
        _event(order, actor, before, "Sent to aql.")
    try:
        # An order saved before company was filled in for private customers: the name goes there too.
        gateway.despatch_client().despatch(order_ref=order.order_ref, name=order.name,
                                           company=order.company or order.name,
                                           address=order.address, postcode=order.postcode,
                                           contact_no=order.contact_no)
    except GatewayRejected as exc:
        code = exc.codes[0]
        if not code.uncertain:
            # Out of stock: keep it as a draft to send when stock arrives. Anything else: failed.
            state = OrderState.DRAFT if code.code == DESPATCH_INSUFFICIENT_SIMS else OrderState.FAILED
            return _update(order.pk, OrderStep.ANSWER, actor=actor, state=state, reason=str(code), next_check_at=None)
        unclear = logged = str(code)  # 9, aql's catch-all: it may have taken the order all the same
    except GatewayError as exc:
        unclear = str(exc)
        logged = said(exc)  # not the reply's body: it may echo the recipient
    else:
        return _update(order.pk, OrderStep.ANSWER, actor=actor, state=OrderState.PROCESSING, reason="")
    logger.warning("despatch %s: outcome unknown: %s", order.order_ref, logged)
    return _update(order.pk, OrderStep.ANSWER, actor=actor,
                   reason=f"No clear answer from aql ({unclear}). aql may have taken the order. It will be checked, "
                          "not resent.")


def order_despatch(*, actor: Actor, **recipient: str) -> DespatchOrder:
    """Create an order and send it at once (the form's and the CLI's one step)."""
    return order_submit(order_id=order_create(actor=actor, **recipient).pk, actor=actor)


def _update(order_id: int, step: Transition, decide: Callable[[DespatchOrder], dict] | None = None, *,
            actor: Actor, **changes: Any) -> DespatchOrder:
    """Change an order re-read under lock, if it is still where `step` starts: the page, admin and
    the worker may refresh one order at once, and only the first answer counts. `decide` works
    out changes from the order as it is now, under the lock. A change of state or of aql's last
    word goes in the order's trail."""
    with transaction.atomic():
        order = DespatchOrder.objects.select_for_update().get(pk=order_id)
        if step.allows(order.state):
            before, said = order.state, order.reason
            for field, value in {**changes, **(decide(order) if decide else {})}.items():
                setattr(order, field, value)
            step.check(before, order.state)
            order.save()
            if (order.state, order.reason) != (before, said):
                _event(order, actor, before, order.reason or f"{order.get_state_display()}.")
            if order.state == OrderState.DESPATCHED and before != OrderState.DESPATCHED:
                # Told in this transaction (the outbox); never the recipient's details.
                events.emit(EventKind.ORDER_DESPATCHED, {
                    "order_ref": order.order_ref, "state": order.state, "iccid": order.iccid or None,
                    "sim_id": order.sim_id, "url": events.order_url(order.order_ref)})
    return order


def _event(order: DespatchOrder, actor: Actor, before: str, message: str) -> None:
    OrderEvent.objects.create(order=order, actor=recorded(actor), state_before=before, state_after=order.state,
                              message=message)


def order_refresh(*, order_id: int, actor: Actor) -> DespatchOrder:
    """Ask aql how an open order stands. Despatched: record the ICCID and the SIM it became."""
    order = DespatchOrder.objects.get(pk=order_id)
    if not OrderStep.REFRESH.allows(order.state):
        return order  # settled already
    try:
        found = gateway.despatch_client().query(order_ref=order.order_ref)
    except GatewayRejected as exc:
        code = exc.codes[0]
        if order.state == OrderState.SUBMITTED and code.code == DESPATCH_UNDEFINED_ERROR:
            return _no_record(order, code, actor)
        return _not_asked(_check_later(order, str(code), actor, answered=False), exc)
    except GatewayError as exc:
        return _not_asked(_check_later(order, str(exc), actor, answered=False), exc)
    if found.status == OrderStatus.PROCESSING:
        return _check_later(order, "", actor, state=OrderState.PROCESSING)
    if found.status == OrderStatus.CANCELLED:
        return _update(order.pk, OrderStep.REFRESH, actor=actor, state=OrderState.CANCELLED, settled_at=timezone.now(),
                       next_check_at=None, reason="aql cancelled the order.")
    return _despatched(order.pk, found.iccid or "", actor)


def _not_asked(order: DespatchOrder, exc: GatewayError) -> DespatchOrder:
    """The order as it stands, marked (not saved) as one aql could not be asked about this time:
    the outcome of this refresh is aql's refusal or silence, not the order's state."""
    order.not_asked = exc
    return order


def _check_later(order: DespatchOrder, reason: str, actor: Actor, *, answered: bool = True,
                 **changes: Any) -> DespatchOrder:
    later = timezone.now() + timedelta(seconds=settings.AQL_ORDER_CHECK_INTERVAL)
    if answered:
        changes.setdefault("misses", 0)  # a readable answer but "no record" breaks a run of them; silence does not
    return _update(order.pk, OrderStep.REFRESH, actor=actor, reason=reason, next_check_at=later, **changes)


def resubmit_after(order: DespatchOrder) -> datetime:
    """When an order whose despatch got no clear answer may be called "not placed": aql has had
    longer than it ever takes (AQL_SETTLE_WINDOW) to act on it."""
    return (order.submitted_at or order.created_at) + timedelta(seconds=settings.AQL_SETTLE_WINDOW)


def _no_record(order: DespatchOrder, code: Code, actor: Actor) -> DespatchOrder:
    """aql says it has no record of an order whose despatch got no clear answer. 9 is also aql's
    catch-all error, and an order may take aql a while to record: a "no record" counts only if it
    comes at least AQL_ORDER_CHECK_INTERVAL after the last one counted (never a click on Refresh),
    and the order is "not placed" only after several, once the settle window has passed."""

    def decide(order: DespatchOrder) -> dict[str, Any]:  # as it is now, under the lock
        now = timezone.now()
        spaced = order.last_miss_at is None or now - order.last_miss_at >= timedelta(
            seconds=settings.AQL_ORDER_CHECK_INTERVAL)
        counted = {"misses": order.misses + 1, "last_miss_at": now} if spaced else {}
        if order.misses + bool(spaced) >= NOT_PLACED_AFTER and now >= resubmit_after(order):
            return {**counted, "state": OrderState.NOT_PLACED, "next_check_at": None, "settled_at": now,
                    "reason": f"aql has had no record of this order since it was sent ({code}): it was not "
                              "placed. Place it again if it is still wanted."}
        until = timezone.localtime(resubmit_after(order))
        return {**counted, "next_check_at": now + timedelta(seconds=settings.AQL_ORDER_CHECK_INTERVAL),
                "reason": f"aql has no record of this order yet ({code}). It may still be taken: it is checked "
                          f"again until {until:%d %b %H:%M}."}

    return _update(order.pk, OrderStep.NO_RECORD, decide, actor=actor)


def _despatched(order_id: int, iccid: str, actor: Actor) -> DespatchOrder:
    """The order left aql with this SIM: it joins our SIMs (unused, unless aql says otherwise)."""
    despatched = {"state": OrderState.DESPATCHED, "settled_at": timezone.now(), "next_check_at": None}
    try:
        iccid = validators.clean_iccid(iccid)
    except ValidationError:
        return _update(order_id, OrderStep.REFRESH, actor=actor, iccid=iccid, **despatched,
                       reason=f"aql gave '{iccid}', which is not an ICCID: check with aql.")
    with transaction.atomic():
        sim_services.sim_add(iccids=[iccid], actor=actor)
        sim = Sim.objects.get(iccid=iccid)
        order = _update(order_id, OrderStep.REFRESH, actor=actor, iccid=iccid, sim=sim, reason="", **despatched)
    sim_services.sim_query(sim_id=sim.pk, actor=actor)  # our record of the new SIM follows aql's
    return order


def order_claim_due(*, limit: int, lease: float) -> list[int]:
    """Open orders whose next check has come, claimed for this worker."""
    return claim_due(DespatchOrder.objects.filter(state__in=OPEN), field="next_check_at", limit=limit, lease=lease)


def product_threshold_set(*, code: str, threshold: int | None, actor: Actor) -> Product:
    """Set the stock level below which staff are warned for a product code (None: never warn).
    Recorded in the audit trail."""
    if threshold is not None and threshold < 0:
        raise ValidationError({"threshold": ["A threshold is a number of SIMs: 0 or more."]})
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(code=code).first()
        if product is None:
            raise Refused(f"No product code {code}: check stock with aql first.")
        was, product.low_stock_threshold = product.low_stock_threshold, threshold
        product.save(update_fields=["low_stock_threshold"])
        AuditEvent.objects.create(actor=recorded(actor), action=AuditAction.CHANGED, subject=f"product {code}",
                                  message=f"Warning threshold for {code}: {_threshold_words(was)} -> "
                                          f"{_threshold_words(threshold)}.")
    return product


def _threshold_words(threshold: int | None) -> str:
    return "none" if threshold is None else f"below {threshold:,}"


def stock_refresh() -> list[StockLevel]:
    """Ask aql for stock per product code and keep the answer as a snapshot; flag codes under threshold."""
    lines = gateway.despatch_client().check_stock()
    now = timezone.now()
    with transaction.atomic():
        products = {p.code: p for p in Product.objects.filter(code__in=[line.product_code for line in lines])}
        missing = [Product(code=line.product_code) for line in lines if line.product_code not in products]
        for product in Product.objects.bulk_create(missing):
            products[product.code] = product
        levels = []
        for line in lines:
            product = products[line.product_code]
            low = product.low_stock_threshold is not None and line.quantity < product.low_stock_threshold
            levels.append(StockLevel(product=product, quantity=line.quantity, low=low, checked_at=now))
        _tell_newly_low(levels)
        levels = StockLevel.objects.bulk_create(levels)
    try:  # after the snapshot's transaction (on SQLite it holds the one write lock); the snapshot is kept
        keep_trends()  # whatever becomes of its sparkline, which the pages then work out themselves
    except DatabaseError:
        logger.warning("stock trends not kept", exc_info=True)
    return levels


def keep_trends() -> None:
    """Each product's sparkline of the last week kept with its newest snapshot, worked out once a snapshot
    here rather than by the pages that show it (the dashboard, the stock page); the snapshot before it
    gives its own up (only the newest is read: a year of them kept would be 400 MB)."""
    trends = selectors.trends_to_keep()
    changed = []
    for product in Product.objects.all():  # a few product codes: a query each
        newest, *before = StockLevel.objects.filter(product=product).order_by("-checked_at", "-pk")[:2] or [None]
        if newest is None:
            continue
        newest.trend = trends.get(product.code)
        changed += [newest, *(level for level in before if level.trend is not None)]
        for level in before:
            level.trend = None
    StockLevel.objects.bulk_update(changed, ["trend"])


def _tell_newly_low(levels: list[StockLevel]) -> None:
    """stock.low for each product that has just gone under its threshold (its last snapshot was not
    low, or there was none): told once when it happens, not every snapshot while it stays low."""
    for level in (level for level in levels if level.low):  # a few product codes: a query each
        was_low = (StockLevel.objects.filter(product=level.product).order_by("-checked_at", "-id")
                   .values_list("low", flat=True).first())
        if not was_low:
            events.emit(EventKind.STOCK_LOW, {
                "product_code": level.product.code, "quantity": level.quantity,
                "threshold": level.product.low_stock_threshold, "checked_at": level.checked_at.isoformat(),
                "url": events.STOCK_URL})
