"""One's own factors on the account page and allauth's pages behind it: a passkey renamed and removed,
new recovery codes, and the one rule for removing the last factor, kept for passkeys as for the app."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.webauthn.internal.auth import WebAuthn
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache

from access import policy
from common.models import AuditAction, AuditEvent
from tests.conftest import member_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def passkey(user, name: str = "Laptop") -> Authenticator:
    """A passkey as allauth saves one once the browser's ceremony succeeded (tests/browser does that part)."""
    return WebAuthn.add(user, name, {}).instance


def signed_in_just_now(client, user) -> None:
    """Signed in with the factor they have, and re-authenticated a moment ago: allauth asks for that
    before a factor is changed. (Not tests.conftest's sign-in: it would enrol an app for a passkey-only user.)"""
    user_logged_in.disconnect(dispatch_uid="tests-second-factor")
    client.force_login(user)
    factor = Authenticator.objects.filter(user=user, type__in=policy.FACTOR_TYPES).first()
    session = client.session
    session["account_authentication_methods"] = [{"method": "mfa", "at": time.time(), "reauthenticated": True,
                                                  "type": factor.type if factor else "totp"}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


@pytest.fixture
def passkey_only_supervisor():
    """A Supervisor whose one factor is a passkey, with recovery codes beside it."""
    boss = member_of("Supervisor", "keyboss")
    Authenticator.objects.filter(user=boss).delete()  # member_of enrolled an app: this one has a key instead
    key = passkey(boss)
    RecoveryCodes.activate(boss)
    return boss, key


def test_the_last_passkey_of_a_supervisor_is_refused_and_nothing_is_removed(client, passkey_only_supervisor):
    boss, key = passkey_only_supervisor
    signed_in_just_now(client, boss)

    page = client.get(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/")
    assert page.status_code == 200 and policy.LAST_FACTOR_STAYS in page.text
    assert '<button type="submit" class="danger">Remove</button>' not in page.text  # no button to press
    response = client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/")

    assert response.status_code == 200 and policy.LAST_FACTOR_STAYS in response.text
    assert Authenticator.objects.filter(pk=key.pk).exists()
    assert Authenticator.objects.filter(user=boss, type=Authenticator.Type.RECOVERY_CODES).exists()
    assert not AuditEvent.objects.filter(action=AuditAction.FACTOR_REMOVED).exists()  # refusals are not recorded
    assert client.get("/").status_code == 200  # and they keep working with their passkey


def test_the_account_page_offers_no_remove_on_the_last_required_factor_and_says_why(client, passkey_only_supervisor):
    boss, key = passkey_only_supervisor
    signed_in_just_now(client, boss)

    page = client.get("/account/").text

    assert f"/accounts/2fa/webauthn/keys/{key.pk}/remove/" not in page
    assert f"Cannot be removed. {policy.LAST_FACTOR_STAYS}" in page
    assert f"/accounts/2fa/webauthn/keys/{key.pk}/edit/" in page  # renaming it is fine


def test_beside_an_authenticator_app_a_passkey_is_removed_and_that_is_recorded(client, staff):
    key = passkey(staff, "Old key")
    signed_in_just_now(client, staff)
    page = client.get("/account/").text
    assert f"/accounts/2fa/webauthn/keys/{key.pk}/remove/" in page and "/accounts/2fa/totp/deactivate/" in page

    response = client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/")

    assert response.status_code == 302 and response.url == "/account/"
    assert not Authenticator.objects.filter(pk=key.pk).exists()
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    removed = AuditEvent.objects.get(action=AuditAction.FACTOR_REMOVED)
    assert removed.actor == staff and removed.message == "Second factor removed: passkey / security key “Old key”."
    # The app is the last one now: the page no longer offers its removal, and the server refuses it.
    page = client.get("/account/").text
    assert "/accounts/2fa/totp/deactivate/" not in page and "Cannot be removed." in page
    response = client.post("/accounts/2fa/totp/deactivate/")
    assert response.status_code == 200 and policy.LAST_FACTOR_STAYS in response.text
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()


def test_recovery_codes_are_not_a_factor_left(staff):
    """One rule for both: the app beside recovery codes alone is the last factor, as a passkey would be."""
    Authenticator.objects.filter(user=staff).exclude(type=Authenticator.Type.TOTP).delete()
    RecoveryCodes.activate(staff)
    factors = Authenticator.objects.filter(user=staff)
    app = factors.get(type=Authenticator.Type.TOTP)

    assert not policy.may_remove_factor(app, required=True, factors=factors)
    assert policy.may_remove_factor(app, required=False, factors=factors)
    assert policy.may_remove_factor(factors.get(type=Authenticator.Type.RECOVERY_CODES), required=True,
                                    factors=factors)


def test_a_passkey_is_renamed_and_the_account_page_shows_the_new_name(client, staff):
    key = passkey(staff, "Laptop")
    signed_in_just_now(client, staff)
    edit = f"/accounts/2fa/webauthn/keys/{key.pk}/edit/?next=/account/"
    assert edit in client.get("/account/").text.replace("&amp;", "&")

    response = client.post(edit, {"name": "Work YubiKey"})

    assert response.status_code == 302 and response.url == "/account/"
    key.refresh_from_db()
    assert key.data["name"] == "Work YubiKey"
    page = client.get("/account/").text
    assert "<td>Work YubiKey</td>" in page and "Laptop" not in page


def test_making_new_recovery_codes_is_recorded_and_the_old_ones_stop_working(
        client, staff, django_capture_on_commit_callbacks):
    old = RecoveryCodes.activate(staff).generate_codes()
    signed_in_just_now(client, staff)

    with django_capture_on_commit_callbacks(execute=True):  # allauth tells of new codes once committed
        response = client.post("/accounts/2fa/recovery-codes/generate/")

    assert response.status_code == 302
    made = AuditEvent.objects.get(action=AuditAction.RECOVERY_CODES_MADE)
    assert made.actor == staff and made.message == "New recovery codes made: the old ones no longer work."
    codes = Authenticator.objects.get(user=staff, type=Authenticator.Type.RECOVERY_CODES).wrap()
    assert not codes.validate_code(old[0])


def test_customer_service_may_remove_their_last_factor(client):
    clerk = member_of("Customer service", "clerk")
    key = passkey(clerk, "Phone")
    signed_in_just_now(client, clerk)
    assert f"/accounts/2fa/webauthn/keys/{key.pk}/remove/" in client.get("/account/").text

    response = client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/")

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=clerk).exists()
    assert AuditEvent.objects.filter(action=AuditAction.FACTOR_REMOVED, actor=clerk,
                                     message__contains="“Phone”").exists()
    assert client.get("/").status_code == 200  # nothing asks them to enrol


def test_nobody_removes_someone_elses_passkey(client, staff):
    key = passkey(member_of("Customer service", "clerk"))
    signed_in_just_now(client, staff)

    assert client.post(f"/accounts/2fa/webauthn/keys/{key.pk}/remove/").status_code == 404
    assert Authenticator.objects.filter(pk=key.pk).exists()
