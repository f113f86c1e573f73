"""The Admin page "Connection to aql" in Chromium: reached from the admin index, the checks run on
the button, their table readable on a phone's screen and by axe-core."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.conftest import member_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_admin_runs_the_checks_from_the_admin_index_and_reads_them_on_a_phone(page: Page, live_server, world,
                                                                                  sign_in):
    admin = member_of("Admin", "admin")
    admin.is_staff = True
    admin.save()
    sign_in("admin")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/admin/")
    page.get_by_role("link", name="Connection to aql").click()
    assert world.fake.calls == []  # nothing is asked of aql until the button is pressed
    page.get_by_role("button", name="Run the checks").click()
    rows = page.locator("#aql-checks tbody tr")
    expect(rows).to_have_count(7)
    expect(page.get_by_role("heading", name="Every check passed")).to_be_visible()
    expect(rows.filter(has_text="queryiccid answered")).to_contain_text("passed")
    assert sorted(call.command for call in world.fake.calls) == ["check_stock", "queryiccid"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "the page scrolls sideways"
    results = Axe().run(page, options={"resultTypes": ["violations"], "preload": False})
    serious = [v["id"] for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
