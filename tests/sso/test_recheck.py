"""The second factor asked again of someone whose second factor is the provider's and who has none
here: before a sensitive action they sign in at the real provider on loopback again (prompt=login,
max_age=0), and the action they sent is done on their return, only if the provider says it asked for
a second factor just now."""

import re
import time
from urllib.parse import urljoin

import pytest
import requests
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore

from common.models import AuditAction, AuditEvent
from sims.models import GeographicNumber
from sims.services import number_add
from sso import recheck
from tests.conftest import POOL
from tests.sso.provider import NAME, session_of, sign_in
from tests.web.test_number_rests import resting

pytestmark = pytest.mark.django_db(transaction=True)
NUMBER = POOL[5]


@pytest.fixture
def resting_number(provider) -> str:
    number_add(numbers=[NUMBER])
    resting([NUMBER])
    return NUMBER


def rests(number: str) -> bool:
    return GeographicNumber.objects.get(number=number).rests_until is not None


def age_the_sign_in(browser: requests.Session, minutes: int) -> None:
    """As if this browser's sign-in (and the provider's second factor with it) was `minutes` ago."""
    key = browser.cookies["sessionid"]
    store = SessionStore(session_key=key)
    session = store.load()
    for record in session["account_authentication_methods"]:
        record["at"] -= minutes * 60
    store.update(session)
    store.save()


def end_the_rest(live_server, browser: requests.Session, number: str) -> requests.Response:
    """A Supervisor ends a number's rest early: the form posted, every redirect followed."""
    return browser.post(f"{live_server.url}/numbers/{number}/rest/end/", timeout=10,
                        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"], "reason": "ported away"})


def press_confirm(browser: requests.Session, page: requests.Response) -> requests.Response:
    """Our re-check page's button (the form beside the header's sign-out one): off to the provider."""
    form = re.search(r'<form method="post" action="([^"]+)" class="stack">\s*<input type="hidden" '
                     r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert form and f"Confirm with {NAME}" in page.text, page.text
    action = form.group(1).replace("&amp;", "&")
    return browser.post(urljoin(page.url, action), data={"csrfmiddlewaretoken": form.group(2)}, timeout=10)


def confirm_at_the_provider(browser: requests.Session, page: requests.Response, username: str) -> requests.Response:
    """Our re-check page's button, then the provider's sign-in form (asked again), and back."""
    at_provider = press_confirm(browser, page)
    login = re.search(r'<form method="post" action="([^"]+)"', at_provider.text)
    assert login and "Provider password" in at_provider.text, at_provider.text  # signed in there, yet asked again
    back = browser.post(urljoin(at_provider.url, login.group(1)), timeout=10,
                        data={"username": username, "password": f"pw-{username}-at-provider"})
    return submitted(browser, back)


def submitted(browser: requests.Session, page: requests.Response) -> requests.Response:
    """What a browser's script does with the provider's self-submitting page (it shows one to end its
    session of one person before signing in another): the form sent, and where it leads."""
    while "<title>Submitting Callback</title>" in page.text:
        action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        page = browser.post(urljoin(page.url, action), data=fields, timeout=10)
    return page


@pytest.fixture
def max_signed_in(live_server, provider, resting_number) -> requests.Session:
    """Max, a Supervisor whose provider asked for a second factor, no factor here, signed in 10 minutes ago."""
    browser, page = sign_in(live_server, "max")
    assert "<h1>Dashboard</h1>" in page.text
    assert not Authenticator.objects.filter(user__username="max").exists()
    age_the_sign_in(browser, 10)
    return browser


def test_ending_a_rest_sends_them_to_the_provider_again_and_is_done_on_their_return(live_server, max_signed_in):
    page = end_the_rest(live_server, max_signed_in, NUMBER)

    assert page.url.startswith(f"{live_server.url}/accounts/sso/recheck/?next=")
    assert "Your second factor again" in page.text
    assert rests(NUMBER)  # not yet

    back = confirm_at_the_provider(max_signed_in, page, "max")

    assert back.status_code == 200 and back.url == f"{live_server.url}/numbers/?show=resting", back.text[:500]
    assert not rests(NUMBER)  # the form sent before was kept and sent on
    ended = AuditEvent.objects.get(action=AuditAction.NUMBER_REST_ENDED)
    assert ended.actor_name == "max"
    steps = session_of(max_signed_in)["account_authentication_methods"]
    assert steps[-1]["method"] == "socialaccount" and steps[-1]["reauthenticated"] is True
    assert time.time() - steps[-1]["at"] < 60
    # Given just now: the next action within the minutes is not asked again.
    resting([NUMBER])
    again = end_the_rest(live_server, max_signed_in, NUMBER)
    assert again.url == f"{live_server.url}/numbers/?show=resting" and not rests(NUMBER)


def test_without_a_second_factor_at_the_provider_this_time_it_is_refused_and_nothing_is_done(
        live_server, provider, max_signed_in):
    provider.set("max", amr=["pwd"])
    page = end_the_rest(live_server, max_signed_in, NUMBER)

    back = confirm_at_the_provider(max_signed_in, page, "max")

    assert back.status_code == 403 and "Second factor not confirmed" in back.text
    assert f"{NAME} did not say that it asked for your second factor this time." in back.text
    assert "set up a second factor here" in back.text
    assert rests(NUMBER)
    refused = AuditEvent.objects.get(action=AuditAction.FACTOR_FAILED)
    assert refused.actor_name == "max" and "asked again through" in refused.message
    assert session_of(max_signed_in)["_auth_user_id"] == str(get_user_model().objects.get(username="max").pk)


def test_someone_else_signing_in_at_the_provider_does_not_count(live_server, provider, max_signed_in):
    sign_in(live_server, "olu")  # another person this site knows, in another browser
    page = end_the_rest(live_server, max_signed_in, NUMBER)

    back = confirm_at_the_provider(max_signed_in, page, "olu")

    assert back.status_code == 403 and "as someone else than the person signed in here" in back.text, back.text
    assert rests(NUMBER)
    session = session_of(max_signed_in)
    assert session["_auth_user_id"] == str(get_user_model().objects.get(username="max").pk)  # still max, not olu


def test_a_provider_that_answers_from_its_earlier_sign_in_does_not_count(live_server, max_signed_in, monkeypatch):
    """As a provider that ignores prompt=login and max_age would: no new sign-in, so no fresh auth_time."""
    monkeypatch.setattr(recheck, "AUTH_PARAMS", {})
    page = end_the_rest(live_server, max_signed_in, NUMBER)

    back = press_confirm(max_signed_in, page)  # the provider answers at once: no form, no new sign-in

    assert back.status_code == 403 and "did not sign you in again" in back.text, back.text
    assert rests(NUMBER)


def test_the_recheck_page_reached_by_hand_does_nothing_without_the_factor(live_server, max_signed_in):
    page = max_signed_in.get(f"{live_server.url}/accounts/sso/recheck/?next=/numbers/{NUMBER}/rest/end/", timeout=10)

    assert page.status_code == 200 and f"Confirm with {NAME}" in page.text
    assert rests(NUMBER)
