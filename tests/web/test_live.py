"""Pages that redraw themselves while aql works (htmx asks the page again): what they ask for and
when they stop. tests/browser/test_live.py watches the same in Chromium."""

from datetime import timedelta

import pytest
from django.utils import timezone

from orders import services as order_services
from orders.models import DespatchOrder
from sims import services, tasks
from sims.models import GatewayRequest
from tests.conftest import iccid

pytestmark = pytest.mark.django_db

OUTCOME_IN_PLACE = '<div id="messages" role="status" hx-swap-oob="innerHTML">'


def redraw(client, url: str) -> str:
    """The page as its own poll asks for it."""
    return client.get(url, HTTP_HX_REQUEST="true").text


def run_the_worker(world) -> None:
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.filter(state="pending").update(next_poll_at=timezone.now() - timedelta(seconds=1))
    tasks.poll_pass()


def test_a_sims_sent_banner_stays_while_aql_works_and_its_outcome_takes_its_place_after(agent, world, make_sim):
    sim = make_sim(1, number="44113000001")
    url = f"/sims/{sim.iccid}/"
    assert "Suspend sent: aql is working on it." in agent.post(f"{url}suspend/", {"reason": "lost"}, follow=True).text
    assert OUTCOME_IN_PLACE not in redraw(agent, url)  # still in flight: the banner is left as it is
    run_the_worker(world)
    last = redraw(agent, url)
    assert OUTCOME_IN_PLACE in last and "Suspend: done." in last
    assert "every 5s" not in last  # and the page stops asking
    opened = agent.get(url).text  # opened afresh: no banner nobody asked for
    assert OUTCOME_IN_PLACE not in opened and "Suspend: done." not in opened


def test_an_orders_banner_gives_way_to_how_it_ended_when_its_page_last_redraws(agent, world, staff):
    order = order_services.order_despatch(actor=staff, name="Jo Bloggs", company="", address="1 Road",
                                          postcode="LS1 1AA", contact_no="07700900123")
    url = f"/orders/{order.order_ref}/"
    assert OUTCOME_IN_PLACE not in redraw(agent, url)  # aql has it: the page goes on asking
    world.fake.advance(world.fake.faults.despatch_after)
    order_services.order_refresh(order_id=order.pk, actor=staff)
    last = redraw(agent, url)
    assert OUTCOME_IN_PLACE in last and f"Order {order.order_ref}: despatched, SIM " in last
    assert DespatchOrder.objects.get(pk=order.pk).iccid in last


def test_the_sim_list_asks_for_itself_again_only_while_a_sim_it_shows_is_in_flight(agent, world, make_sim, staff):
    sim = make_sim(1, number="44113000001")
    assert 'hx-select="#sim-rows"' not in agent.get("/sims/").text
    services.sim_suspend(sim_id=sim.pk, actor=staff)
    listed = agent.get("/sims/").text
    assert 'hx-select="#sim-rows"' in listed and 'hx-trigger="every 10s"' in listed
    assert f'id="tick-{sim.pk}" hx-preserve' in listed  # a box ticked for a batch stays ticked through a redraw
    assert 'hx-select="#sim-rows"' not in agent.get("/sims/", {"q": iccid(0)}).text  # the in-flight SIM not shown
    run_the_worker(world)
    assert 'hx-select="#sim-rows"' not in redraw(agent, "/sims/")  # settled: the last redraw stops it


def test_the_request_lists_banner_is_taken_away_when_its_rows_last_redraw(agent, world, make_sim, staff):
    sim = make_sim(1, number="44113000001")
    journal = services.sim_suspend(sim_id=sim.pk, actor=staff)
    GatewayRequest.objects.filter(pk=journal.pk).update(next_poll_at=timezone.now())
    checked = agent.post(f"/requests/{journal.pk}/check/", {"next": "/requests/"}, follow=True).text
    assert "Suspend sent: aql is working on it." in checked  # aql has not finished yet
    assert OUTCOME_IN_PLACE not in redraw(agent, "/requests/")
    run_the_worker(world)
    last = redraw(agent, "/requests/")
    assert f'{OUTCOME_IN_PLACE}</div>' in last  # nothing in flight shown: no banner says aql is working


def test_a_batchs_queued_banner_is_taken_away_when_its_card_last_redraws(agent, world, make_sim):
    sim = make_sim(1, number="44113000001")
    queued = agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                          "scope": "ticked", "sim": [sim.pk], "confirmed": "1",
                                          "next": "/sims/"}, follow=True)
    url = queued.redirect_chain[-1][0]
    assert "Suspend queued for 1 SIMs" in queued.text and OUTCOME_IN_PLACE not in redraw(agent, url)
    tasks.poll_pass()  # sent
    run_the_worker(world)  # and done
    assert f'{OUTCOME_IN_PLACE}</div>' in redraw(agent, url)  # finished: "queued" no longer stands above it
