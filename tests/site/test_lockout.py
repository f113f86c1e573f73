"""Sign-in lockout counts per username and client address, and behind the documented proxy the
client's address is the one the proxy saw, so an attacker locks out only himself."""

import json

import pytest

from tests.site.test_deploy import NO_DOTENV, python

pytestmark = pytest.mark.django_db
PROXY = "127.0.0.1"  # the proxy on the same machine, as in the README's recipe: gunicorn sees only it
ATTACKER, USER = "203.0.113.66", "198.51.100.7"


@pytest.fixture
def behind_one_proxy(settings):
    """The settings TRUSTED_PROXY_COUNT=1 gives (test_one_trusted_proxy_takes_the_address_it_added)."""
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_FORWARDED_FOR",)
    settings.AXES_IPWARE_PROXY_COUNT = 0
    settings.IPWARE_STRICT = False


def sign_in(client, password: str, *, forwarded_for: str):
    """A sign-in as the proxy passes it on: from its address, with the client's added to X-Forwarded-For.
    Each from a browser of its own (no session: a right password's pending second step is that browser's)."""
    client.cookies.clear()
    return client.post("/login/", {"username": "agent", "password": password},
                       REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def test_behind_the_proxy_an_attacker_locks_out_only_his_own_address(behind_one_proxy, client, staff):
    for _ in range(5):
        sign_in(client, "wrong", forwarded_for=ATTACKER)
    assert sign_in(client, "pw-agent-123", forwarded_for=ATTACKER).status_code == 429  # locked, even the right one
    assert sign_in(client, "pw-agent-123", forwarded_for=USER).status_code == 302  # the real user signs in


def test_behind_the_proxy_what_the_attacker_puts_in_the_header_himself_does_not_count(behind_one_proxy, client, staff):
    for _ in range(5):  # posing as the user: the proxy adds the attacker's real address after the forged one
        sign_in(client, "wrong", forwarded_for=f"{USER}, {ATTACKER}")
    assert sign_in(client, "pw-agent-123", forwarded_for=USER).status_code == 302
    assert sign_in(client, "pw-agent-123", forwarded_for=ATTACKER).status_code == 429


def test_with_no_proxy_configured_a_forged_x_forwarded_for_is_ignored(client, staff):
    for n in range(5):  # a new made-up address each time: still one connection address
        client.post("/login/", {"username": "agent", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    response = client.post("/login/", {"username": "agent", "password": "pw-agent-123"},
                           HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert response.status_code == 429


def client_address_settings(**environment: str) -> dict:
    """How the client's address is found, in a fresh process with `environment`."""
    done = python(NO_DOTENV + "import json, django; django.setup(); from django.conf import settings as s; "
                  "print(json.dumps({n: getattr(s, n, None) for n in ('AXES_IPWARE_META_PRECEDENCE_ORDER', "
                  "'AXES_IPWARE_PROXY_COUNT', 'IPWARE_STRICT')}))", **environment)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_one_trusted_proxy_takes_the_address_it_added():
    assert client_address_settings(TRUSTED_PROXY_COUNT="1") == {  # what the fixture `behind_one_proxy` sets
        "AXES_IPWARE_META_PRECEDENCE_ORDER": ["HTTP_X_FORWARDED_FOR"], "AXES_IPWARE_PROXY_COUNT": 0,
        "IPWARE_STRICT": False}


def test_with_no_proxy_the_connections_own_address_counts_and_a_bad_count_is_refused():
    assert client_address_settings() == {"AXES_IPWARE_META_PRECEDENCE_ORDER": ["REMOTE_ADDR"],
                                         "AXES_IPWARE_PROXY_COUNT": None, "IPWARE_STRICT": None}
    done = python(NO_DOTENV + "import django; django.setup()", TRUSTED_PROXY_COUNT="-1")
    assert "TRUSTED_PROXY_COUNT is 0 (no proxy) or more" in done.stderr
