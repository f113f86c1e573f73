"""Notifications in a real browser: the worker's drift notice counted in the header (drawn by htmx under
the Content Security Policy), followed to the SIM it is about, marked read; the preferences saved."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from notices.models import Preference
from notices.services import notices_build
from sims import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_drift_notice_is_counted_followed_and_marked_read(page: Page, live_server, world, staff, make_sim, sign_in):
    notices_build()
    sim = make_sim(1, number="44113000001")
    world.fake.put_sim(sim.iccid, state="suspended", geo_nos="44113000001")  # aql's record moved on: drift
    services.sim_query(sim_id=sim.pk, actor=None)
    notices_build()  # the worker's pass
    sign_in("agent")
    link = page.locator("header").get_by_role("link", name="Notifications")
    expect(link.locator(".count")).to_have_text("1 unread")  # "unread" for screen readers only
    found = Axe().run(page, options={"resultTypes": ["violations"], "preload": False}).response["violations"]
    assert found == []  # the header with its count, as axe-core reads it
    link.click()
    notice = page.locator("main").get_by_role("link", name=f"SIM {sim.iccid} differed from aql's record (state)")
    expect(notice).to_be_visible()
    notice.click()
    expect(page).to_have_url(f"{live_server.url}/sims/{sim.iccid}/")
    page.go_back()
    page.get_by_role("button", name="Mark all read").click()
    expect(page.get_by_text("1 notification marked read.")).to_be_visible()
    expect(page.locator("main").get_by_text("Nothing unread.")).to_be_visible()
    expect(link.locator(".count")).to_have_count(0)

    page.get_by_role("link", name="Choose what you hear about, and how").click()
    page.get_by_label("Drift found (aql's record differed from ours)").select_option("immediate")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Your notification preferences are saved.")).to_be_visible()
    assert Preference.objects.get(user=staff, topic="drift").channel == "immediate"
