"""Signing in through the pages: a password, then the second factor; django-axes in front of both."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core.cache import cache

from common.models import AuditAction, AuditEvent
from tests.conftest import member_of, totp_code

pytestmark = pytest.mark.django_db
STEP2 = "/accounts/2fa/authenticate/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()  # allauth remembers used TOTP codes for their 30 s: each test starts afresh


def password(client, username: str, secret: str | None = None):
    return client.post("/login/", {"username": username, "password": secret or f"pw-{username}-123"})


def test_a_supervisor_signs_in_with_a_password_then_an_authenticator_code(client, staff):
    response = password(client, "agent")
    assert response.status_code == 302 and response.url == STEP2
    assert "_auth_user_id" not in client.session  # not signed in on the password alone
    assert client.get("/").status_code == 302
    response = client.post(STEP2, {"code": totp_code(staff)})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(staff.pk)
    assert client.get("/").status_code == 200


def test_a_recovery_code_signs_in_once_and_its_use_is_recorded(client, staff):
    codes = RecoveryCodes.activate(staff).generate_codes()
    password(client, "agent")
    assert client.post(STEP2, {"code": codes[0]}).status_code == 302
    assert client.get("/").status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.RECOVERY_CODE_USED)
    assert event.actor == staff and "9 left" in event.message
    client.logout()
    password(client, "agent")
    response = client.post(STEP2, {"code": codes[0]})  # used up
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_wrong_code_is_refused_recorded_and_counted_by_axes_until_locked(client, staff):
    password(client, "agent")
    for _ in range(4):
        response = client.post(STEP2, {"code": "000000"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action=AuditAction.FACTOR_FAILED, subject="agent").count() == 4
    assert client.post(STEP2, {"code": "000000"}).status_code == 429  # the fifth failure locks
    response = client.post(STEP2, {"code": totp_code(staff)})  # even the right code now
    assert response.status_code == 429 and b"Too many sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session
    client.cookies.clear()
    assert password(client, "agent").status_code == 429  # and the password step too: one count


def test_wrong_passwords_then_wrong_codes_add_up_to_one_lockout(client, staff):
    for _ in range(3):
        password(client, "agent", "wrong")
    password(client, "agent")  # a right password does not wipe the count: only a whole sign-in does
    client.post(STEP2, {"code": "000000"})
    assert client.post(STEP2, {"code": "000000"}).status_code == 429


def test_a_whole_sign_in_clears_the_count(client, staff):
    for _ in range(4):
        password(client, "agent", "wrong")
    password(client, "agent")
    client.post(STEP2, {"code": totp_code(staff)})
    client.logout()
    for _ in range(4):
        assert password(client, "agent", "wrong").status_code == 200  # four more allowed again


def test_an_observer_without_a_factor_signs_in_with_the_password_alone(client):
    member_of("Observer", "watcher")
    response = password(client, "watcher")
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200


def test_an_observer_who_enrolled_is_asked_for_the_code_too(client):
    from tests.conftest import enrol_totp

    watcher = member_of("Observer", "watcher")
    enrol_totp(watcher)
    assert password(client, "watcher").url == STEP2
    client.post(STEP2, {"code": totp_code(watcher)})
    assert client.get("/").status_code == 200


def test_nobody_signs_up(client):
    response = client.get("/accounts/signup/")
    assert b"Sign Up Closed" in response.content or response.status_code in (403, 404)
    client.post("/accounts/signup/", {"username": "intruder", "password1": "Xy-12345678", "password2": "Xy-12345678"})
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="intruder").exists()


def test_the_sign_in_page_keeps_its_fields_and_words(client):
    page = client.get("/login/").text
    assert 'name="username"' in page and 'id="id_username"' in page and 'name="password"' in page
    assert "Sign in" in page
    assert Authenticator.objects.count() == 0
