"""Pages that tell the truth as things change, without a reload: the whole SIM redrawn when a
command settles (its "sent" banner giving way to the outcome), the SIM list redrawn as the SIMs
it lists settle, and an order followed to despatched on its list and on its page.

Each test marks the window; a reload or a navigation would lose the mark, so finding it at the
end proves the page changed in place (htmx), not by being loaded again."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders import tasks as order_tasks
from orders.models import DespatchOrder
from orders.services import order_despatch
from sims import services, tasks
from sims.models import GatewayRequest, Sim
from tests.conftest import activation, iccid

pytestmark = pytest.mark.django_db(transaction=True)
# The pictures in docs/ are refreshed with UPDATE_SCREENSHOTS=1; other runs keep theirs aside.
SCREENSHOTS = Path(__file__).resolve().parents[2] / (
    "docs/screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else "tests/artifacts/screenshots")


def mark(page: Page) -> None:
    page.evaluate("window.notReloaded = true")


def still_marked(page: Page) -> bool:
    return page.evaluate("window.notReloaded === true")


def run_the_worker(world) -> None:
    """aql finishes; the worker's next look sees it."""
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.filter(state="pending").update(next_poll_at=timezone.now() - timedelta(seconds=1))
    tasks.poll_pass()


def photograph(page: Page, name: str) -> None:
    """The page as it stands, at a phone's width and a desktop's: `name`-390.png and `name`-1280.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)


def test_a_commands_sent_banner_gives_way_to_its_outcome_when_the_sim_page_redraws(page: Page, live_server, world,
                                                                                   make_sim, staff, sign_in):
    sim = make_sim(1, number="44113000001")
    sign_in("agent")
    page.goto(live_server.url + f"/sims/{sim.iccid}/")
    page.get_by_role("link", name="Suspend…").click()
    page.get_by_label("Why", exact=True).select_option("customer_request")
    page.get_by_role("button", name="Suspend this SIM").click()
    banners = page.locator("main .msg")
    expect(banners).to_have_text(["Suspend sent: aql is working on it."])
    mark(page)

    run_the_worker(world)

    expect(page.locator("#sim-live .badge")).to_have_text("Suspended", timeout=15_000)
    expect(banners).to_have_text(["Suspend: done."])  # not "working on it" above a suspended SIM
    assert still_marked(page)
    photograph(page, "live-sim")


def test_the_sim_list_redraws_itself_while_a_sim_it_lists_is_in_flight(page: Page, live_server, world, make_sim,
                                                                       staff, sign_in):
    sim = make_sim(1, number="44113000001")
    services.sim_suspend(sim_id=sim.pk, actor=staff)
    sign_in("agent")
    page.goto(live_server.url + "/sims/")
    mark(page)
    row = page.get_by_role("row").filter(has_text=sim.iccid)
    expect(row).to_contain_text("Suspend in progress")
    expect(row.locator(".badge")).to_have_text("Active")
    ticked = page.get_by_role("row").filter(has_text=iccid(0)).get_by_role("checkbox")
    ticked.check()  # ticked for a batch: a redraw keeps the tick

    run_the_worker(world)

    expect(row.locator(".badge")).to_have_text("Suspended", timeout=15_000)
    expect(row).not_to_contain_text("in progress")
    expect(ticked).to_be_checked()
    assert still_marked(page)
    photograph(page, "sim-list-live")


def test_an_activation_settling_redraws_every_part_of_the_sim_page(page: Page, live_server, world, staff, sign_in):
    sim_iccid = iccid(3)
    sign_in("agent")
    services.sim_activate(sim_id=Sim.objects.get(iccid=sim_iccid).pk, actor=staff, **activation(number="44113000005"))
    page.goto(live_server.url + f"/sims/{sim_iccid}/")
    mark(page)
    live, actions = page.locator("#sim-live"), page.locator("section[aria-labelledby=actions-h]")
    subscriber = page.locator("section[aria-labelledby=sub-h]")
    expect(live).to_contain_text("Activate in progress")
    number_in_box = subscriber.locator("dt:text-is('Number') + dd")
    expect(number_in_box).to_have_text("none")
    expect(actions.get_by_role("link", name="Suspend…")).to_have_count(0)

    world.fake.advance(world.fake.faults.settle_after)  # aql finishes; the worker's next look sees it
    GatewayRequest.objects.filter(state="pending").update(next_poll_at=timezone.now() - timedelta(seconds=1))
    tasks.poll_pass()

    expect(live.locator(".badge")).to_have_text("Active", timeout=15_000)
    expect(live).not_to_contain_text("in progress")  # the "aql is working on it" line is gone
    expect(live).to_contain_text("Outgoing calls, Incoming calls, Outgoing SMS, Incoming SMS")
    expect(subscriber).to_contain_text("Ada Lovelace")
    expect(number_in_box).to_have_text("0113 000 005")  # the number shows in the subscriber box too
    expect(actions.get_by_role("link", name="Suspend…")).to_be_visible()  # what can be done now, redrawn
    expect(actions.get_by_role("button", name="Save the services")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("Activate done.")
    assert still_marked(page)


def test_an_order_is_followed_to_despatched_on_its_list_and_its_page_without_a_reload(page: Page, live_server, world,
                                                                                      staff, sign_in):
    order = order_despatch(actor=staff, name="Jo Bloggs", address="1 Park Row, Leeds", postcode="LS1 5AB",
                           contact_no="07700 900123", company="")
    sign_in("agent")
    page.goto(live_server.url + "/orders/")
    mark(page)
    row = page.locator("#order-rows tr", has_text=order.order_ref)
    expect(row.locator(".badge")).to_have_text("Processing")

    other = page.context.new_page()  # the order's own page, open at the same time
    other.goto(live_server.url + f"/orders/{order.order_ref}/")
    other.evaluate("window.notReloaded = true")
    expect(other.locator("#order-card .badge")).to_have_text("Processing")
    expect(other.locator("#order-card dt:text-is('Recipient') + dd")).to_have_text("Jo Bloggs")  # no company: once
    trail = other.locator("section[aria-labelledby=trail-h] li")
    lines = trail.count()

    world.fake.advance(world.fake.faults.despatch_after)  # aql despatches; the worker's next look sees it
    DespatchOrder.objects.filter(pk=order.pk).update(next_check_at=timezone.now() - timedelta(seconds=1))
    assert order_tasks.refresh_orders_pass() == 1

    expect(row.locator(".badge")).to_have_text("Despatched", timeout=15_000)
    expect(other.locator("#order-card .badge")).to_have_text("Despatched", timeout=15_000)
    expect(other.locator("#order-card")).to_contain_text(DespatchOrder.objects.get(pk=order.pk).iccid)
    expect(trail).to_have_count(lines + 1)  # the trail gains the despatch as the card does
    expect(trail.first).to_contain_text("Despatched.")
    assert still_marked(page) and other.evaluate("window.notReloaded === true")
    other.close()
