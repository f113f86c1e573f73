"""A replacement followed in a real browser: an agent replaces an active SIM from its page (the new SIM
chosen by its last digits, then a confirmation), and both SIM pages follow the procedure step by step,
without a reload, as the worker sends each step; "Lost: suspend now" offers the replacement next."""

import pytest
from playwright.sync_api import Page, expect

from sims import tasks
from sims.models import Replacement
from sims.models_replacements import WORDS, ReplacementState
from tests.browser.test_live import mark, still_marked
from tests.conftest import iccid, member_of
from tests.sims.test_replace import KEPT, assert_number_safe, old_sim  # noqa: F401 (old_sim: a fixture)
from tests.sims.test_uncertain import AQL_TAKES, due_now

pytestmark = pytest.mark.django_db(transaction=True)
SHOWN_KEPT = "0113 000 001"  # KEPT as the pages write it


def test_an_agent_replaces_a_sim_and_follows_it_on_both_sim_pages(page: Page, live_server, world, old_sim,  # noqa: F811
                                                                    sign_in):
    old, new_iccid = old_sim(), iccid(5)
    member_of("Customer service", "clerk")
    sign_in("clerk")
    page.goto(live_server.url + f"/sims/{old.iccid}/")
    page.get_by_role("link", name="Replace this SIM…").click()
    page.get_by_label("New SIM: the last digits of its ICCID").fill(new_iccid[-6:])
    page.get_by_role("button", name="Next: check what will happen").click()
    expect(page.get_by_role("note")).to_contain_text(f"SIM {new_iccid} will take over from this one")
    assert not Replacement.objects.exists(), "nothing starts before the confirmation"
    page.get_by_role("button", name="Replace this SIM").click()
    expect(page.locator("main .msg")).to_contain_text("started: the worker sends each step")

    other = page.context.new_page()  # the new SIM's page, open at the same time
    other.goto(live_server.url + f"/sims/{new_iccid}/")
    pages = {"old": page, "new": other}
    cards = {name: p.locator("section[aria-labelledby=replacement-h]") for name, p in pages.items()}
    expect(cards["old"]).to_contain_text(f"This SIM is being replaced by {new_iccid}")
    expect(cards["new"]).to_contain_text(f"This SIM replaces {old.iccid}")
    for p in pages.values():
        mark(p)

    replacement, seen = Replacement.objects.get(), []
    for _ in range(12):  # the worker, pass after pass; aql finishes each two-step command in between
        due_now()
        tasks.poll_pass()
        assert_number_safe(world)
        replacement.refresh_from_db()
        if replacement.state != ReplacementState.RUNNING:
            break
        seen.append(replacement.step)
        for card in cards.values():  # both pages redraw to the step the procedure is at now
            expect(card).to_contain_text(f"In progress: {WORDS[replacement.step].lower()}.", timeout=15_000)
        world.fake.advance(AQL_TAKES)
    assert replacement.state == ReplacementState.DONE
    assert {"activate", "old_end"} <= set(seen), seen

    for card in cards.values():
        expect(card).to_contain_text("Done: the new SIM has the number", timeout=15_000)
    expect(cards["old"]).to_contain_text(f"This SIM was replaced by {new_iccid}")
    expect(cards["new"]).to_contain_text(f"This SIM replaces {old.iccid}")
    expect(page.locator("#sim-live .badge")).to_have_text("Terminated")
    expect(other.locator("#sim-live .badge")).to_have_text("Active")
    expect(other.locator("section[aria-labelledby=sub-h] dt:text-is('Number') + dd")).to_have_text(SHOWN_KEPT)
    expect(page.locator("section[aria-labelledby=sub-h] dt:text-is('Number') + dd")).to_have_text("none")
    expect(other.locator("#timeline")).to_contain_text(f"Replaces SIM {old.iccid}")
    expect(page.locator("#timeline")).to_contain_text(f"Replaced by SIM {new_iccid}")
    assert still_marked(page) and still_marked(other), "both pages changed in place, not by a reload"
    other.close()


def test_lost_suspend_now_offers_the_replacement_page_for_that_sim(page: Page, live_server, world, old_sim,  # noqa: F811
                                                                   sign_in):
    old = old_sim()
    member_of("Customer service", "clerk")
    sign_in("clerk")
    page.goto(live_server.url + f"/sims/{old.iccid}/")
    page.get_by_role("button", name="Lost: suspend now").click()
    offer = page.locator("main .msg").get_by_role("link", name="Replace this SIM…")
    expect(offer).to_be_visible()
    offer.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Replace SIM {old.iccid}, keeping its number")
    expect(page.get_by_label("New SIM: the last digits of its ICCID")).to_be_visible()
