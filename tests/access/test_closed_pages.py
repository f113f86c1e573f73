"""allauth's pages this site does not offer answer 404, signed in or not: no sign-up, no addresses or
passwords by e-mail, no password for an account single sign-on made, no linking of accounts. The
pages it does use still answer."""

import pytest

from tests.conftest import member_of

pytestmark = pytest.mark.django_db

CLOSED = ["/accounts/signup/", "/accounts/email/", "/accounts/confirm-email/", "/accounts/password/set/",
          "/accounts/password/reset/", "/accounts/password/reset/done/", "/accounts/password/reset/key/1-x/",
          "/accounts/login/code/confirm/", "/accounts/reauthenticate/code/", "/accounts/3rdparty/",
          "/accounts/3rdparty/signup/", "/accounts/social/connections/"]


@pytest.mark.parametrize("path", CLOSED)
def test_a_page_we_do_not_offer_is_not_found_for_anyone(client, path):
    assert client.get(path).status_code == 404
    assert client.post(path, {"email": "someone@example.test"}).status_code == 404
    client.force_login(member_of("Customer service", "clerk"))
    assert client.get(path).status_code == 404


def test_the_pages_we_use_still_answer(client):
    assert client.get("/login/").status_code == 200
    client.force_login(member_of("Customer service", "clerk"))
    assert client.get("/accounts/password/change/").status_code == 200
    assert client.get("/account/").status_code == 200
