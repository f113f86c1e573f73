"""The Reports page in Chromium: the charts drawn by the vendored Chart.js under our Content Security
Policy (the page fixture fails on any CSP report or script error), the period switched with the form,
at a phone's width too, and axe-core on it."""

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from reports.services import rollup_rebuild
from sims.lifecycle import Command, RequestState
from sims.reasons import StopReason
from tests.conftest import member_of
from tests.reports import world

pytestmark = pytest.mark.django_db(transaction=True)

# Chart.js loads deferred: until it has, no chart is drawn (and the count is 0, not an error)
DRAWN = ("window.Chart ? [...document.querySelectorAll('canvas[data-chart]')]"
         ".filter(c => window.Chart.getChart(c)).length : 0")


@pytest.fixture
def figures() -> None:
    for days_ago in range(20):
        instant = (timezone.now() - timedelta(days=days_ago)).isoformat()
        world.request(Command.ACTIVATE, RequestState.SUCCESS, settled=instant, actor_name="sam")
        world.request(Command.SUSPEND, RequestState.SUCCESS, settled=instant, reason=StopReason.LOST)
        world.request(Command.SUSPEND, RequestState.REJECTED, settled=instant, codes=(63003,))
    world.stock("AQL-A", (timezone.now().isoformat(), 900))
    rollup_rebuild()


def serious(page: Page) -> list[str]:
    results = Axe().run(page, options={"resultTypes": ["violations"], "preload": False})
    assert len(results.response["passes"]) > 10, "axe-core did not look at the page"
    return [f"{v['id']}: {[n['html'][:120] for n in v['nodes']]}" for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("width", [390, 1280])
def test_the_reports_draw_switch_period_and_pass_axe(page: Page, live_server, sign_in, figures, width):
    page.set_viewport_size({"width": width, "height": 900})
    member_of("Supervisor", "sam")
    sign_in("sam")
    page.get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", name="Reports", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Staff activity")).to_be_visible()
    page.wait_for_function(f"{DRAWN} === 8")  # every report's chart, each with its figures
    assert page.locator("#report-lines tbody tr").count() == 30  # the last 30 days, by day
    assert serious(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    page.get_by_label("Period", exact=True).select_option("7")
    page.get_by_label("Group", exact=True).select_option("week")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"range=7.*group=week"))
    expect(page.locator("#report-lines tbody tr").first).to_contain_text("Week of")
    page.wait_for_function(f"{DRAWN} === 8")
    assert serious(page) == []

    page.get_by_label("Period", exact=True).select_option("dates")
    page.get_by_label("From", exact=True).fill("2026-06-10")
    page.get_by_label("To", exact=True).fill("2026-06-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#id_start_error")).to_have_text("The first day comes after the last: swap them.")
    assert page.locator("section.report").count() == 0
