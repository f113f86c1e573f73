"""Single sign-on end to end: our live server and the real provider on loopback, a person's browser
played by a requests session following every redirect and filling in the provider's form."""

import socket

import pytest
import requests
from django.contrib.auth import get_user_model

from common.models import AuditAction, AuditEvent
from tests.sso.provider import GROUPS, NAME, session_of, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def roles_of(username: str) -> set[str]:
    user = get_user_model().objects.get(username=username)
    return set(user.groups.values_list("name", flat=True))


@pytest.mark.parametrize(("username", "role"), [("olu", "Observer"), ("sam", "Customer service"),
                                                ("priya", "Supervisor"), ("ada", "Admin")])
def test_a_person_signs_in_with_the_role_their_provider_group_maps_to(live_server, provider, username, role):
    _, page = sign_in(live_server, username)

    assert page.status_code == 200, page.text
    if role in ("Supervisor", "Admin"):  # no second factor at the provider: ours is asked, enrolment first
        assert "<h1>Your account: " in page.text and "<h1>Dashboard</h1>" not in page.text
    else:
        assert page.url == live_server.url + "/" and "<h1>Dashboard</h1>" in page.text
    assert f"Sign out {username}" in page.text
    user = get_user_model().objects.get(username=username)
    assert roles_of(username) == {role}
    assert user.is_active and not user.has_usable_password()  # made by the sign-in, no password to guess
    assert user.email == f"{username}@example.test"
    assert user.is_staff == (role == "Admin")  # Django admin asks for the staff flag
    signed_in = AuditEvent.objects.get(action=AuditAction.SIGNED_IN, actor=user)
    assert signed_in.message == f"Signed in with {NAME} as {role}." and signed_in.interface == "web"
    assert AuditEvent.objects.filter(action=AuditAction.ROLES_CHANGED, subject=username,
                                     message__endswith=f"none before, {role} now.").count() == 1


def test_someone_in_no_mapped_group_is_refused_and_nothing_is_made(live_server, provider):
    people = get_user_model().objects.count()

    browser, page = sign_in(live_server, "nora")

    assert page.status_code == 403
    assert "Sign-in refused" in page.text and "in no group that has a role here" in page.text
    assert get_user_model().objects.count() == people
    assert not get_user_model().objects.filter(username="nora").exists()
    assert "_auth_user_id" not in session_of(browser)
    assert browser.get(live_server.url + "/").url.startswith(live_server.url + "/login/")
    refused = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert refused.subject == "nora" and "refused" in refused.message


def test_a_role_change_at_the_provider_applies_at_the_next_sign_in(live_server, provider):
    sign_in(live_server, "sam")
    assert roles_of("sam") == {"Customer service"}

    provider.set("sam", groups=[GROUPS["Supervisor"], GROUPS["Observer"]])
    assert roles_of("sam") == {"Customer service"}, "nothing changes here until sam signs in again"
    _, page = sign_in(live_server, "sam")

    assert page.status_code == 200 and "<h1>Your account: sam" in page.text  # a Supervisor now: enrol first
    assert roles_of("sam") == {"Supervisor", "Observer"}
    assert get_user_model().objects.filter(username__startswith="sam").count() == 1  # the same account
    change = AuditEvent.objects.filter(action=AuditAction.ROLES_CHANGED, subject="sam").first()
    assert change.message.endswith("Customer service before, Observer, Supervisor now.")
    assert change.actor_name == "system"  # the provider changed them; we applied it


def test_removed_from_every_mapped_group_the_account_loses_its_roles_and_is_deactivated(live_server, provider):
    first, _ = sign_in(live_server, "priya")
    assert first.get(live_server.url + "/").status_code == 200

    provider.set("priya", groups=["everyone"])
    _, page = sign_in(live_server, "priya")

    assert page.status_code == 403 and "has been deactivated" in page.text
    priya = get_user_model().objects.get(username="priya")
    assert not priya.is_active and roles_of("priya") == set()
    assert AuditEvent.objects.filter(action=AuditAction.DEACTIVATED, subject="priya").exists()
    # The session priya opened before is over too.
    assert first.get(live_server.url + "/").url.startswith(live_server.url + "/login/")


