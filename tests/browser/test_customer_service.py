"""A customer-service agent's day, in a real browser: sign in, find a SIM, activate it (a bad
postcode first), watch it settle, suspend and reactivate it, add a service, and despatch a SIM
that becomes one they can activate."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from orders.models import DespatchOrder, StockLevel
from orders.services import stock_refresh
from sims import tasks
from sims.models import GatewayRequest
from sims.services import sim_suspend
from tests.browser.conftest import password_then_code
from tests.conftest import enrol_totp, iccid

pytestmark = pytest.mark.django_db(transaction=True)
# The README's pictures are refreshed with UPDATE_SCREENSHOTS=1; other runs keep theirs aside.
SCREENSHOTS = Path(__file__).resolve().parents[2] / (
    "docs/screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else "tests/artifacts/screenshots")


def run_the_worker(world) -> None:
    """Let aql finish, then one polling pass, as the worker's schedule would run it."""
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.filter(state="pending").update(next_poll_at=timezone.now() - timedelta(seconds=1))
    tasks.poll_pass()


def suspend(sim, staff) -> None:
    sim_suspend(sim_id=sim.pk, actor=staff)


def test_an_agent_provisions_a_sim_from_search_to_services(page: Page, live_server, world, staff, settings,
                                                           sign_in):
    settings.AQL_FIRST_POLL_DELAY = 0
    sign_in("agent")
    target = iccid(4)

    # find it by the last digits of its ICCID
    page.get_by_role("link", name="SIMs", exact=True).click()
    page.get_by_label("Find a SIM").fill(target[-5:])
    page.get_by_label("Find a SIM").press("Enter")
    page.get_by_role("link", name=target).click()
    expect(page.get_by_role("heading", name=f"SIM {target}")).to_be_visible()

    # activate with a bad postcode: the error sits at the field, what was typed stays, nothing is sent
    page.get_by_role("link", name="Activate…").click()
    page.get_by_label("Handset IMEI").fill("490154203237518")
    page.get_by_label("Geographic number").fill("0113 000 005")  # aql's 44113000005
    page.get_by_label("Subscriber name").fill("Ada Lovelace")
    page.get_by_label("Address").fill("11-15 Hunslet Road\nLeeds")
    page.get_by_label("Postcode").fill("NOWHERE")
    page.get_by_label("Contact phone number").fill("0113 320 3040")
    page.get_by_role("button", name="Activate").click()
    expect(page.locator("#id_postcode_error")).to_have_text("Enter a UK postcode, like LS10 1JQ.")
    expect(page.get_by_label("Subscriber name")).to_have_value("Ada Lovelace")
    assert world.fake.count("activate") == 0

    # then correctly: pending, and the page follows it to active by itself once the worker has run
    page.get_by_label("Postcode").fill("LS10 1JQ")
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Activate sent: aql is working on it.")).to_be_visible()
    live = page.locator("#sim-live")
    expect(live.locator(".badge")).to_have_text("Activating")
    run_the_worker(world)
    expect(live.locator(".badge")).to_have_text("Active", timeout=15_000)  # htmx, no reload
    expect(live).to_contain_text("0113 000 005")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.reload()
    page.screenshot(path=SCREENSHOTS / "sim.png", full_page=True)

    # suspend, then reactivate
    page.get_by_role("link", name="Suspend…").click()
    page.get_by_label("Why", exact=True).select_option("customer_request")  # said why, on a page of its own
    page.get_by_role("button", name="Suspend this SIM").click()
    expect(live).to_contain_text("Suspend in progress")
    run_the_worker(world)
    expect(live.locator(".badge")).to_have_text("Suspended", timeout=15_000)
    page.reload()
    page.get_by_role("button", name="Reactivate").click()
    run_the_worker(world)
    expect(live.locator(".badge")).to_have_text("Active", timeout=15_000)

    # add a service
    page.reload()
    page.get_by_label("International roaming").check()
    page.get_by_role("button", name="Save the services").click()
    expect(live).to_contain_text("International roaming (turning on)")  # on, off or changing, each
    run_the_worker(world)
    expect(live).not_to_contain_text("turning on", timeout=15_000)  # redrawn as on once aql has done it
    expect(live).to_contain_text("International roaming")
    expect(page.locator("#timeline")).to_contain_text("Add services done.")

    # the form shows the end state as it is now: saved unchanged, it sends nothing and says so
    page.reload()
    expect(page.get_by_label("International roaming")).to_be_checked()
    page.get_by_role("button", name="Save the services").click()
    expect(page.locator("#id_services_error")).to_contain_text("Nothing to change")
    assert world.fake.count("addservice") == 1 and world.fake.count("removeservice") == 0
    assert world.fake.sim(target).services >= {"int_roaming"}


