"""The sign-in page's choices and PASSWORD_SIGN_IN=false, through Django's test client."""

import subprocess
import sys

import pytest

from common.models import AuditAction, AuditEvent
from tests.conftest import member_of


@pytest.fixture
def configured(settings):
    settings.OIDC_SERVER_URL = "https://login.example.test/tenant"
    settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET = "client", "secret"
    settings.OIDC_NAME = "Contoso Entra ID"


def test_without_single_sign_on_the_page_has_the_password_form_alone(client, db):
    page = client.get("/login/").content.decode()
    assert 'name="password"' in page and "Sign in with" not in page
    assert client.post("/accounts/oidc/sso/login/").status_code == 404  # no provider: nothing to start


def test_configured_the_page_offers_sign_in_with_the_provider_beside_passwords(client, db, configured):
    page = client.get("/login/?next=/sims/").content.decode()
    assert 'name="password"' in page
    assert "Sign in with Contoso Entra ID" in page
    assert 'action="/accounts/oidc/sso/login/"' in page and 'name="next" value="/sims/"' in page


def test_opened_by_a_link_the_providers_start_page_asks_for_a_button_press(client, db, configured):
    page = client.get("/accounts/oidc/sso/login/")
    assert page.status_code == 200 and "<button" in page.content.decode()  # no sign-in started by a GET


def test_with_passwords_off_no_password_signs_in_anywhere(client, db, configured, settings):
    settings.PASSWORD_SIGN_IN = False
    admin = member_of("Admin", "root")
    admin.is_staff = True
    admin.save()

    page = client.get("/login/").content.decode()
    assert 'name="password"' not in page and "Sign in with Contoso Entra ID" in page
    client.post("/login/", {"username": "root", "password": "pw-root-123"})
    assert "_auth_user_id" not in client.session
    client.post("/admin/login/", {"username": "root", "password": "pw-root-123", "next": "/admin/"})
    assert "_auth_user_id" not in client.session  # Django admin's sign-in is ours: it takes no password itself
    assert AuditEvent.objects.filter(action=AuditAction.SIGN_IN_FAILED, subject="root").count() == 1

    settings.PASSWORD_SIGN_IN = True  # the same password, allowed again, works: it was the setting
    answer = client.post("/login/", {"username": "root", "password": "pw-root-123"})
    assert answer.status_code == 302 and answer.url.startswith("/accounts/2fa/authenticate/")  # an Admin's code next


def settings_in(environment: dict[str, str], show: str = "") -> subprocess.CompletedProcess:
    """Load the settings in a fresh Python with only `environment` set, as a deployment would."""
    code = ("import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'mvnoadmin.settings'; import django; django.setup(); "
            f"from django.conf import settings; print(({show or 'None'}))")
    return subprocess.run([sys.executable, "-c", code], env={"PATH": "/usr/bin", **environment},
                          capture_output=True, text=True, check=False)


def test_passwords_off_without_a_provider_stops_the_site_starting():
    result = settings_in({"PASSWORD_SIGN_IN": "false"})
    assert result.returncode != 0 and "PASSWORD_SIGN_IN=false leaves no way to sign in" in result.stderr


def test_a_provider_without_its_client_stops_the_site_starting():
    result = settings_in({"OIDC_SERVER_URL": "https://accounts.google.com"})
    assert result.returncode != 0 and "set OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too" in result.stderr


def test_the_environment_sets_the_provider_the_role_map_and_the_forms_may_go_to_the_provider():
    result = settings_in({"OIDC_SERVER_URL": "https://idp.example.test/realms/staff", "OIDC_CLIENT_ID": "c",
                          "OIDC_CLIENT_SECRET": "s", "OIDC_ROLE_SUPERVISOR": "leads,managers",
                          "OIDC_ROLE_ADMIN": "it-admins"},
                         "settings.OIDC_ROLE_GROUPS, settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action']")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ("({'Observer': [], 'Customer service': [], 'Supervisor': ['leads', 'managers'], "
                                     "'Admin': ['it-admins']}, [\"'self'\", 'https://idp.example.test'])")
