"""Two factors in Chromium: an authenticator code, a recovery code, a passkey through Chromium's
virtual authenticator (DevTools' WebAuthn domain), and a Supervisor with none sent to enrol."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from playwright.sync_api import Page, expect

from common.models import AuditAction, AuditEvent
from tests.browser.conftest import password_then_code
from tests.conftest import member_of

pytestmark = pytest.mark.django_db(transaction=True)  # the live server's thread sees what the test made


def virtual_authenticator(page: Page) -> None:
    """A platform authenticator that holds passkeys and verifies its user (a fingerprint, as it were)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})


def test_a_supervisor_signs_in_with_an_authenticator_code(page: Page, live_server, sign_in):
    member_of("Supervisor", "sam")
    sign_in("sam")  # password, then the code the app shows now
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_a_supervisor_signs_in_with_a_recovery_code(page: Page, live_server):
    sam = member_of("Supervisor", "sam")
    codes = RecoveryCodes.activate(sam).generate_codes()
    page.goto(live_server.url + "/login/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("pw-sam-123")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Code from your authenticator app, or a recovery code").fill(codes[3])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    assert AuditEvent.objects.filter(action=AuditAction.RECOVERY_CODE_USED, actor=sam).exists()


def test_a_passkey_is_enrolled_then_signs_in(page: Page, live_server, sign_in):
    localhost = live_server.url.replace("127.0.0.1", "localhost")  # the passkey's site is a name, not an address
    virtual_authenticator(page)
    sam = member_of("Supervisor", "sam")
    page.goto(localhost + "/login/")
    password_then_code(page, "sam", "pw-sam-123")
    page.goto(localhost + "/account/")
    page.get_by_role("link", name="Add a passkey or security key").click()
    if "/reauthenticate/" in page.url:  # allauth asks for the password before a factor is added
        page.get_by_label("Password").fill("pw-sam-123")
        page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Name").fill("Laptop")
    page.get_by_role("button", name="Add").click()
    # Where allauth goes once the key is saved (recovery codes when they were made too); not the add
    # page itself, which would match at once and let the next goto cut the form's post short.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/(recovery-codes/|webauthn/(\?|$))"))
    page.goto(localhost + "/account/")
    expect(page.get_by_role("cell", name="Laptop")).to_be_visible()
    assert Authenticator.objects.filter(user=sam, type="webauthn").count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.FACTOR_ADDED, actor=sam, message__contains="Laptop").exists()

    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.goto(localhost + "/login/")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("pw-sam-123")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_a_supervisor_without_a_factor_is_sent_to_enrol_and_reaches_nothing_else(page: Page, live_server):
    newcomer = member_of("Supervisor", "newboss")
    Authenticator.objects.filter(user=newcomer).delete()  # as an Admin makes an account: nothing enrolled
    page.goto(live_server.url + "/login/")
    password_then_code(page, "newboss", "pw-newboss-123")
    expect(page).to_have_url(re.compile(r"/account/"))
    expect(page.get_by_role("alert")).to_contain_text("set one up below before anything else")
    for path in ("/", "/sims/", "/numbers/", "/orders/new/", "/admin/"):
        page.goto(live_server.url + path)
        expect(page).to_have_url(re.compile(r"/account/\?next="))
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page).to_have_url(re.compile(r"/accounts/"))
