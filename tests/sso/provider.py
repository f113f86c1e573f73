"""A real OpenID Connect provider on loopback (npm's certified oidc-provider, tests/sso/oidc/provider.mjs),
its accounts, and the site's OIDC_* settings pointed at it.

The provider is one node process for the whole run, registered with the live server's callback; its
accounts live in a JSON file it reads at every sign-in, so a test changes someone's groups at the
provider by rewriting the file (`provider.set`)."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

HERE = Path(__file__).resolve().parent / "oidc"
CLIENT_ID, CLIENT_SECRET = "mvnoadmin-tests", "a-test-client-secret"
CALLBACK = "/accounts/oidc/sso/login/callback/"
NAME = "Test provider"

GROUPS = {"Observer": "mvno-observers", "Customer service": "mvno-customer-service",
          "Supervisor": "mvno-supervisors", "Admin": "mvno-admins"}


def _account(name: str, groups: list[str], **more: object) -> dict[str, object]:
    first = name.split()[0].lower()
    return {"password": f"pw-{first}-at-provider", "name": name, "email": f"{first}@example.test",
            "groups": groups, "amr": ["pwd"], "account_disabled": False, **more}


def default_accounts() -> dict[str, dict[str, object]]:
    """One person per role, one in no group of ours, one disabled, one who used a second factor."""
    return {
        "olu": _account("Olu Observer", [GROUPS["Observer"], "everyone"]),
        "sam": _account("Sam Service", [GROUPS["Customer service"]]),
        "priya": _account("Priya Supervisor", [GROUPS["Supervisor"]]),
        "ada": _account("Ada Admin", [GROUPS["Admin"]]),
        "nora": _account("Nora Norole", ["everyone", "marketing"]),
        "dee": _account("Dee Disabled", [GROUPS["Customer service"]], account_disabled=True),
        "max": _account("Max Mfa", [GROUPS["Supervisor"]], amr=["pwd", "otp", "mfa"]),
    }


@dataclass
class Provider:
    issuer: str
    accounts_file: Path

    def set(self, username: str, **changes: object) -> None:
        """Change what the provider says about `username` from its next sign-in on."""
        accounts = json.loads(self.accounts_file.read_text())
        accounts[username].update(changes)
        self.accounts_file.write_text(json.dumps(accounts))

    def reset(self) -> None:
        self.accounts_file.write_text(json.dumps(default_accounts()))


# Seconds. It listens within one here; under a full CI load (Chromium on the other worker) it once took
# over 20 (its RSA key, its 40 packages read): a minute, so that a slow start is not a failure.
STARTS_WITHIN = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory) -> Iterator[Provider]:
    """The provider, started once, with the live server's callback registered for our client."""
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("The test OpenID Connect provider is not installed: `make test` installs it "
                    "(npm ci --prefix tests/sso/oidc)")
    port = _free_port()
    provider = Provider(f"http://127.0.0.1:{port}", tmp_path_factory.mktemp("oidc") / "accounts.json")
    provider.reset()
    env = os.environ | {"PORT": str(port), "REDIRECT_URI": live_server.url + CALLBACK, "CLIENT_ID": CLIENT_ID,
                        "CLIENT_SECRET": CLIENT_SECRET, "ACCOUNTS": str(provider.accounts_file)}
    log = (tmp_path_factory.getbasetemp() / "oidc-provider.log").open("w")
    process = subprocess.Popen([node, str(HERE / "provider.mjs")], cwd=HERE, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + STARTS_WITHIN
        while True:
            try:
                if requests.get(provider.issuer + "/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the test provider did not start in {STARTS_WITHIN} s: {Path(log.name).read_text()}")
            time.sleep(0.1)
        yield provider
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@pytest.fixture
def provider(oidc_provider: Provider, settings, transactional_db) -> Iterator[Provider]:
    """The provider with its usual accounts, and the site set to sign in through it."""
    from django.contrib.auth.models import Group

    from tests.conftest import _run_migration

    if not Group.objects.filter(name="Observer").exists():  # a transactional test's flush removed them
        _run_migration("common.migrations.0003_roles", "make_roles")
    oidc_provider.reset()
    settings.OIDC_SERVER_URL = oidc_provider.issuer
    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    settings.OIDC_NAME = NAME
    settings.OIDC_SCOPES = ["openid", "profile", "email", "groups"]
    settings.OIDC_GROUPS_CLAIM = "groups"
    settings.OIDC_ROLE_GROUPS = {role: [group] for role, group in GROUPS.items()}
    settings.OIDC_DISABLED_CLAIM = "account_disabled"
    yield oidc_provider
    oidc_provider.reset()


def sign_in(live_server, username: str, *, session: requests.Session | None = None,
            password: str | None = None) -> tuple[requests.Session, requests.Response]:
    """What a person does, over real HTTP: our sign-in page's button, the provider's form, and back
    to us through every redirect. Returns the browser-like session and the page it ended on."""
    browser = session or requests.Session()
    page = browser.get(live_server.url + "/login/", timeout=10)
    button = re.search(r'<form method="post" action="(/accounts/oidc/[^"]+)"[^>]*>\s*<input type="hidden" '
                       r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert button and f"Sign in with {NAME}" in page.text, page.text
    at_provider = browser.post(urljoin(live_server.url, button.group(1)), timeout=10,
                               data={"csrfmiddlewaretoken": button.group(2), "process": "login"})
    form = re.search(r'<form method="post" action="([^"]+)"', at_provider.text)
    assert form and "Provider password" in at_provider.text, at_provider.text
    password = password or f"pw-{username}-at-provider"
    back = browser.post(urljoin(at_provider.url, form.group(1)), data={"username": username, "password": password},
                        timeout=10)
    return browser, back


def session_of(browser: requests.Session) -> dict[str, object]:
    """What our site keeps in that browser's session (read from the database)."""
    from django.contrib.sessions.backends.db import SessionStore

    key = next((cookie.value for cookie in browser.cookies if cookie.name == "sessionid"), None)
    return dict(SessionStore(session_key=key).load()) if key else {}
