"""Error pages in Chromium: in the site's frame at a phone's and a desktop's width, nothing serious
for axe-core, and the way back leads back to the page the agent came from."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from sims.services import sim_suspend
from tests.browser.test_every_page import SPILLING
from tests.conftest import iccid

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_missing_sim_and_a_buttons_address_are_pages_with_a_way_back(page: Page, live_server, world, staff,
                                                                       make_sim, sign_in, console_errors):
    sim = make_sim(1, number="44113000001")
    journal = sim_suspend(sim_id=sim.pk, actor=staff)
    sign_in("agent")
    axe = Axe()
    for path, status, words in ((f"/sims/{iccid(1)[:-3]}999/", 404, "No SIM with that ICCID."),
                                (f"/requests/{journal.pk}/check/", 405, "only works as a button")):
        page.goto(live_server.url + "/sims/")
        page.evaluate(f"location.assign({path!r})")  # followed from the list, as a link would be: a Referer is sent
        expect(page.get_by_text(words)).to_be_visible()
        # the status it was meant to get, which Chromium logs: no page's fault
        console_errors[:] = [e for e in console_errors if f"status of {status}" not in e]
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.evaluate(SPILLING)
            found = axe.run(page, options={"resultTypes": ["violations"], "preload": False}).response["violations"]
            assert [v["id"] for v in found if v["impact"] in ("serious", "critical")] == [], path
        expect(page.get_by_role("link", name="SIMs", exact=True)).to_be_visible()  # the site's own header
        page.get_by_role("link", name="Back to the page you came from").click()
        expect(page.get_by_role("heading", name="SIMs", exact=True)).to_be_visible()
