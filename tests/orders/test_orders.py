"""Despatch orders and stock against the simulator over loopback: from an order to a SIM ready to activate."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from common.errors import Refused
from ops import gateway
from orders import services, tasks
from orders.models import DespatchOrder, OrderState, Product, StockLevel
from sims import services as sim_services
from sims.lifecycle import SimState
from sims.models import GatewayRequest, RequestState, Sim
from tests.conftest import activation

pytestmark = pytest.mark.django_db

RECIPIENT = {"name": "John Smith", "company": "aql", "address": "11-15 Hunslet Road\nLeeds",
             "postcode": "ls101jq", "contact_no": "0113 320 3040"}


def due_now() -> None:
    DespatchOrder.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))


def test_an_order_is_despatched_then_becomes_a_sim_that_can_be_activated(world, staff):
    fake = world.fake
    order = services.order_despatch(actor=staff, **RECIPIENT)
    assert order.state == OrderState.PROCESSING and order.order_ref.startswith("MVN-")
    sent = fake.order(order.order_ref)
    assert (sent.name, sent.address, sent.postcode, sent.contact_no) == (
        "John Smith", "11-15 Hunslet Road, Leeds", "LS10 1JQ", "441133203040")

    due_now()
    assert tasks.refresh_orders_pass() == 1
    assert DespatchOrder.objects.get(pk=order.pk).state == OrderState.PROCESSING

    fake.advance(fake.faults.despatch_after)
    due_now()
    tasks.refresh_orders_pass()
    order = DespatchOrder.objects.select_related("sim").get(pk=order.pk)
    assert order.state == OrderState.DESPATCHED and order.settled_at
    assert order.sim.iccid == order.iccid == fake.order(order.order_ref).iccid
    assert order.sim.state == SimState.UNUSED and order.sim.checked_at  # confirmed with aql

    request = sim_services.sim_activate(sim_id=order.sim.pk, actor=staff, **activation())
    fake.advance(fake.faults.settle_after)
    assert sim_services.request_poll(request_id=request.pk).state == RequestState.SUCCESS
    assert Sim.objects.get(pk=order.sim.pk).state == SimState.ACTIVE


def test_a_despatched_sim_aql_already_shows_active_follows_aql(world, staff):
    fake = world.fake
    order = services.order_despatch(actor=staff, **RECIPIENT)
    fake.advance(fake.faults.despatch_after)
    fake.put_sim(fake.order(order.order_ref).iccid, state="active", geo_nos="44113000009")
    order = services.order_refresh(order_id=order.pk, actor=staff)
    assert Sim.objects.get(pk=order.sim_id).state == SimState.ACTIVE


def test_every_field_is_checked_before_sending(world, staff):
    with pytest.raises(ValidationError) as caught:
        services.order_despatch(actor=staff, **(RECIPIENT | {"name": "", "postcode": "??", "address": " "}))
    assert set(caught.value.message_dict) == {"name", "postcode", "address"}
    assert world.fake.count("despatch") == 0 and not DespatchOrder.objects.exists()


def test_insufficient_stock_leaves_a_draft_with_the_reason_to_send_later(world, staff):
    world.fake.account.stock = {"AQL-123": 0}
    order = services.order_despatch(actor=staff, **RECIPIENT)
    assert order.state == OrderState.DRAFT
    assert order.reason == "There are not enough SIMs in stock on our account to despatch. (aql code 3)"
    world.fake.account.stock = {"AQL-123": 5}
    assert services.order_submit(order_id=order.pk, actor=staff).state == OrderState.PROCESSING


@pytest.mark.parametrize(("code", "words"), [
    (1, "refused our account's username or password"), (2, "a detail of the order is missing"),
    (8, "does not know that command"),
])
def test_other_result_codes_fail_the_order_with_their_meaning(world, staff, code, words):
    world.fake.force("despatch", [code])
    order = services.order_despatch(actor=staff, **RECIPIENT)
    assert order.state == OrderState.FAILED
    assert order.reason.endswith(f"(aql code {code})") and words in order.reason


def test_a_processing_order_cannot_be_sent_again(world, staff):
    order = services.order_despatch(actor=staff, **RECIPIENT)
    with pytest.raises(Refused):
        services.order_submit(order_id=order.pk, actor=staff)
    assert world.fake.count("despatch") == 1


def test_a_timeout_during_despatch_sends_no_second_order_and_is_found_by_query(world, staff, settings):
    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    fake = world.fake
    fake.faults.hang_rate, fake.faults.hang_seconds = 1.0, 1.0
    order = services.order_despatch(actor=staff, **RECIPIENT)
    assert order.state == OrderState.SUBMITTED and "It will be checked, not resent." in order.reason
    fake.faults.hang_rate = 0
    with pytest.raises(Refused):
        services.order_submit(order_id=order.pk, actor=staff)
    due_now()
    tasks.refresh_orders_pass()
    assert DespatchOrder.objects.get(pk=order.pk).state == OrderState.PROCESSING
    assert fake.count("despatch") == 1


def test_a_lost_despatch_aql_never_received_is_not_placed_only_after_the_settle_window(world, staff, settings):
    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    world.fake.faults.http500_rate = 1.0  # aql fell over before taking the order
    order = services.order_despatch(actor=staff, **RECIPIENT)
    assert order.state == OrderState.SUBMITTED
    world.fake.faults.http500_rate = 0
    for _ in range(4):  # 9 is also aql's catch-all error, and aql may record an order late
        due_now()
        DespatchOrder.objects.update(last_miss_at=timezone.now() - timedelta(hours=1))
        tasks.refresh_orders_pass()
        order = DespatchOrder.objects.get(pk=order.pk)
        assert order.state == OrderState.SUBMITTED and "no record of this order yet" in order.reason
    with pytest.raises(Refused):
        services.order_submit(order_id=order.pk, actor=staff)  # never the same order twice
    DespatchOrder.objects.update(submitted_at=timezone.now() - timedelta(days=2),
                                 last_miss_at=timezone.now() - timedelta(hours=1))
    due_now()
    tasks.refresh_orders_pass()
    order = DespatchOrder.objects.get(pk=order.pk)
    assert order.state == OrderState.NOT_PLACED and "was not placed" in order.reason
    again = services.order_place_again(order_id=order.pk, actor=staff)
    assert again.state == OrderState.PROCESSING and again.order_ref != order.order_ref and again.replaces == order
    assert world.fake.count("despatch") == 2  # two orders, each sent once


def test_a_cancelled_order_is_shown_with_when_it_was_seen(world, staff):
    world.fake.faults.cancel_rate = 1.0
    order = services.order_despatch(actor=staff, **RECIPIENT)
    world.fake.advance(world.fake.faults.despatch_after)
    order = services.order_refresh(order_id=order.pk, actor=staff)
    assert order.state == OrderState.CANCELLED and order.settled_at and order.sim is None


def test_stock_snapshots_keep_history_and_flag_codes_under_their_threshold(world):
    Product.objects.create(code="AQL-123", low_stock_threshold=5000)
    assert tasks.stock_pass() == 2
    services.order_despatch(actor=None, **RECIPIENT)
    tasks.stock_pass()
    history = list(StockLevel.objects.filter(product__code="AQL-123").values_list("quantity", "low"))
    assert history == [(2030, True), (2031, True)]
    assert not StockLevel.objects.filter(product__code="ABC-456", low=True).exists()  # no threshold set


def test_the_cli_despatches_refreshes_and_prints_stock(world, staff):
    out = StringIO()
    call_command("orders", "--user", "agent", "despatch", "--name", "Jo Bloggs", "--address", "1 Road, Leeds",
                 "--postcode", "LS1 1AA", "--contact", "07700900123", stdout=out)
    order = DespatchOrder.objects.get()
    assert out.getvalue() == f"Order {order.order_ref}: processing.\n" and order.created_by == staff
    world.fake.advance(world.fake.faults.despatch_after)
    out = StringIO()
    call_command("orders", "refresh", order.order_ref, stdout=out)
    assert f"{order.order_ref}: despatched, SIM 894412" in out.getvalue()
    out = StringIO()
    call_command("orders", "stock", stdout=out)
    assert out.getvalue() == "AQL-123: 2030\nABC-456: 20000\n"


def test_the_cli_exits_1_with_the_reason_when_refused(world):
    world.fake.account.stock = {}
    with pytest.raises(CommandError) as caught:
        call_command("orders", "despatch", "--name", "Jo", "--address", "1 Road", "--postcode", "LS1 1AA",
                     "--contact", "07700900123", stdout=StringIO())
    assert caught.value.returncode == 1 and "not enough SIMs" in str(caught.value)
    with pytest.raises(CommandError) as caught:
        call_command("orders", "despatch", "--name", "", "--address", "1 Road", "--postcode", "LS1 1AA",
                     "--contact", "07700900123", stdout=StringIO())
    assert caught.value.returncode == 1 and "name: Enter the" in str(caught.value)


def test_admin_refresh_action_and_read_only_stock(world, admin_client):
    order = services.order_despatch(actor=None, **RECIPIENT)
    world.fake.advance(world.fake.faults.despatch_after)
    response = admin_client.post("/admin/orders/despatchorder/", {"action": "refresh", "_selected_action": [order.pk]},
                                 follow=True)
    assert f"Order {order.order_ref}: despatched, SIM " in response.text
    order.refresh_from_db()
    assert f"/admin/sims/sim/{order.sim_id}/change/" in admin_client.get(
        f"/admin/orders/despatchorder/{order.pk}/change/").text
    assert f"/admin/orders/despatchorder/{order.pk}/change/" in admin_client.get(
        f"/admin/sims/sim/{order.sim_id}/change/").text
    tasks.stock_pass()
    level = StockLevel.objects.first()
    assert admin_client.get(f"/admin/orders/stocklevel/{level.pk}/change/").status_code == 200
    assert admin_client.post(f"/admin/orders/stocklevel/{level.pk}/delete/").status_code == 403
    assert GatewayRequest.objects.filter(command="queryiccid").count() == 1


def test_refreshing_one_order_twice_at_once_applies_the_first_answer_only(world, staff):
    order = services.order_despatch(actor=staff, **RECIPIENT)
    world.fake.advance(world.fake.faults.despatch_after)
    first = services.order_refresh(order_id=order.pk, actor=staff)
    again = services._despatched(order.pk, first.iccid, None)  # a second worker with the same answer
    assert again.settled_at == first.settled_at and Sim.objects.filter(iccid=first.iccid).count() == 1


def test_orders_refresh_asks_about_every_open_order_even_after_a_problem(world, staff):
    lost = services.order_create(actor=staff, **RECIPIENT)  # sent, answer lost: aql has no record of it
    DespatchOrder.objects.filter(pk=lost.pk).update(state=OrderState.SUBMITTED)
    fine = services.order_despatch(actor=staff, **RECIPIENT)
    with pytest.raises(CommandError) as caught:
        call_command("orders", "refresh", stdout=StringIO(), stderr=StringIO())
    assert "1 of 2 orders need attention" in str(caught.value) and caught.value.returncode == 3
    assert world.fake.count("query") == 2
    assert DespatchOrder.objects.get(pk=fine.pk).state == OrderState.PROCESSING


def test_admin_edits_a_draft_with_the_same_checks_and_freezes_a_sent_order(world, admin_client):
    world.fake.account.stock = {}
    draft = services.order_despatch(actor=None, **RECIPIENT)
    assert draft.state == OrderState.DRAFT
    response = admin_client.post(f"/admin/orders/despatchorder/{draft.pk}/change/",
                                 {**RECIPIENT, "postcode": "nowhere"})
    assert "Enter a UK postcode" in response.text
    response = admin_client.post(f"/admin/orders/despatchorder/{draft.pk}/change/", {**RECIPIENT, "name": "Jo Smith"})
    assert response.status_code == 302 and DespatchOrder.objects.get(pk=draft.pk).name == "Jo Smith"
    assert draft.events.first().message == "Recipient corrected."  # in the trail, without the details
    world.fake.account.stock = {"AQL-123": 5}
    sent = services.order_submit(order_id=draft.pk, actor=None)
    assert 'name="postcode"' not in admin_client.get(f"/admin/orders/despatchorder/{sent.pk}/change/").text
    assert admin_client.post(f"/admin/orders/despatchorder/{sent.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/orders/despatchorder/add/").status_code == 403


# --- uncertain outcomes ----------------------------------------------------------------------------

def test_a_lost_despatch_whose_queries_say_9_is_never_sent_twice_and_its_late_despatch_is_recorded(
        world, staff, settings, client):
    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    fake = world.fake
    fake.faults.hang_rate, fake.faults.hang_seconds = 1.0, 1.0  # aql takes the order; its reply is lost
    order = services.order_despatch(actor=staff, **RECIPIENT)
    fake.faults.hang_rate = 0
    assert order.state == OrderState.SUBMITTED
    fake.force("query", [9], times=3)  # aql's catch-all, three times over
    client.force_login(staff)
    for _ in range(3):  # three clicks on "Ask aql now", seconds apart
        client.post(f"/orders/{order.order_ref}/refresh/")
    order = DespatchOrder.objects.get(pk=order.pk)
    assert order.state == OrderState.SUBMITTED and order.misses == 1  # clicks count once
    page = client.get(f"/orders/{order.order_ref}/").text
    assert "It cannot be sent again while aql may have it" in page
    response = client.post(f"/orders/{order.order_ref}/submit/", follow=True)
    assert "it cannot be sent again" in response.text
    fake.advance(fake.faults.despatch_after)  # aql despatched it all along
    due_now()
    tasks.refresh_orders_pass()
    order = DespatchOrder.objects.get(pk=order.pk)
    assert order.state == OrderState.DESPATCHED and order.sim.iccid == fake.order(order.order_ref).iccid
    assert fake.count("despatch") == 1


def test_9_in_answer_to_a_despatch_is_an_unknown_outcome_checked_by_reference(world, staff):
    world.fake.force("despatch", [9])
    order = services.order_despatch(actor=staff, **RECIPIENT)
    assert order.state == OrderState.SUBMITTED and "It will be checked, not resent." in order.reason
    assert order.next_check_at is not None
    with pytest.raises(Refused):
        services.order_submit(order_id=order.pk, actor=staff)
    assert world.fake.count("despatch") == 1


def test_an_order_for_a_private_customer_sends_the_recipients_name_as_company(world, staff):
    order = services.order_despatch(actor=staff, **(RECIPIENT | {"company": ""}))
    sent = [c for c in world.fake.calls if c.command == "despatch"][-1].params
    assert sent["company"] == "John Smith" == order.company


def test_a_private_customers_name_is_shown_once_where_a_company_would_follow_it(world, staff, client):
    private = services.order_despatch(actor=staff, **(RECIPIENT | {"company": ""}))
    business = services.order_despatch(actor=staff, **RECIPIENT)
    client.force_login(staff)
    listed = client.get("/orders/").text
    assert "John Smith, John Smith" not in listed and "John Smith, aql" in listed
    assert "<dd>John Smith</dd>" in client.get(f"/orders/{private.order_ref}/").text
    assert "<dd>John Smith, aql</dd>" in client.get(f"/orders/{business.order_ref}/").text


def test_an_order_not_placed_can_be_placed_again_only_once_and_only_as_a_new_order(world, staff):
    order = services.order_despatch(actor=staff, **RECIPIENT)
    with pytest.raises(Refused, match="only an order aql never placed"):
        services.order_place_again(order_id=order.pk, actor=staff)
    DespatchOrder.objects.filter(pk=order.pk).update(state=OrderState.NOT_PLACED)
    again = services.order_place_again(order_id=order.pk, actor=staff)
    assert again.replaces_id == order.pk and again.order_ref != order.order_ref
    with pytest.raises(Refused, match="placed again already"):
        services.order_place_again(order_id=order.pk, actor=staff)
    assert world.fake.count("despatch") == 2


def test_a_draft_saved_with_an_empty_company_is_sent_with_the_name_there(world, staff):
    world.fake.account.stock = {}
    draft = services.order_despatch(actor=staff, **RECIPIENT)
    DespatchOrder.objects.filter(pk=draft.pk).update(company="")  # as saved before company was filled in
    world.fake.account.stock = {"AQL-123": 5}
    services.order_submit(order_id=draft.pk, actor=staff)
    assert [c for c in world.fake.calls if c.command == "despatch"][-1].params["company"] == "John Smith"


def test_silence_from_aql_does_not_reset_the_run_of_no_record_answers(world, staff, settings):
    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    order = services.order_create(actor=staff, **RECIPIENT)
    DespatchOrder.objects.filter(pk=order.pk).update(state=OrderState.SUBMITTED, misses=2,
                                                     submitted_at=timezone.now())
    world.fake.faults.hang_rate, world.fake.faults.hang_seconds = 1.0, 1.0
    services.order_refresh(order_id=order.pk, actor=staff)
    assert DespatchOrder.objects.get(pk=order.pk).misses == 2
