"""A batch in a real browser: the confirmation says how many of the chosen SIMs can take the command
now; the batch's page lists its SIMs, each linked to its own page with how it went in words, and
narrows them by outcome. Pictures at a phone's width and a desktop's."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from sims import tasks
from sims.lifecycle import SimState
from tests.conftest import iccid

pytestmark = pytest.mark.django_db(transaction=True)
SCREENSHOTS = Path(__file__).resolve().parents[2] / (
    "docs/screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else "tests/artifacts/screenshots")


def test_a_batchs_page_lists_its_sims_filters_them_by_outcome_and_links_each(page: Page, live_server, world,
                                                                             make_sim, staff, sign_in):
    for n in (1, 2, 3):
        make_sim(n, number=f"4411300000{n}")
    make_sim(4, state=SimState.SUSPENDED, number="44113000004")
    world.fake.force("suspend", [500])  # the first sent: aql's system failed part-way, outcome unknown
    sign_in("agent")

    page.goto(f"{live_server.url}/sims/?state=")
    for n in (1, 2, 3, 4):
        page.get_by_label(f"Tick SIM {iccid(n)} for a batch").check()
    page.locator("#batch-command").select_option("suspend")
    page.get_by_role("button", name="Continue…").click()
    expect(page.locator("#can-take-h")).to_have_text("3 of the 4 can take it now")
    expect(page.locator("#can-take")).to_contain_text("1 is in a state suspend cannot run from")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "batch-confirm.png", full_page=True)
    page.get_by_label("Why", exact=True).select_option("unpaid")
    page.get_by_role("button", name="Suspend 4 SIMs").click()
    expect(page.get_by_text("Suspend queued for 4 SIMs")).to_be_visible()

    tasks.poll_pass()  # the worker sends the three that could go
    page.reload()
    rows = page.locator("#batch-rows tbody tr")
    expect(rows).to_have_count(4)
    expect(page.locator("#batch-rows")).to_contain_text("Suspend: aql gave no clear answer.")
    for width, height in ((390, 844), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=SCREENSHOTS / f"batch-{width}.png", full_page=True)

    page.get_by_role("link", name="Did not go through (1)").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Suspend needs a SIM that is active; this one is suspended.")
    page.get_by_role("link", name="Outcome unknown (1)").click()
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(iccid(1))
    rows.get_by_role("link", name=iccid(1)).click()
    expect(page.get_by_role("heading", name=f"SIM {iccid(1)}")).to_be_visible()
