"""Supervisors and Admins enrol a second factor before they can do anything else; others may."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.cache import cache

from common.models import AuditAction, AuditEvent
from tests.conftest import member_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def newcomer(client):
    """A Supervisor made by an Admin, signed in with the password, no factor yet."""
    user = member_of("Supervisor", "newboss")
    Authenticator.objects.filter(user=user).delete()  # as made in Django admin: nothing enrolled
    response = client.post("/login/", {"username": "newboss", "password": "pw-newboss-123"})
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(user.pk)
    return user


def code_for(secret: str) -> str:
    import time

    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_a_supervisor_without_a_factor_is_sent_to_enrol_from_every_page(client, newcomer):
    for url in ["/", "/sims/", "/numbers/", "/admin/", "/orders/new/"]:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith("/account/?next="), url


def test_a_supervisor_without_a_factor_can_send_nothing(client, newcomer):
    response = client.post("/numbers/", {"numbers": "441134960000"})
    assert response.status_code == 403 and "set one up" in response.text
    response = client.get("/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403 and response["HX-Redirect"] == "/account/"
    assert client.post("/admin/sims/geographicnumber/bulk-add/", {"numbers": "441134960000"}).status_code == 403


@pytest.mark.django_db(transaction=True)  # allauth tells of an enrolment once committed, as in production
def test_enrolling_an_authenticator_app_opens_the_site_and_is_recorded(client, newcomer):
    page = client.get("/account/")
    assert page.status_code == 200 and "set one up below" in page.text
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.url.startswith("/accounts/reauthenticate/")  # allauth: the password again first
    client.post(response.url, {"password": "pw-newboss-123"})
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.status_code == 200
    assert b"<svg" in response.content or b"data:image/svg" in response.content  # the QR code
    secret = client.session["mfa.totp.secret"]
    response = client.post("/accounts/2fa/totp/activate/", {"code": "123456" if code_for(secret) != "123456"
                                                                    else "654321"})
    assert response.status_code == 200 and not Authenticator.objects.filter(user=newcomer).exists()
    response = client.post("/accounts/2fa/totp/activate/", {"code": code_for(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=newcomer, type="totp").exists()
    assert client.get("/").status_code == 200  # the session gave the factor by enrolling
    assert AuditEvent.objects.filter(action=AuditAction.FACTOR_ADDED, actor=newcomer).exists()


def test_the_account_page_lists_factors_and_the_last_required_one_cannot_go(client, staff):
    client.force_login(staff)
    page = client.get("/account/").text
    assert "Authenticator app" in page and "the last one cannot be removed" in page
    response = client.post("/accounts/2fa/totp/deactivate/", follow=True)
    assert Authenticator.objects.filter(user=staff, type="totp").exists()
    assert not AuditEvent.objects.filter(action=AuditAction.FACTOR_REMOVED).exists()
    assert response.status_code in (200, 403)


def test_a_voluntary_factor_can_be_removed_and_that_is_recorded(client):
    from tests.conftest import enrol_totp

    watcher = member_of("Observer", "watcher")
    enrol_totp(watcher)
    client.force_login(watcher)
    # allauth asks for a recent re-check before a factor goes: the session records one as the page would
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "at": __import__("time").time(),
                                                  "type": "totp", "reauthenticated": True}]
    session["account_authentication_methods_user"] = str(watcher.pk)
    session.save()
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=watcher).exists()
    assert AuditEvent.objects.filter(action=AuditAction.FACTOR_REMOVED, actor=watcher).exists()


def test_customer_service_and_observers_are_not_made_to_enrol(client):
    for role, name in [("Customer service", "cs"), ("Observer", "obs")]:
        member_of(role, name)
        client.post("/login/", {"username": name, "password": f"pw-{name}-123"})
        assert client.get("/").status_code == 200
        client.logout()


def test_mfa_required_roles_all_makes_everyone_enrol(client, settings):
    settings.MFA_REQUIRED_ROLES = ["all"]
    member_of("Observer", "obs")  # made before: no factor
    Authenticator.objects.filter(user__username="obs").delete()
    client.post("/login/", {"username": "obs", "password": "pw-obs-123"})
    assert client.get("/").url.startswith("/account/")


def test_a_provider_that_asked_for_mfa_counts_as_the_second_factor(client, newcomer):
    session = client.session
    session["mfa_by_provider"] = True
    session.save()
    assert client.get("/").status_code == 200


def test_a_session_that_skipped_the_factor_is_asked_for_it(client, staff):
    """An enrolled Supervisor whose session never gave the factor (e.g. single sign-on without the
    provider's MFA) is asked for it, not sent to enrol."""
    from django.contrib.auth.signals import user_logged_in

    user_logged_in.disconnect(dispatch_uid="tests-second-factor")  # sign in as a bare session would
    client.force_login(staff)
    response = client.get("/sims/")
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/reauthenticate/")


def test_the_demo_command_shows_the_code_an_app_would(staff, settings):
    from tests.conftest import manage, totp_code

    shown = totp_code(staff)  # first: it waits out a half-minute's last seconds, so the command reads the same one
    assert manage("totp_code", "agent") == (0, shown + "\n")
    settings.LOOPBACK_ONLY = False  # a production machine: codes belong on phones
    status, said = manage("totp_code", "agent")
    assert status != 0 and "development machine" in said


def test_the_api_answers_keys_whoever_the_browser_session_is(client, newcomer):
    from api.keys import key_create

    _, key = key_create(name="crm", role="Supervisor", owner=newcomer, actor=newcomer)
    assert client.get("/api/v1/sims", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200
    assert client.get("/api/v1/docs").url.startswith("/account/")  # the docs are a page like any other
