"""The outbox (common.events): each event kind written by the service that makes the change, in its
transaction, and never carrying a person's details."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from common.events import EventKind, emit
from common.models import OutboxEvent
from orders import services as order_services
from orders import tasks as order_tasks
from orders.models import DespatchOrder, OrderState, Product
from sims import services, tasks
from sims.lifecycle import Command, RequestState, SimState
from sims.models import GatewayRequest, Sim
from tests.conftest import activation, iccid

pytestmark = pytest.mark.django_db

RECIPIENT = {"name": "John Smith", "company": "aql", "address": "11-15 Hunslet Road\nLeeds",
             "postcode": "ls101jq", "contact_no": "0113 320 3040"}
PERSONAL_WORDS = ("John Smith", "Ada Lovelace", "Hunslet", "LS10", "ls10", "3203040", "320 3040", "44113000")


def told(kind: str) -> list[dict]:
    return [e.payload for e in OutboxEvent.objects.filter(kind=kind).order_by("id")]


def due_now() -> None:
    GatewayRequest.objects.filter(state__in=(RequestState.PENDING, RequestState.UNKNOWN, RequestState.TO_SEND)
                                  ).update(next_poll_at=timezone.now() - timedelta(seconds=1))


def test_an_event_emitted_in_a_transaction_that_rolls_back_is_not_recorded(db):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        emit(EventKind.STOCK_LOW, {"product_code": "AQL-1"})
        1 / 0  # noqa: B018  the change fails after the event was written
    assert not OutboxEvent.objects.exists()
    with transaction.atomic():
        emit(EventKind.STOCK_LOW, {"product_code": "AQL-1"})
    assert OutboxEvent.objects.get().fan_out_at is not None  # due to be fanned out to subscriptions


def test_an_event_refuses_a_persons_details_and_wants_a_transaction(db):
    with pytest.raises(ValueError, match="personal details"), transaction.atomic():
        emit(EventKind.ORDER_DESPATCHED, {"order_ref": "MVN-1", "recipient": {"postcode": "LS1 1AA"}})
    with pytest.raises(ValueError, match="not a valid EventKind"):
        emit("sim.exploded", {})


def test_a_suspend_tells_the_sim_state_and_the_settled_request_once_with_its_reason_but_not_the_words(
        world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    words = "Ada rang from 07700 900123: phone left on a train"  # a person's details: never in a webhook
    request = services.sim_suspend(sim_id=sim.pk, actor=staff, reason="other", reason_words=words)
    assert not told(EventKind.REQUEST_SETTLED)  # accepted by aql is not settled
    world.fake.advance(world.fake.faults.settle_after)
    due_now()
    tasks.poll_pass()
    tasks.poll_pass()
    assert told(EventKind.REQUEST_SETTLED) == [{
        "request_id": request.pk, "sim_id": sim.pk, "iccid": sim.iccid, "command": "suspend", "outcome": "success",
        "state": "success", "was_unknown": False, "errors": [], "why_not_sent": None, "batch_id": None,
        "reason": "other", "url": f"/api/v1/requests/{request.pk}"}]
    assert told(EventKind.SIM_STATE_CHANGED) == [{
        "sim_id": sim.pk, "iccid": sim.iccid, "state_before": "active", "state": "suspended", "cause": "command",
        "request_id": request.pk, "reason": "other", "url": f"/api/v1/sims/{sim.iccid}"}]
    assert "07700" not in str(list(OutboxEvent.objects.values_list("payload", flat=True)))


def test_a_refused_command_is_settled_failed_with_each_code_and_its_meaning(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    world.fake.put_sim(sim.iccid, state="terminated")  # aql will refuse it
    request = services.sim_suspend(sim_id=sim.pk, actor=staff)
    assert request.state == RequestState.REJECTED
    (payload,) = told(EventKind.REQUEST_SETTLED)
    assert payload["outcome"] == "failed" and payload["state"] == "rejected"
    assert payload["errors"] and all(e["code"] and e["meaning"] for e in payload["errors"])


def test_an_unknown_outcome_is_told_only_when_evidence_settles_it(world, staff, settings):
    from ops import gateway

    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    world.fake.faults.hang_seconds, world.fake.faults.hang_rate = 1.0, 1.0
    request = services.sim_activate(sim_id=Sim.objects.get(iccid=iccid(0)).pk, actor=staff, **activation())
    assert request.state == RequestState.UNKNOWN
    assert not told(EventKind.REQUEST_SETTLED)
    world.fake.faults.hang_rate = 0
    world.fake.advance(world.fake.faults.settle_after)
    due_now()
    tasks.poll_pass()
    (payload,) = told(EventKind.REQUEST_SETTLED)
    assert (payload["outcome"], payload["was_unknown"]) == ("success", True)
    moves = [(p["state_before"], p["state"]) for p in told(EventKind.SIM_STATE_CHANGED)]
    assert moves == [("unused", "pending"), ("pending", "active")]
    everything = str(list(OutboxEvent.objects.values_list("payload", flat=True)))
    assert not any(word in everything for word in PERSONAL_WORDS)  # no name, address, postcode, numbers


def test_drift_is_told_with_the_fields_that_differed_but_not_the_number(world, make_sim):
    sim = make_sim(1, number="44113000001")
    world.fake.put_sim(sim.iccid, state="suspended", geo_nos="44113000002")
    services.sim_query(sim_id=sim.pk, actor=None)
    (drift,) = told(EventKind.DRIFT_FOUND)
    assert drift["iccid"] == sim.iccid and set(drift["fields"]) == {"state", "number"}
    assert (drift["state_before"], drift["state"]) == ("active", "suspended")
    assert told(EventKind.SIM_STATE_CHANGED)[0]["cause"] == "aql_record"
    assert not told(EventKind.REQUEST_SETTLED)  # the system's own look is routine
    assert "44113000002" not in str(drift)


def test_a_batch_is_told_finished_once_when_its_last_request_settles(world, staff, make_sim):
    sims = [make_sim(n, number=f"4411300000{n}") for n in (1, 2)]
    sims.append(make_sim(3, state=SimState.SUSPENDED, number="44113000003"))  # not done: wrong state
    batch = services.batch_start(sim_ids=[s.pk for s in sims], command=Command.SUSPEND, actor=staff, reason="unpaid")
    assert not told(EventKind.BATCH_FINISHED) and batch.params["queueing"] is False
    tasks.poll_pass()  # sent
    world.fake.advance(world.fake.faults.settle_after)
    due_now()
    first = GatewayRequest.objects.filter(batch=batch, state=RequestState.PENDING).first()
    services.request_poll(request_id=first.pk)
    assert not told(EventKind.BATCH_FINISHED)  # one still in flight
    due_now()
    tasks.poll_pass()
    tasks.poll_pass()
    assert told(EventKind.BATCH_FINISHED) == [{"batch_id": batch.pk, "command": "suspend", "size": 3,
                                               "counts": {"success": 2, "not_sent": 1}, "reason": "unpaid",
                                               "url": f"/api/v1/batches/{batch.pk}"}]
    assert "queueing" not in GatewayRequest.objects.filter(batch=batch).first().params  # bookkeeping stays home


def test_a_batch_of_sims_none_of_which_can_take_it_is_finished_at_once(world, staff, make_sim):
    sim = make_sim(3, state=SimState.SUSPENDED, number="44113000003")
    batch = services.batch_start(sim_ids=[sim.pk], command=Command.SUSPEND, actor=staff)
    assert told(EventKind.BATCH_FINISHED)[0]["counts"] == {"not_sent": 1} and batch.params["finished_at"]


def test_a_batch_cancelled_after_the_rest_settled_is_finished(world, staff, make_sim):
    sims = [make_sim(n, number=f"4411300000{n}") for n in (1, 2)]
    batch = services.batch_start(sim_ids=[s.pk for s in sims], command=Command.QUERYICCID, actor=staff)
    services.batch_cancel(batch_id=batch.pk, actor=staff)
    assert told(EventKind.BATCH_FINISHED)[0]["counts"] == {"not_sent": 2}


def test_a_despatched_order_is_told_without_its_recipient(world, staff):
    fake = world.fake
    order = order_services.order_despatch(actor=staff, **RECIPIENT)
    fake.advance(fake.faults.despatch_after)
    DespatchOrder.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
    order_tasks.refresh_orders_pass()
    order = DespatchOrder.objects.get(pk=order.pk)
    assert order.state == OrderState.DESPATCHED
    assert told(EventKind.ORDER_DESPATCHED) == [{"order_ref": order.order_ref, "state": "despatched",
                                                 "iccid": order.iccid, "sim_id": order.sim_id,
                                                 "url": f"/api/v1/orders/{order.order_ref}"}]
    assert not any(word in str(told(EventKind.ORDER_DESPATCHED)) for word in PERSONAL_WORDS)


def test_stock_low_is_told_when_a_code_goes_under_its_threshold_not_at_every_snapshot(world):
    Product.objects.create(code="AQL-123", low_stock_threshold=5000)
    order_tasks.stock_pass()
    order_tasks.stock_pass()
    (low,) = told(EventKind.STOCK_LOW)
    assert (low["product_code"], low["quantity"], low["threshold"], low["url"]) == (
        "AQL-123", 2031, 5000, "/api/v1/stock")
