"""Single sign-on in Chromium: the sign-in page's button, the real provider's form on loopback, and
back to the dashboard in the mapped role, or to a refusal in words."""

import copy
import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.sso.provider import NAME, oidc_provider, provider

__all__ = ["oidc_provider", "provider"]

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sso_site(provider, settings):
    """The CSP the settings make when OIDC_SERVER_URL is set: the button's redirect goes to the provider."""
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"] = [*policy["DIRECTIVES"]["form-action"], provider.issuer]
    settings.CONTENT_SECURITY_POLICY = policy
    return provider


def through_the_provider(page: Page, live_server, username: str) -> None:
    page.goto(live_server.url + "/sims/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/sims/"))
    page.get_by_role("button", name=f"Sign in with {NAME}").click()
    expect(page.get_by_role("heading", name="Test provider")).to_be_visible()
    page.get_by_label("Provider username").fill(username)
    page.get_by_label("Provider password").fill(f"pw-{username}-at-provider")
    page.get_by_role("button", name="Continue").click()


def test_a_customer_service_agent_signs_in_with_the_provider_and_lands_where_they_were_going(
        page: Page, live_server, sso_site):
    through_the_provider(page, live_server, "sam")

    expect(page).to_have_url(live_server.url + "/sims/")
    expect(page.get_by_role("button", name="Sign out sam")).to_be_visible()
    sam = get_user_model().objects.get(username="sam")
    assert set(sam.groups.values_list("name", flat=True)) == {"Customer service"}


def test_someone_the_provider_gives_no_role_sees_why_and_is_not_signed_in(page: Page, live_server, sso_site,
                                                                        console_errors: list[str]):
    through_the_provider(page, live_server, "nora")

    expect(page.get_by_role("heading", name="Sign-in refused")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("in no group that has a role here")
    console_errors.clear()  # the refusal's own 403 status
    page.get_by_role("link", name="Back to the sign-in page").click()
    expect(page.get_by_role("button", name=f"Sign in with {NAME}")).to_be_visible()
    assert not get_user_model().objects.filter(username="nora").exists()
