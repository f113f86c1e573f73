"""Numbers in a real browser: typed the ways staff write them, found and accepted each way, and
shown as staff read them (0113 000 005), though kept in aql's form (44113000005)."""

import pytest
from playwright.sync_api import Page, expect

from sims.models import GeographicNumber, Sim

pytestmark = pytest.mark.django_db(transaction=True)

# One number of the simulator's pool, three ways (aql's example numbers are 0113 and six digits).
THREE_WAYS = ("0113 000 005", "+44 113 000 005", "44113000005")


def test_a_number_typed_three_ways_is_found_accepted_and_shown_nationally(page: Page, live_server, world, staff,
                                                                          make_sim, sign_in):
    sim = make_sim(5, number="44113000005")
    make_sim(6, number="44113000006")
    sign_in("agent")
    rows = page.locator("main tbody tr")

    # the SIM search finds it each way, and the list shows the number as staff read it
    page.get_by_role("link", name="SIMs", exact=True).click()
    for typed in THREE_WAYS:
        page.get_by_label("Find a SIM").fill(typed)
        page.get_by_label("Find a SIM").press("Enter")
        expect(rows).to_have_count(1)
        expect(rows.get_by_role("link", name=sim.iccid)).to_be_visible()
        expect(rows.get_by_role("cell", name="0113 000 005", exact=True)).to_be_visible()

    # the Numbers page's "starts with" filter, the same start written each way
    page.get_by_role("link", name="Numbers", exact=True).click()
    for typed in ("0113 000 00", "+44 (0)113 000 00", "4411300000"):
        page.get_by_label("Number starts with").fill(typed)
        page.get_by_label("Number starts with").press("Enter")
        expect(rows.locator("td:first-child")).to_have_text([f"0113 000 00{n}" for n in range(10)])

    # numbers added in bulk, pasted three ways, are kept in aql's form and shown nationally
    page.get_by_role("heading", name="Add numbers to the pool").click()
    page.get_by_label("Numbers to add").fill("0113 496 0005\n+44 113 496 0006\n441134960007")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_text("3 numbers added to the pool.")).to_be_visible()
    assert GeographicNumber.objects.filter(number__in=["441134960005", "441134960006", "441134960007"]).count() == 3
    page.get_by_label("Number starts with").fill("0113 496")
    page.get_by_label("Number starts with").press("Enter")
    expect(rows.locator("td:first-child")).to_have_text(["0113 496 0005", "0113 496 0006", "0113 496 0007"])

    # changing the number finds the free numbers as one types, as activation does, each as staff read it
    page.goto(f"{live_server.url}/sims/{sim.iccid}/")
    page.get_by_role("link", name="Change the number…").click()
    expect(page.get_by_text("Its number now: 0113 000 005.")).to_be_visible()
    choice, found = page.get_by_label("New geographic number"), page.locator("#free-numbers-said")
    choice.fill("0113 000 006")
    expect(found).to_have_text("No free number starts with 0113 000 006.")  # on another SIM
    choice.fill("+44 113 496 0006")
    expect(found).to_contain_text("0113 496 0006")  # just added
    choice.fill("0113 000 009")  # one aql allocated to the simulator's account
    expect(found).to_contain_text("Free, starting 0113 000 009: 0113 000 009")
    page.get_by_role("button", name="Change number").click()
    expect(page.locator("#sim-live")).to_contain_text("0113 000 009")
    assert Sim.objects.get(pk=sim.pk).number.number == "44113000009"  # kept in aql's form
    assert world.fake.sim(sim.iccid).geo_nos == "44113000009"  # and sent in it
