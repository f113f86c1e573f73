"""Actions that matter ask for the second factor again when it was given too long ago; an Admin can
reset a locked-out colleague's factors, and that is recorded."""

import time

import pytest
from allauth.mfa.models import Authenticator
from django.core.cache import cache

from common.models import AuditAction, AuditEvent
from sims.models import GeographicNumber
from tests.conftest import POOL, member_of, totp_code
from tests.web.test_number_rests import resting

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def age_the_factor(client, minutes: int) -> None:
    """As if this session gave its second factor `minutes` ago."""
    session = client.session
    for record in session["account_authentication_methods"]:
        record["at"] -= minutes * 60
    session.save()


@pytest.fixture
def admin_user():
    boss = member_of("Admin", "boss")
    boss.is_staff = True
    boss.save()
    return boss


def test_ending_a_rest_early_asks_for_the_factor_again_then_does_it(agent, staff, world):
    resting([POOL[5]])
    age_the_factor(agent, 6)
    response = agent.post(f"/numbers/{POOL[5]}/rest/end/", {"reason": "ported away"})
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/reauthenticate/?next=")
    assert GeographicNumber.objects.get(number=POOL[5]).rests_until is not None  # not yet
    assert agent.post(response.url, {"code": "000000"}).status_code == 200  # a wrong code: asked again
    assert AuditEvent.objects.filter(action=AuditAction.FACTOR_FAILED, actor=staff).exists()
    agent.post(response.url, {"code": totp_code(staff)})  # the kept form is sent on
    assert GeographicNumber.objects.get(number=POOL[5]).rests_until is None


def test_within_the_minutes_nothing_is_asked(agent, world, settings):
    resting([POOL[5]])
    age_the_factor(agent, settings.MFA_RECHECK_MINUTES - 1)
    response = agent.post(f"/numbers/{POOL[5]}/rest/end/", {"reason": "ported away"})
    assert response.status_code == 302 and not response.url.startswith("/accounts/")
    assert GeographicNumber.objects.get(number=POOL[5]).rests_until is None


def test_settling_by_hand_asks_again(agent, world):
    age_the_factor(agent, 10)
    response = agent.post("/requests/1/resolve/", {"happened": "yes", "confirm": "on"})
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/reauthenticate/")


def test_making_an_api_key_and_changing_roles_ask_again(client, admin_user):
    client.force_login(admin_user)
    age_the_factor(client, 10)
    response = client.post("/admin/api/apikey/add/", {"name": "crm", "owner": admin_user.pk})
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/reauthenticate/")
    response = client.post(f"/admin/auth/user/{admin_user.pk}/change/", {"username": "boss"})
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/reauthenticate/")
    assert client.get(f"/admin/auth/user/{admin_user.pk}/change/").status_code == 200  # reading is not acting


def test_django_admins_end_rest_and_settle_by_hand_actions_ask_again(client, admin_user, world):
    resting([POOL[5]])
    number = GeographicNumber.objects.get(number=POOL[5])
    client.force_login(admin_user)
    age_the_factor(client, 10)
    response = client.post("/admin/sims/geographicnumber/", {"action": "end_rest", "_selected_action": [number.pk],
                                                             "reason": "ported away"})
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/reauthenticate/")
    assert GeographicNumber.objects.get(number=POOL[5]).rests_until is not None  # not yet
    response = client.post("/admin/sims/gatewayrequest/", {"action": "settle_by_hand", "_selected_action": [1]})
    assert response.status_code == 302 and response.url.startswith("/accounts/2fa/reauthenticate/")
    assert client.get("/admin/sims/geographicnumber/").status_code == 200  # reading is not acting


def test_an_admin_resets_a_colleagues_factors_and_it_is_recorded(client, admin_user, staff):
    client.force_login(admin_user)
    response = client.post("/admin/auth/user/", {"action": "reset_second_factors", "_selected_action": [staff.pk]})
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=staff).exists()
    event = AuditEvent.objects.get(action=AuditAction.FACTORS_RESET)
    assert event.actor == admin_user and event.subject == "agent" and "TOTP" in event.message
    # the colleague signs in with the password and is sent to enrol
    client.logout()
    client.post("/login/", {"username": "agent", "password": "pw-agent-123"})
    assert client.get("/").url.startswith("/account/")


def test_an_admin_cannot_reset_their_own_factors_from_the_list(client, admin_user):
    client.force_login(admin_user)
    client.post("/admin/auth/user/", {"action": "reset_second_factors", "_selected_action": [admin_user.pk]})
    assert Authenticator.objects.filter(user=admin_user).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.FACTORS_RESET).exists()



def provider_signed_in(client, minutes_ago: int):
    """A Supervisor with no factor here whose provider's sign-in, `minutes_ago`, named a second factor."""
    from django.contrib.auth.signals import user_logged_in

    boss = member_of("Supervisor", "ssoboss")
    Authenticator.objects.filter(user=boss).delete()
    user_logged_in.disconnect(dispatch_uid="tests-second-factor")  # a single sign-on enrols nothing here
    client.force_login(boss)
    session = client.session
    session["account_authentication_methods"] = [{"method": "socialaccount", "at": time.time() - minutes_ago * 60,
                                                  "provider": "sso", "uid": "ssoboss"}]
    session["account_authentication_methods_user"] = str(boss.pk)
    session["mfa_by_provider"] = True
    session.save()
    return boss


def test_a_second_factor_given_at_the_provider_is_asked_again_there(client, world):
    provider_signed_in(client, 10)
    resting([POOL[5]])
    response = client.post(f"/numbers/{POOL[5]}/rest/end/", {"reason": "ported away"})
    assert response.status_code == 302
    assert response.url == f"/accounts/sso/recheck/?next=%2Fnumbers%2F{POOL[5]}%2Frest%2Fend%2F"
    assert GeographicNumber.objects.get(number=POOL[5]).rests_until is not None  # not yet (tests/sso: the rest)


def test_a_second_factor_given_at_the_provider_within_the_minutes_is_not_asked_again(client, world, settings):
    provider_signed_in(client, settings.MFA_RECHECK_MINUTES - 1)
    resting([POOL[5]])
    response = client.post(f"/numbers/{POOL[5]}/rest/end/", {"reason": "ported away"})
    assert response.status_code == 302 and not response.url.startswith("/accounts/")
    assert GeographicNumber.objects.get(number=POOL[5]).rests_until is None
