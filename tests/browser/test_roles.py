"""The roles, in a real browser: each signs in through the form and sees only what it may do. A
customer-service agent gets the daily buttons (not Terminate) and they work; an observer gets no
button or form anywhere, a subscriber's or recipient's details masked, and the 403 page in words
for a page typed in by hand. Hiding is checked in the HTML too, not only on screen."""

import re

import pytest
from playwright.sync_api import Page, expect

from common.models import AuditAction, AuditEvent
from orders.models import DespatchOrder
from sims.models import Sim, Subscriber
from sims.services import sim_suspend
from tests.conftest import member_of

pytestmark = pytest.mark.django_db(transaction=True)

ADA = {"name": "Ada Lovelace", "address": "11-15 Hunslet Road", "postcode": "LS10 1JQ",
       "contact_number": "441133203040"}
ADA_MASKED = "•••••••••ace"  # twelve characters: nine bullets, then the last three
GRACE = {"name": "Grace Hopper", "company": "Hopper Holdings", "address": "1 Park Row, Leeds", "postcode": "LS1 5AB",
         "contact_no": "447700900123"}
# The forms and links a role's buttons lead to: absent from the HTML, not merely hidden.
SIM_ACTIONS = ("activate", "suspend", "reactivate", "deactivate", "services", "number", "query", "erase-subscriber")


@pytest.fixture
def adas_sim(make_sim) -> Sim:
    """An active SIM with a number, activated for Ada Lovelace."""
    sim = make_sim(1, number="44113000001")
    sim.subscriber = Subscriber.objects.create(**ADA)
    sim.save()
    return sim


def the_actions(page: Page):
    return page.get_by_role("region", name="What can be done now")


def assert_nothing_to_press(page: Page) -> None:
    """No form that changes anything, no button-styled link, in the page's content."""
    main = page.locator("main")
    expect(main.locator("form[method=post i]")).to_have_count(0)
    expect(main.locator("a.button")).to_have_count(0)


def take_refusal(console_errors: list[str], path: str) -> None:
    """The browser logs a 403 answer as an error: expected here, so taken out of the page's errors."""
    refused = [e for e in console_errors if "status of 403" in e and path in e]
    assert refused, f"no 403 for {path} in {console_errors}"
    for error in refused:
        console_errors.remove(error)


def test_customer_service_sees_their_buttons_and_not_terminate(page: Page, live_server, adas_sim, sign_in, world):
    member_of("Customer service", "casey")
    sign_in("casey")
    page.get_by_role("link", name="SIMs", exact=True).click()
    page.get_by_role("link", name=adas_sim.iccid).click()
    expect(page.get_by_role("heading", name=f"SIM {adas_sim.iccid}")).to_be_visible()

    actions = the_actions(page)
    # exactly the daily commands an active SIM with a number takes; Terminate is a supervisor's
    expect(actions.locator(".actions").get_by_role("button")).to_have_text(["Ask the gateway now", "Lost: suspend now",
                                                                             "Stolen: suspend now"])
    expect(actions.locator(".actions").get_by_role("link")).to_have_text(["Suspend…", "Change the number…",
                                                                           "Replace this SIM…",
                                                                           "Suspend or reactivate later…"])
    expect(actions.get_by_role("group", name="Services")).to_be_visible()
    expect(actions.get_by_role("button", name="Save the services")).to_be_visible()
    expect(page.get_by_role("link", name="Terminate…")).to_have_count(0)
    assert "/deactivate/" not in page.content()
    expect(actions).not_to_contain_text("Nothing your role may do")
    # customer service sees a subscriber's details in full
    expect(page.get_by_role("region", name="Subscriber and handset")).to_contain_text("Ada Lovelace")

    # and the buttons shown work for them
    actions.get_by_role("link", name="Suspend…").click()
    page.get_by_label("Why", exact=True).select_option("unpaid")  # said why, on a page of its own
    page.get_by_role("button", name="Suspend this SIM").click()
    expect(page.get_by_text("Suspend sent: aql is working on it.")).to_be_visible()
    expect(page.locator("#sim-live")).to_contain_text("Suspend in progress")
    assert world.fake.count("suspend") == 1

    # orders are theirs to place; the number pool is a supervisor's to fill
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.get_by_role("link", name="New order…")).to_be_visible()
    page.get_by_role("link", name="Numbers", exact=True).click()
    expect(page.get_by_role("heading", name="Geographic numbers")).to_be_visible()
    expect(page.get_by_role("heading", name="Add numbers to the pool")).to_have_count(0)
    expect(page.locator("main form[method=post i]")).to_have_count(0)


