"""Playwright driving Debian's Chromium against the live server and the simulator over loopback.

The browser lives for one module at a time: while Playwright's event loop runs, Django would
refuse ORM calls from this thread (its async-safety check), so DJANGO_ALLOW_ASYNC_UNSAFE is
set only around these tests and the loop is gone before the unit tests run.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# Flags from the machine's notes: as root, headless, and quiet on a closed network.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
# The site has no icon: Chromium's own request for one is answered 404, which is no page's fault.
NO_FAVICON = "/favicon.ico"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """What the browser shows is the same whatever database the pages read: these tests are marked
    one_database (.ci/run's PostgreSQL pass leaves them out; the views under them run there in
    tests/web and tests/api, the worker in tests/worker)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.one_database)


@pytest.fixture(scope="module", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """For as long as this module's browser lives (the tests' database teardown included)."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture(scope="module")
def browser(_allow_orm_beside_playwright: None) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    """What the page said went wrong (console errors, uncaught exceptions): none is expected. A test
    that causes one on purpose (a 403 page's own status) takes it out of this list."""
    return []


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, console_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    blocked: list[str] = []  # what the Content Security Policy stopped: a page relying on it is broken
    page.on("console", lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.on("console", lambda msg: console_errors.append(f"{msg.text} ({msg.location.get('url', '')})")
            if msg.type == "error" and not msg.location.get("url", "").endswith(NO_FAVICON) else None)
    page.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:  # a failing browser test leaves a picture of what it saw
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"{request.node.name}.png", full_page=True)
    context.close()
    assert not blocked, f"the browser blocked: {blocked}"
    assert not console_errors, f"the browser reported errors: {console_errors}"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """allauth remembers a used authenticator code for its 30 seconds (in the cache): each test starts
    afresh, so signing in as the same user in two tests within one half-minute is no replay."""
    from django.core.cache import cache

    cache.clear()


def password_then_code(page: Page, username: str, password: str) -> None:
    """The sign-in form, then (for whoever has an authenticator app) the code it shows now."""
    from django.contrib.auth import get_user_model

    from tests.conftest import totp_code

    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login/" not in url)  # the password step answered (a click does not wait)
    if "/accounts/2fa/authenticate/" in page.url:
        from django.core.cache import cache

        # A test signs the same person in again within one half-minute (switching users page by page):
        # allauth would refuse the code as a replay. The live server shares this process's cache: forget it,
        # as the next half-minute's code would be new.
        cache.clear()
        code = totp_code(get_user_model().objects.get(username=username))
        page.get_by_label("Code from your authenticator app, or a recovery code").fill(code)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/2fa/authenticate/" not in url)  # signed in, before the test goes on


@pytest.fixture
def sign_in(page: Page, live_server) -> Callable[[str], None]:
    """Sign in through the real form as a user made by `tests.conftest.member_of` (or `staff`: agent),
    giving the second factor where their role has one."""

    def sign_in_as(username: str) -> None:
        page.goto(live_server.url + "/")
        expect(page).to_have_url(re.compile(r"/login/"))
        password_then_code(page, username, f"pw-{username}-123")
        expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    return sign_in_as


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
