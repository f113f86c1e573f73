"""Wide tables at a phone's width (390 px) and a desktop's (1280 px): every staff page (the same
visits as tests/browser/test_every_page.py) keeps what it shows on the screen or inside a box that
scrolls sideways; numbers and ICCIDs are never broken across lines; the SIM list's key columns
are on a phone's screen; Django admin's SIM list keeps each number on one line. Pictures of the
widest tables are taken at both widths (docs/screenshots/ with UPDATE_SCREENSHOTS=1)."""

import pytest
from playwright.sync_api import Page

from tests.browser import test_every_page as every
from tests.browser.test_customer_service import SCREENSHOTS
from tests.conftest import iccid

pytestmark = pytest.mark.django_db(transaction=True)

site = every.site  # the pages, as every browser test sees them
WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}

# Elements that run past the screen's left or right edge, or past the edge of a box that hides what
# overflows it, with no box that scrolls sideways around them: what a person cannot see or reach.
# (An element wholly left of the screen is put there on purpose: the skip link until it has the focus; so is one
# in a box 1 px wide, for screen readers only.)
OUT_OF_REACH = """() => {
    const found = [];
    for (const e of document.querySelectorAll("body *")) {
        const r = e.getBoundingClientRect();
        if (r.width === 0 || r.height === 0 || r.right <= 0 || e.ownerSVGElement) continue;  // an SVG: as a whole
        let left = 0, right = window.innerWidth, scrolls = false, by = "the screen";
        for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
            const overflow = getComputedStyle(a).overflowX;
            if (overflow === "auto" || overflow === "scroll") { scrolls = true; break; }
            if (overflow === "hidden" || overflow === "clip") {
                const box = a.getBoundingClientRect();
                if (box.width <= 1) { scrolls = true; break; }  // hidden on purpose, read by screen readers only
                left = Math.max(left, box.left); right = Math.min(right, box.right); by = a.tagName + "." + a.className;
                break;
            }
        }
        if (!scrolls && (r.right > right + 0.5 || r.left < left - 0.5) && !found.some(f => f.node.contains(e)))
            found.push({node: e, said: `${e.tagName.toLowerCase()}.${e.className} ${Math.round(r.left)}-`
                                       + `${Math.round(r.right)}px (${by}: ${left}-${right})`});
    }
    return found.map(f => f.said);
}"""

# Numbers, ICCIDs and phone numbers (our .mono text, admin's number and ICCID columns) drawn on more
# than one line: each line of an inline element is a rectangle of its own.
BROKEN_NUMBERS = """() => [...document.querySelectorAll(
        ".mono, td.field-number_shown a, th.field-iccid a, td.field-iccid, td.field-number_shown")]
    .filter(e => [...e.getClientRects()].filter(r => r.width > 0).length > 1
                 || (e.firstChild && e.firstChild.nodeType === 3 && (() => {
                     const range = document.createRange(); range.selectNodeContents(e);
                     return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1; })()))
    .map(e => `${e.tagName.toLowerCase()}.${e.className}: ${e.textContent.trim()}`)"""


def sized(page: Page, width: str) -> None:
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_runs_off_the_screen_but_inside_a_box_that_scrolls(page: Page, live_server, site, console_errors,
                                                                  width: str):
    sized(page, width)

    def out_of_reach(page: Page, visit: every.Visit) -> object:
        said = page.evaluate(OUT_OF_REACH)
        if "{#" in page.inner_text("body"):  # a template's comment written over two lines shows as text
            said.append("a template comment shows as text")
        return said or None

    found = every.visit_all(page, live_server.url, site, console_errors, out_of_reach)
    assert not found, "out of reach:\n" + "\n".join(f"{path}: {what}" for path, what in found.items())


@pytest.mark.parametrize("width", WIDTHS)
def test_no_number_or_iccid_is_broken_across_lines(page: Page, live_server, site, console_errors, width: str):
    sized(page, width)

    def broken(page: Page, visit: every.Visit) -> object:
        return page.evaluate(BROKEN_NUMBERS) or None

    found = every.visit_all(page, live_server.url, site, console_errors, broken)
    assert not found, "broken across lines:\n" + "\n".join(f"{path}: {what}" for path, what in found.items())


def on_screen(page: Page, selector: str) -> list[str]:
    """The text of each element `selector` finds that is wholly on the screen."""
    return page.eval_on_selector_all(selector, """cells => cells
        .filter(c => { const r = c.getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth; })
        .map(c => c.textContent.trim())""")


def test_a_phone_shows_the_sim_lists_iccid_state_and_number_without_scrolling(page: Page, live_server, site,
                                                                            sign_in):
    sized(page, "phone")
    sign_in("agent")
    page.goto(f"{live_server.url}/sims/")
    shown = " ".join(on_screen(page, f"main tbody tr:has(a[href$='/{iccid(1)}/']) td"))
    for key in (iccid(1), "Active", "0113 000 001"):
        assert key in shown, (key, shown)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "sim-list-390.png", full_page=True)


def test_the_csv_preview_fits_a_desktops_screen_without_scrolling_sideways(page: Page, live_server, site,
                                                                         sign_in):
    sign_in("agent")
    preview = next(v.path for v in site if v.path.startswith("/sims/import/") and v.path != "/sims/import/")
    page.goto(live_server.url + preview)
    boxes = page.locator("main .table-wrap")
    assert boxes.count() == 2  # the rows left out (each cell wrong, with its message) and the rows to be done
    for box in boxes.all():
        assert box.evaluate("box => box.scrollWidth <= box.clientWidth"), box.inner_text()


def test_pictures_of_the_wide_tables_at_a_phones_width_and_a_desktops(page: Page, live_server, site,
                                                                    console_errors):
    pictures = {"sim-list": "/sims/", "import-preview": next(v.path for v in site if v.path.startswith("/sims/import/")
                                                            and v.path != "/sims/import/"),
                "admin-sims": "/admin/sims/sim/"}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, (pixels, _) in WIDTHS.items():
        sized(page, width)
        visits = [next(v for v in site if v.path == path) for path in pictures.values()]

        def picture(page: Page, visit: every.Visit, pixels: int = pixels) -> None:
            name = next(name for name, path in pictures.items() if path == visit.path)
            page.screenshot(path=SCREENSHOTS / f"{name}-{pixels}.png", full_page=True)

        every.visit_all(page, live_server.url, visits, console_errors, picture)