def test_an_observer_sees_everything_masked_and_can_press_nothing(page: Page, live_server, adas_sim, make_sim,
                                                                  staff, sign_in):
    sim_suspend(sim_id=make_sim(2, number="44113000002").pk, actor=staff)  # a request in flight, to be checked
    DespatchOrder.objects.create(**GRACE)  # a draft: staff could send it
    member_of("Observer", "olive")
    sign_in("olive")
    assert_nothing_to_press(page)

    # the SIM's page: no button, no services form, the subscriber masked
    page.get_by_role("link", name="SIMs", exact=True).click()
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=adas_sim.iccid))
    expect(row).to_contain_text(ADA_MASKED)
    expect(row).to_contain_text("••••••JQ")
    row.get_by_role("link", name=adas_sim.iccid).click()
    expect(page.get_by_role("heading", name=f"SIM {adas_sim.iccid}")).to_be_visible()
    expect(the_actions(page)).to_contain_text("Nothing your role may do with this SIM just now.")
    assert_nothing_to_press(page)
    expect(page.locator("main").get_by_role("button")).to_have_count(0)
    expect(page.locator("main input[type=checkbox]")).to_have_count(0)
    html = page.content()
    for action in SIM_ACTIONS:
        assert f"/{adas_sim.iccid}/{action}/" not in html, action
    subscriber = page.get_by_role("region", name="Subscriber and handset")
    expect(subscriber).to_contain_text(ADA_MASKED)
    expect(subscriber).to_contain_text(re.compile(r"•{15}oad, •{6}JQ"))  # the address and postcode
    expect(subscriber).to_contain_text("••••••••••040")  # the contact number, 0113 320 3040
    for detail in ("Ada", "Lovelace", "Hunslet", "LS10", "0113 320", "441133203040"):
        assert detail not in html, detail

    # the orders: no "New order…", the recipient masked, a draft not theirs to send
    page.get_by_role("link", name="Orders", exact=True).click()
    expect(page.get_by_role("heading", name="Despatch orders")).to_be_visible()
    expect(page.get_by_role("link", name="New order…")).to_have_count(0)
    assert_nothing_to_press(page)
    expect(page.locator("main")).to_contain_text("•••••••••per, ••••••••••••ngs")
    page.locator("main td a").first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Order "))).to_be_visible()
    assert_nothing_to_press(page)
    expect(page.locator("main")).to_contain_text("•••••••••123")
    for detail in ("Grace", "Hopper", "Park Row", "LS1 5AB", "07700", "900123", "447700900123"):
        assert detail not in page.content(), detail

    # the numbers: no form to add to the pool
    page.get_by_role("link", name="Numbers", exact=True).click()
    expect(page.get_by_role("heading", name="Geographic numbers")).to_be_visible()
    expect(page.get_by_role("heading", name="Add numbers to the pool")).to_have_count(0)
    assert_nothing_to_press(page)

    # the requests: the suspend in flight is there, with no "Check now"
    page.get_by_role("link", name="Requests", exact=True).click()
    expect(page.locator("main")).to_contain_text("Suspend")
    expect(page.get_by_role("button", name="Check now")).to_have_count(0)
    assert_nothing_to_press(page)

    # the stock: no check with aql
    page.get_by_role("link", name="Stock", exact=True).click()
    expect(page.get_by_role("button", name="Check stock with aql now")).to_have_count(0)
    assert_nothing_to_press(page)


def test_an_observer_typing_a_forbidden_address_gets_the_403_page(page: Page, live_server, adas_sim, sign_in,
                                                                   console_errors, world):
    observer = member_of("Observer", "olive")
    sign_in("olive")
    path = f"/sims/{adas_sim.iccid}/deactivate/"
    response = page.goto(live_server.url + path)
    assert response is not None and response.status == 403
    expect(page).to_have_url(live_server.url + path)  # refused where it was asked, not sent to sign in
    expect(page).to_have_title(re.compile(r"^Not allowed"))
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "Your account may not terminate a SIM (cannot be undone). Nothing was changed.")
    take_refusal(console_errors, path)
    page.get_by_role("link", name="Back to the dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # a button's POST made by hand (with a valid CSRF token) is refused by the server as well
    page.goto(live_server.url + f"/sims/{adas_sim.iccid}/")
    suspend = f"/sims/{adas_sim.iccid}/suspend/"
    status = page.evaluate("""async (url) => {
        const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
        const answer = await fetch(url, {method: "POST", headers: {"X-CSRFToken": token}});
        return answer.status;
    }""", suspend)
    assert status == 403
    take_refusal(console_errors, suspend)
    assert world.fake.count("suspend") == 0
    adas_sim.refresh_from_db()
    assert adas_sim.state == "active"
    refusals = AuditEvent.objects.filter(action=AuditAction.FORBIDDEN, actor=observer)
    assert sorted(refusals.values_list("subject", flat=True)) == sorted([path, suspend])