def test_a_disabled_account_is_refused_and_deactivated(live_server, provider):
    provider.set("dee", account_disabled=False)
    sign_in(live_server, "dee")
    assert get_user_model().objects.get(username="dee").is_active

    provider.set("dee", account_disabled=True)
    _, page = sign_in(live_server, "dee")

    assert page.status_code == 403 and "says this account is disabled" in page.text
    dee = get_user_model().objects.get(username="dee")
    assert not dee.is_active and roles_of("dee") == set()
    deactivated = AuditEvent.objects.get(action=AuditAction.DEACTIVATED, subject="dee")
    assert "Customer service before" in deactivated.message and "disabled" in deactivated.message


def test_a_disabled_account_never_seen_before_is_refused_and_not_made(live_server, provider):
    _, page = sign_in(live_server, "dee")

    assert page.status_code == 403 and "says this account is disabled" in page.text
    assert not get_user_model().objects.filter(username="dee").exists()


def test_a_deactivated_account_stays_refused_when_the_provider_lets_it_in_again(live_server, provider):
    sign_in(live_server, "sam")
    provider.set("sam", groups=[])
    sign_in(live_server, "sam")
    provider.set("sam", groups=[GROUPS["Customer service"]])

    _, page = sign_in(live_server, "sam")

    assert page.status_code == 403 and "an Admin can reactivate it" in page.text
    assert not get_user_model().objects.get(username="sam").is_active


def test_a_second_factor_at_the_provider_sets_the_flag_for_ours(live_server, provider):
    browser, page = sign_in(live_server, "max")

    assert page.status_code == 200 and "<h1>Dashboard</h1>" in page.text
    session = session_of(browser)
    assert session["mfa_by_provider"] is True
    assert session["_auth_user_id"] == str(get_user_model().objects.get(username="max").pk)
    assert AuditEvent.objects.get(action=AuditAction.SIGNED_IN).message.endswith("(second factor at the provider).")


def test_without_a_second_factor_at_the_provider_the_flag_is_absent(live_server, provider):
    browser, page = sign_in(live_server, "priya")

    assert page.status_code == 200 and "<h1>Your account: priya" in page.text  # ours is asked instead
    session = session_of(browser)
    assert "_auth_user_id" in session and "mfa_by_provider" not in session


def test_someone_whose_address_an_account_here_has_is_refused_not_joined(live_server, provider):
    get_user_model().objects.create_user("sam.local", email="sam@example.test", password="pw-sam-local-123")

    _, page = sign_in(live_server, "sam")

    assert page.status_code == 403 and "already has the address sam@example.test" in page.text
    assert not get_user_model().objects.filter(username="sam").exists()
    assert not get_user_model().objects.get(username="sam.local").socialaccount_set.exists()


def test_a_wrong_password_at_the_provider_never_reaches_us(live_server, provider):
    _, page = sign_in(live_server, "ada", password="not-adas-password")

    assert page.status_code == 401 and "Wrong username or password." in page.text
    assert not get_user_model().objects.filter(username="ada").exists()


def test_an_answer_that_cannot_be_trusted_is_refused_in_words_and_recorded(live_server, provider):
    browser = requests.Session()
    page = browser.get(live_server.url + "/accounts/oidc/sso/login/callback/?code=made-up&state=made-up", timeout=10)

    assert page.status_code == 401 and "Sign-in did not complete" in page.text
    assert "did not complete" in AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED).message
    assert get_user_model().objects.filter(socialaccount__isnull=False).count() == 0


def test_a_provider_that_does_not_answer_is_said_in_words(live_server, provider, settings):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        settings.OIDC_SERVER_URL = f"http://127.0.0.1:{closed.getsockname()[1]}"
    browser = requests.Session()
    browser.get(live_server.url + "/login/", timeout=10)
    page = browser.post(live_server.url + "/accounts/oidc/sso/login/", timeout=10,
                        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"], "process": "login"})

    assert page.status_code == 401 and "Sign-in did not complete" in page.text, page.text[:500]
    failed = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert failed.message == f"Sign-in with {NAME} did not complete (unreachable: ConnectionError)."
