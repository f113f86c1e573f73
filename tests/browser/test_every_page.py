"""Every page, every width, every user: each staff page (and sign-in, the 403 page and Django admin)
at a phone's, a tablet's and a desktop's width without the page scrolling sideways; axe-core finds
nothing serious on any of them; a SIM is activated with the keyboard alone; focus is visible; and
state is never told by colour alone. The list of pages is checked against mvnoadmin/urls.py, so a
new page cannot be left out without saying why."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, resolve
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from mvnoadmin.urls import urlpatterns
from notices.services import notices_build
from orders.models import Product, StockLevel
from orders.services import order_despatch, stock_refresh
from reports.services import rollup_pass
from sims.lifecycle import Command
from sims.models import GatewayRequest, GeographicNumber, Sim, Subscriber
from sims.services import (
    adoption_start,
    batch_start,
    schedule_add,
    sim_add,
    sim_query,
    sim_replace,
    sim_suspend,
    upload_preview,
)
from sims.services.sending import request_send
from sims.tasks import adopt_pass
from tests.browser.conftest import password_then_code
from tests.conftest import IMEI, POOL, enrol_totp, iccid, member_of, site_urls

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = {"phone": (390, 844), "tablet": (768, 1024), "desktop": (1280, 900)}
# Named URL patterns that are not pages to look at, each with why. Anything else must be visited.
NOT_PAGES = {
    "favicon": "an icon",
    "ops:healthz": "JSON for a probe (tests/site/test_health.py)",
    "ops:readyz": "JSON for a probe (tests/site/test_health.py)",
    "dashboard:metrics": "text for Prometheus (tests/site/test_metrics.py)",
    "logout": "a button (POST only)",
    "mfa_authenticate": "the second step of signing in: every Supervisor's and Admin's sign-in above passes it",
    "mfa_remove_webauthn": "a passkey's removal, behind allauth's password asked again (tests/access/test_factors.py)",
    "sims:sim_reactivate": "a button (POST only)",
    "sims:sim_services": "a form on the SIM's page (POST only)",
    "sims:sim_query": "a button (POST only)",
    "sims:sim_erase_subscriber": "a button (POST only)",
    "sims:request_check": "a button (POST only)",
    "sims:request_look": "a button (POST only)",
    "sims:request_send_again": "a button (POST only)",
    "sims:number_free": "the number box's search, drawn into the number forms (tests/browser/test_numbers.py)",
    "orders:order_refresh": "a button (POST only)",
    "orders:order_submit": "a button (POST only)",
    "orders:order_place_again": "a button (POST only)",
    "orders:stock_threshold": "a form on the stock page (POST only)",
    "sims:batch_new": "the SIM list's batch form, and its confirmation (POST only)",
    "sims:batch_retry": "a button (POST only)",
    "sims:batch_cancel": "a button (POST only)",
    "sims:batch_csv": "a CSV file",
    "sims:sim_csv": "a CSV file",
    "sims:request_csv": "a CSV file",
    "sims:schedule_change": "a form on the schedule's page (POST only)",
    "sims:schedule_cancel": "a button (POST only)",
    "sims:adoption_ask_again": "a button (POST only)",
    "notices:notice_count": "the header's unread count, drawn into every page by htmx",
    "notices:notice_read": "a button (POST only)",
    "notices:notice_read_all": "a button (POST only)",
    "sims:adoption_csv": "a CSV file",
    "reports:report_csv": "a CSV file (tests/reports/test_pages.py)",
    "sims:replacement_resume": "a button (POST only; tests/web/test_replace.py)",
    "sims:replacement_abandon": "a button (POST only; tests/web/test_replace.py)",
}
ADA = {"name": "Ada Lovelace", "address": "11-15 Hunslet Road", "postcode": "LS10 1JQ",
       "contact_number": "441133203040"}
GRACE = {"name": "Grace Hopper", "company": "Hopper Holdings", "address": "1 Park Row, Leeds", "postcode": "LS1 5AB",
         "contact_no": "447700900123"}

# What runs off the right of the screen: the outermost such elements, to say where to look.
SPILLING = """[...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5
                 && e.parentElement.getBoundingClientRect().right <= window.innerWidth + 0.5)
    .map(e => `${e.tagName.toLowerCase()}.${e.className} ${Math.round(e.getBoundingClientRect().right)}px`)"""

# The element with the focus: its tag, its start, whether an outline shows and whether it had the focus before.
FOCUSED = """() => {
    const e = document.activeElement, s = getComputedStyle(e), stops = (window.stops ??= new Set());
    const again = stops.has(e);
    stops.add(e);
    return {tag: e.tagName.toLowerCase(), what: e.outerHTML.slice(0, 100), again: again,
            shown: s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2};
}"""

# References by id (aria-describedby, aria-labelledby, aria-controls, label for) to an element not in the page.
DANGLING = """[...document.querySelectorAll("[aria-describedby], [aria-labelledby], [aria-controls], label[for]")]
    .flatMap(e => ["aria-describedby", "aria-labelledby", "aria-controls", "for"]
        .flatMap(a => (e.getAttribute(a) || "").split(/\\s+/).filter(Boolean).map(id => [a, id])))
    .filter(([a, id]) => !document.getElementById(id))
    .map(([a, id]) => `${a}="${id}"`)"""


@dataclass(frozen=True)
class Visit:
    """One page as one kind of user sees it: `who` is "agent" (a supervisor), "observer", "admin" or
    None (signed out); `press`: a button to press first (a form sent empty, to see its errors)."""

    path: str
    who: str | None = "agent"
    status: int = 200
    press: str | None = None


@pytest.fixture
def site(world, staff: User, make_sim, admin_user: User) -> list[Visit]:
    """SIMs in every state that changes the page, an order, stock history: and the pages to see them by."""
    enrol_totp(admin_user)  # the Admin signs in with two factors
    unused = iccid(0)
    active = make_sim(1, number="44113000001")
    active.subscriber = Subscriber.objects.create(**ADA)
    active.save()
    in_flight = make_sim(2, number="44113000002")
    sim_suspend(sim_id=in_flight.pk, actor=staff)
    unsure = make_sim(3, number="44113000003")
    world.fake.force("suspend", [500])  # aql's answer lost: the outcome is unknown
    lost = sim_suspend(sim_id=unsure.pk, actor=staff)
    GatewayRequest.objects.filter(pk=lost.pk).update(needs_attention=True)
    sim_query(sim_id=unsure.pk, actor=staff)  # aql's record, for settling by hand
    adopted = iccid(4)  # in use at aql, unused to us: a query adopts it, calls, texts and subscriber not known
    world.fake.put_sim(adopted, state="active", geo_nos="44113000004", services=("mo_voice", "mt_voice", "mo_sms"))
    sim_query(sim_id=Sim.objects.get(iccid=adopted).pk, actor=staff)
    suspended = make_sim(5, state="suspended", number="44113000005")
    terminated = make_sim(6, state="terminated")
    terminated.subscriber = Subscriber.objects.create(**ADA)
    terminated.save()
    GeographicNumber.objects.filter(number="44113000009").update(  # its number, resting for its subscriber
        rests_since=timezone.now(), rests_until=timezone.now() + timedelta(days=90), rests_for=terminated.subscriber)
    order = order_despatch(actor=staff, **GRACE)
    for hours_ago in range(6, -1, -2):  # a stock history, for the sparklines; AQL-123 falls below its threshold
        for level in stock_refresh():
            StockLevel.objects.filter(pk=level.pk).update(checked_at=timezone.now() - timedelta(hours=hours_ago))
        Product.objects.filter(code="AQL-123").update(low_stock_threshold=world.fake.account.stock["AQL-123"])
        world.fake.account.stock["AQL-123"] -= 150
    member_of("Observer", "olive")
    batch = batch_start(sim_ids=[active.pk, suspended.pk], command=Command.SUSPEND, actor=staff)
    rows = [f"{iccid(0)},{IMEI},,Ada Lovelace,\"11-15 Hunslet Road, Leeds\",LS10 1JQ,0113 320 3040",
            f"{active.iccid},123,07700 900123,R2D2,,nowhere,x"]  # one ready, one with every cell wrong
    schedule_add(sim_ids=[active.pk, suspended.pk], command=Command.SUSPEND, actor=staff,
                 due_at=timezone.now() + timedelta(days=3))  # one on the schedule's page, one on the SIM's
    upload = upload_preview(file=SimpleUploadedFile("march.csv", "\n".join(
        ["iccid,imei,number,name,address,postcode,contact", *rows]).encode()), kind="activate", actor=staff)
    adopting = upload_preview(file=SimpleUploadedFile("estate.csv", f"iccid\n{iccid(7)}\n{iccid(1)}\n12\n".encode()),
                              kind="adopt", actor=staff)  # one to ask aql about, one ours, one wrong
    adoption = adoption_start(iccids=[iccid(8), iccid(600)], actor=staff, source="a test")  # one aql has not
    adopt_pass()
    sim_add(iccids=[iccid(10), iccid(11)])  # a replacement refused by aql: stopped, a Supervisor's buttons showing
    replaced = make_sim(10, number="44113000010")
    replaced.subscriber, replaced.imei = Subscriber.objects.create(**ADA), IMEI
    replaced.save()
    replacement = sim_replace(sim_id=replaced.pk, new_sim_id=Sim.objects.get(iccid=iccid(11)).pk, actor=staff)
    world.fake.force("activate", [63021])
    request_send(request_id=replacement.steps.get().request_id)
    notices_build()  # the stopped replacement, told to the agent (a Supervisor)
    rollup_pass()  # the reports' figures of all the above
    return [
        Visit("/login/", who=None),
        Visit("/"),
        Visit("/sims/"),
        Visit(f"/sims/?q={iccid(1)[-6:]}"),
        Visit("/sims/add/"),
        Visit("/sims/import/"),
        Visit("/sims/import/", press="Check the file"),
        Visit(f"/sims/import/{upload.pk}/"),
        Visit("/sims/adopt/"),
        Visit("/sims/adopt/", press="Check the ICCIDs"),
        Visit(f"/sims/import/{adopting.pk}/"),
        Visit(f"/adoptions/{adoption.pk}/"),
        Visit(f"/sims/{active.iccid}/schedule/"),
        Visit(f"/sims/{active.iccid}/schedule/", press="Schedule it"),
        Visit("/scheduled/"),
        Visit(f"/sims/{unused}/"),
        Visit(f"/sims/{active.iccid}/"),
        Visit(f"/sims/{in_flight.iccid}/"),
        Visit(f"/sims/{unsure.iccid}/"),
        Visit(f"/sims/{suspended.iccid}/"),
        Visit(f"/sims/{adopted}/"),
        Visit(f"/sims/{adopted}/subscriber/"),
        Visit(f"/sims/{adopted}/subscriber/", press="Record the subscriber"),
        Visit(f"/sims/{terminated.iccid}/"),
        Visit(f"/sims/{unused}/activate/"),
        Visit(f"/sims/{unused}/activate/", press="Activate"),
        Visit(f"/sims/{active.iccid}/suspend/"),
        Visit(f"/sims/{active.iccid}/number/"),
        Visit(f"/sims/{active.iccid}/deactivate/"),
        Visit(f"/sims/{active.iccid}/replace/"),
        Visit(f"/sims/{suspended.iccid}/replace/"),
        Visit(f"/sims/{active.iccid}/replace/", press="Next: check what will happen"),
        Visit(f"/sims/{replaced.iccid}/"),
        Visit(f"/sims/{iccid(11)}/"),
        Visit(f"/requests/{lost.pk}/resolve/"),
        Visit("/requests/?who=all"),
        Visit("/numbers/"),
        Visit("/numbers/?show=resting"),
        Visit("/numbers/44113000009/rest/end/"),
        Visit("/numbers/44113000009/rest/end/", press="End its rest"),
        Visit("/batches/"),
        Visit(f"/batches/{batch.pk}/"),
        Visit("/orders/"),
        Visit("/orders/new/"),
        Visit("/orders/new/", press="Send to aql for despatch"),
        Visit(f"/orders/{order.order_ref}/"),
        Visit("/stock/"),
        Visit("/reports/"),
        Visit("/reports/?range=dates&start=2026-06-10&end=2026-06-01&group=week"),  # refused, next to the field
        Visit("/reports/", who="observer"),
        Visit("/notifications/"),
        Visit("/notifications/?show=all"),
        Visit("/notifications/preferences/"),
        Visit("/notifications/preferences/", who="observer"),
        Visit("/account/"),
        Visit("/account/", who="observer"),
        Visit(f"/sims/{active.iccid}/deactivate/", who="observer", status=403),
        Visit("/admin/", who="admin"),
        Visit("/admin/sims/sim/", who="admin"),
        Visit(f"/admin/sims/sim/{active.pk}/change/", who="admin"),
        Visit("/admin/aql-connection/", who="admin"),
    ]


def sign_in_as(page: Page, base: str, who: str | None) -> None:
    """Forget the last user, then sign in through the real form (admin's own for the administrator)."""
    page.context.clear_cookies()
    if who is None:
        return
    page.goto(base + "/login/")  # admin's too: its own form sends here (two factors)
    username = {"agent": "agent", "observer": "olive", "admin": "admin"}[who]
    password_then_code(page, username, "password" if who == "admin" else f"pw-{username}-123")
    expect(page.locator("#user-tools, .top nav")).to_be_visible()


def visit_all(page: Page, base: str, visits: list[Visit], console_errors: list[str],
              check: Callable[[Page, Visit], object]) -> dict[str, object]:
    """Open each page as its user and collect what `check` says about it (None: all well)."""
    found: dict[str, object] = {}
    who: str | bool | None = False  # False: nobody yet, as None is "signed out"
    for visit in visits:
        if visit.who != who:
            sign_in_as(page, base, visit.who)
            who = visit.who
        response = page.goto(base + visit.path)
        assert response is not None
        assert response.status == visit.status, visit.path
        if visit.status == 403:  # the browser logs the refusal it was meant to get: not a page's fault
            console_errors[:] = [e for e in console_errors if "status of 403" not in e]
        if visit.press:
            page.locator("main").get_by_role("button", name=visit.press).click()
            expect(page.locator(".has-error").first).to_be_visible()
        if (said := check(page, visit)) is not None:
            found[f"{visit.path} as {visit.who}{', sent empty' if visit.press else ''}"] = said
    return found


def test_every_named_url_is_visited_or_said_not_to_be_a_page(site: list[Visit]):
    visited = {resolve(urlsplit(v.path).path).view_name for v in site}
    named = set(site_urls())
    assert named - visited - NOT_PAGES.keys() == set(), "pages nobody looks at: add them to the visits"
    assert visited & NOT_PAGES.keys() == set()
    assert any(isinstance(p, URLResolver) and p.namespace == "admin" for p in urlpatterns)


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_scrolls_sideways(page: Page, live_server, site: list[Visit], console_errors: list[str], width: str):
    """Django admin included: its own stylesheet fits a phone; at a tablet's width, with its side menu
    open, its action menu needed static/css/admin.css."""
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))

    def overflow(page: Page, visit: Visit) -> object:
        if page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            return None
        return page.evaluate(SPILLING)

    found = visit_all(page, live_server.url, site, console_errors, overflow)
    assert not found, "running off the side:\n" + "\n".join(f"{page}: {what}" for page, what in found.items())


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_every_page_passes_axe(page: Page, live_server, site: list[Visit], console_errors: list[str], width: str):
    """axe-core is put in the page by page.evaluate, which the Content Security Policy does not govern
    (a <script> tag would be blocked: the page fixture fails on any CSP report). Its "preload" is off:
    it would copy the stylesheets into <style> elements, which the policy blocks, for one rule
    (css-orientation-lock) that our stylesheets give no cause for."""
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    axe = Axe()

    def serious(page: Page, visit: Visit) -> object:
        results = axe.run(page, options={"resultTypes": ["violations"], "preload": False})
        assert len(results.response["passes"]) > 10, "axe-core did not look at the page"
        bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        said = [f"{v['id']}: {v['help']}: {[n['html'][:160] for n in v['nodes']]}" for v in bad]
        # axe-core only asks for a review when an aria-describedby names no element: we say it is wrong
        said += [f"names no element: {ref}" for ref in page.evaluate(DANGLING)]
        return said or None

    found = visit_all(page, live_server.url, site, console_errors, serious)
    assert not found, "axe-core found:\n" + "\n".join(f"{page}: {what}" for page, what in found.items())