def test_an_agent_despatches_a_sim_and_it_becomes_one_to_activate(page: Page, live_server, world, staff,
                                                                 make_sim, sign_in):
    # some of everything for the README's picture of the dashboard
    for n, state in enumerate(("active", "active", "active", "suspended", "terminated"), start=1):
        make_sim(n, state=state, number=None if state == "terminated" else f"4411300000{n}")
    suspend(make_sim(6, number="44113000006"), staff)
    for hours_ago in range(12, -1, -2):  # a stock history: a snapshot every two hours
        for level in stock_refresh():
            StockLevel.objects.filter(pk=level.pk).update(checked_at=timezone.now() - timedelta(hours=hours_ago))
        world.fake.account.stock["AQL-123"] -= 150
        world.fake.account.stock["ABC-456"] -= 900
    tasks.poll_pass()  # the worker's heartbeat
    sign_in("agent")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "dashboard.png", full_page=True)

    page.get_by_role("link", name="Orders", exact=True).click()
    page.get_by_role("link", name="New order…").click()
    page.get_by_label("Recipient name").fill("Jo Bloggs")
    page.get_by_label("Address").fill("1 Park Row\nLeeds")
    page.get_by_label("Postcode").fill("ls1 5ab")
    page.get_by_label("Contact phone number").fill("07700 900123")
    page.get_by_role("button", name="Send to aql for despatch").click()
    order = DespatchOrder.objects.get()
    expect(page.get_by_text(f"Order {order.order_ref}: processing.")).to_be_visible()

    world.fake.advance(world.fake.faults.despatch_after)
    page.get_by_role("button", name="Ask aql now").click()
    expect(page.locator(".badge")).to_have_text("Despatched")
    order.refresh_from_db()
    page.get_by_role("link", name=order.iccid).click()
    expect(page.get_by_role("heading", name=f"SIM {order.iccid}")).to_be_visible()
    expect(page.get_by_role("link", name=f"order {order.order_ref}")).to_be_visible()
    expect(page.get_by_role("link", name="Activate…")).to_be_visible()

    page.set_viewport_size({"width": 768, "height": 1024})  # a tablet: nothing runs off the side
    for path in ("/", f"/sims/{order.iccid}/", "/sims/", "/requests/", "/orders/"):
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path


def test_django_admin_works_under_the_content_security_policy(page: Page, live_server, world, admin_user,
                                                              make_sim):
    sim = make_sim(1, number="44113000001")
    enrol_totp(admin_user)  # an Admin signs in with two factors, through our form
    page.goto(live_server.url + "/admin/login/")
    password_then_code(page, "admin", "password")
    for path in ("/admin/", "/admin/sims/sim/", f"/admin/sims/sim/{sim.pk}/change/", "/admin/sims/gatewayrequest/",
                 "/admin/orders/despatchorder/", "/admin/sims/geographicnumber/bulk-add/"):
        page.goto(live_server.url + path)
        expect(page.locator("#content")).to_be_visible()
    page.goto(live_server.url + "/admin/sims/sim/")
    page.locator("#action-toggle").check()  # admin's own script ticks every row
    expect(page.locator("input.action-select").first).to_be_checked()