def tab_to(page: Page, target: Locator, key: str = "Tab", limit: int = 80) -> None:
    """Press Tab (or `key`) until `target` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} never took the focus")


def test_a_sim_is_activated_with_the_keyboard_alone(page: Page, live_server, world, staff, sign_in):
    sign_in("agent")
    unused = iccid(0)
    page.goto(f"{live_server.url}/sims/{unused}/")
    tab_to(page, page.get_by_role("link", name="Activate…"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Activate SIM {unused}")).to_be_visible()

    tab_to(page, page.get_by_label("Handset IMEI"))
    page.keyboard.type(IMEI)
    page.keyboard.press("Tab")
    number = page.get_by_label("Geographic number")
    expect(number).to_be_focused()
    page.keyboard.type("0113 000 001")  # typed: the free numbers that start so are found as one types
    expect(page.locator("#free-numbers-said")).to_contain_text("Free, starting 0113 000 001: 0113 000 001")
    assert number.input_value() == "0113 000 001"
    chosen = POOL[1]  # sent in aql's form
    typed = {"Subscriber name": ["Ada Lovelace"], "Address": ["11-15 Hunslet Road", "Enter", "Leeds"],
             "Postcode": ["LS10 1JQ"], "Contact phone number": ["0113 320 3040"]}
    for label, keys in typed.items():
        page.keyboard.press("Tab")
        expect(page.get_by_label(label)).to_be_focused()
        for text in keys:
            page.keyboard.press(text) if text == "Enter" else page.keyboard.type(text)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Activate")).to_be_focused()
    page.keyboard.press("Shift+Tab")  # back, and forward again: nothing in between
    expect(page.get_by_label("Contact phone number")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Activate sent: aql is working on it.")).to_be_visible()
    sent = GatewayRequest.objects.get(sim__iccid=unused, command="activate")
    assert sent.params["geo_nos"] == chosen and sent.sim.subscriber.address == "11-15 Hunslet Road, Leeds"
    assert world.fake.count("activate") == 1


def test_keyboard_focus_is_always_visible(page: Page, live_server, site: list[Visit], console_errors: list[str]):
    """Tab through whole pages that hold links, buttons, fields, a select, ticks and a <summary>: each
    stop shows an outline at least 2 px wide (the stylesheet's :focus-visible; Chromium's own is 1 px)."""
    seen: set[str] = set()

    def unmarked(page: Page, visit: Visit) -> object:
        missing = []
        for _ in range(150):  # from the top (or the search box, which takes the focus itself) to the end
            page.keyboard.press("Tab")
            stop = page.evaluate(FOCUSED)
            if stop["tag"] == "body" or stop["again"]:
                break
            seen.add(stop["tag"])
            if not stop["shown"]:
                missing.append(stop["what"])
        return missing or None

    pages = [v for v in site if v.who == "agent" and v.path in ("/sims/", "/numbers/", "/stock/", "/orders/new/",
                                                                 f"/sims/{iccid(1)}/")]
    found = visit_all(page, live_server.url, pages, console_errors, unmarked)
    assert not found, f"focus not shown on: {found}"
    assert seen >= {"a", "button", "input", "select", "textarea", "summary"}, seen


def test_state_is_never_told_by_colour_alone(page: Page, live_server, site: list[Visit], sign_in):
    """Badges carry their words; a low stock row says "Low"; each sparkline has a text alternative
    giving its range, as the numbers under it do."""
    sign_in("agent")
    for path in ("/", "/sims/", "/requests/?who=all", "/orders/", "/stock/"):
        page.goto(live_server.url + path)
        badges = page.locator("main .badge")
        expect(badges.first).to_be_visible()
        for text in badges.all_inner_texts():
            assert text.strip(), f"a badge without words on {path}"
    for path in ("/", "/stock/"):
        page.goto(live_server.url + path)
        for product in Product.objects.all():
            quantities = list(StockLevel.objects.filter(product=product).values_list("quantity", flat=True))
            low, high = min(quantities), max(quantities)
            row = page.get_by_role("row").filter(has_text=product.code)
            chart = row.get_by_role("img")
            between = rf"^{product.code} since .*: between {low:,} and {high:,}$"
            expect(chart).to_have_accessible_name(re.compile(between))
            expect(row).to_contain_text("steady" if low == high else f"{low:,}–{high:,}")
        low_row = page.get_by_role("row").filter(has_text="AQL-123")
        expect(low_row.locator(".badge")).to_have_text("Low")


def test_no_page_shows_a_template_comment(client, site: list[Visit], staff: User, admin_user: User):
    """Every page above, as its user sees it (sent empty where it is pressed): a {# … #} Django did
    not read (one running over lines) would be printed on it. Through Django's client: no browser needed."""
    users = {"agent": staff, "observer": User.objects.get(username="olive"), "admin": admin_user}
    shown = {}
    for visit in site:
        client.logout()
        if visit.who:
            client.force_login(users[visit.who])
        response = client.post(visit.path, {}) if visit.press else client.get(visit.path)
        assert response.status_code == visit.status, visit.path
        if "{#" in response.text or "#}" in response.text:
            shown[visit.path] = response.text[response.text.find("{#") - 80:][:200]
    assert shown == {}
