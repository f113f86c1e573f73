"""Safe defaults: what the settings allow with which environment, and production passing `check --deploy`.

The rule (mvnoadmin/settings.py, "Core"): while ALLOWED_HOSTS names only loopback (the default),
the published development SECRET_KEY and DEBUG=true are allowed; once it names any other host,
the project refuses to start unless SECRET_KEY is set (50+ random characters) and DEBUG is off.

Settings are read once per process, so each environment is tried in a fresh Python process,
with only the variables the test names (an `.env` file on the machine is ignored there).
"""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

ROOT = Path(__file__).resolve().parents[2]
KEY = "k3y-" + "x7Qp2vR9sT4wY6zA1bC3dE5fG7hJ9kL0mN2oP4qS6uV8" + "-for-tests-only"  # 50+ characters, varied
LOOPBACK = ["localhost", "127.0.0.1", "[::1]"]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": KEY,
    "AUDIT_SEAL_KEY": KEY[::-1],  # its own key, or the deploy check common.W003 would warn
    "ALLOWED_HOSTS": "backoffice.example.com",
    # the gateway over https, or the project's own check (common.W001) would warn
    "AQL_USIM_URL": "https://mvno.aql.com/mobile/configure_sim.php",
    "AQL_DESPATCH_URL": "https://gw.aql.com/mobile/despatch_sim.php",
    "SITE_URL": "https://backoffice.example.com",  # the links in notification emails (notices.W001)
}

# The settings module reads `.env` into the environment first: not in these processes.
NO_DOTENV = "import environ; environ.Env.read_env = lambda *args, **kwargs: None; "
SHOW_SETTINGS = NO_DOTENV + """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_AGE", "SESSION_SAVE_EVERY_REQUEST", "WHITENOISE_USE_FINDERS", "STORAGES")}, default=str))
"""


def python(code: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh Python with the project's settings and only `environment` set."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TMPDIR") if name in os.environ}
    env |= {"DJANGO_SETTINGS_MODULE": "mvnoadmin.settings", "PYTHONDONTWRITEBYTECODE": "1"} | environment
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def settings_with(**environment: str) -> dict:
    done = python(SHOW_SETTINGS, **environment)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def refusal(**environment: str) -> str:
    """The project refuses to start with `environment`: what it said."""
    done = python(SHOW_SETTINGS, **environment)
    assert done.returncode != 0 and not done.stdout
    assert "ImproperlyConfigured" in done.stderr
    return done.stderr.strip().splitlines()[-1]


# --- the rule -------------------------------------------------------------------------------

def test_with_no_environment_it_starts_for_development_on_loopback_with_debug_off():
    got = settings_with()
    assert got["DEBUG"] is False
    assert got["ALLOWED_HOSTS"] == LOOPBACK
    assert got["SECRET_KEY"].startswith("django-insecure-")  # the published development key, loopback only
    # plain http works on loopback: no secure-only cookies, no redirect to https, no HSTS
    assert not got["SESSION_COOKIE_SECURE"] and not got["SECURE_SSL_REDIRECT"] and got["SECURE_HSTS_SECONDS"] == 0
    # static files come straight from static/ with DEBUG off, no collectstatic needed (runserver, demo, tests)
    assert got["WHITENOISE_USE_FINDERS"] is True
    assert got["STORAGES"]["staticfiles"]["BACKEND"] == "django.contrib.staticfiles.storage.StaticFilesStorage"


def test_debug_may_be_switched_on_while_only_loopback_is_allowed():
    assert settings_with(DEBUG="true")["DEBUG"] is True
    assert settings_with(DEBUG="true", ALLOWED_HOSTS="localhost,.localhost")["DEBUG"] is True


@pytest.mark.parametrize("hosts", ["backoffice.example.com", "localhost,192.168.1.20", "*"])
def test_beyond_loopback_it_refuses_to_start_without_a_secret_key(hosts):
    said = refusal(ALLOWED_HOSTS=hosts)
    assert f"ALLOWED_HOSTS={hosts} names hosts beyond this machine: set SECRET_KEY" in said


@pytest.mark.parametrize("key", [
    "too-short-a-key",
    "django-insecure-development-only-key-do-not-use-in-production",  # the published one, set by hand
    "a" * 60,  # long but not random
])
def test_beyond_loopback_a_weak_or_published_secret_key_is_refused(key):
    assert "set SECRET_KEY to 50 or more random characters" in refusal(ALLOWED_HOSTS="backoffice.example.com",
                                                                       SECRET_KEY=key)


def test_beyond_loopback_debug_is_refused_even_with_a_secret_key():
    said = refusal(ALLOWED_HOSTS="backoffice.example.com", SECRET_KEY=KEY, DEBUG="true")
    assert "set DEBUG=false" in said


# --- production -----------------------------------------------------------------------------

def test_production_settings_enforce_https_and_serve_collected_static_files():
    got = settings_with(**PRODUCTION)
    assert got["DEBUG"] is False and got["SECRET_KEY"] == KEY
    assert got["SESSION_COOKIE_SECURE"] and got["CSRF_COOKIE_SECURE"] and got["SECURE_SSL_REDIRECT"]
    assert got["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert got["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and got["SECURE_HSTS_PRELOAD"]
    assert got["SECURE_PROXY_SSL_HEADER"] is None
    assert got["WHITENOISE_USE_FINDERS"] is False
    assert got["STORAGES"]["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_production_behind_a_tls_proxy_and_with_its_own_choices():
    got = settings_with(**PRODUCTION, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https",
                        SECURE_HSTS_SECONDS="3600", SECURE_HSTS_PRELOAD="false", SESSION_IDLE_SECONDS="900")
    assert got["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]  # a tuple, through JSON
    assert got["SECURE_HSTS_SECONDS"] == 3600 and got["SECURE_HSTS_PRELOAD"] is False
    assert got["SESSION_COOKIE_AGE"] == 900
    assert "SECURE_PROXY_SSL_HEADER is a header and its value" in refusal(
        **PRODUCTION, SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO")


def test_check_deploy_with_production_settings_finds_nothing():
    done = python(NO_DOTENV + "from django.core.management import execute_from_command_line; "
                              "execute_from_command_line(['manage.py', 'check', '--deploy'])", **PRODUCTION)
    assert (done.returncode, done.stderr) == (0, "")  # no warnings, and no log lines either
    assert done.stdout == "System check identified no issues (0 silenced).\n"


# --- sessions -------------------------------------------------------------------------------

def test_a_session_lasts_eight_idle_hours_by_default():
    got = settings_with()
    assert got["SESSION_COOKIE_AGE"] == 8 * 3600


@pytest.mark.django_db
def test_each_request_restarts_the_idle_clock(admin_client, settings):
    session = admin_client.session
    session["_renewed_at"] -= settings.SESSION_RENEW_EVERY  # signed in a few minutes ago
    session.save()
    session = Session.objects.get()
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=1))  # nearly idle
    assert admin_client.get("/").status_code == 200
    left = Session.objects.get(pk=session.pk).expire_date - timezone.now()
    assert timedelta(seconds=settings.SESSION_COOKIE_AGE - 60) < left <= timedelta(seconds=settings.SESSION_COOKIE_AGE)


@pytest.mark.django_db
def test_the_session_is_renewed_at_most_every_few_minutes_so_a_page_view_writes_nothing(admin_client, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def writes() -> list[str]:
        with CaptureQueriesContext(connection) as seen:
            assert admin_client.get("/sims/").status_code == 200
        return [q["sql"] for q in seen if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]

    assert writes() == []  # a moment after signing in (which renewed it): nothing written
    assert writes() == []
    session = admin_client.session
    session["_renewed_at"] -= settings.SESSION_RENEW_EVERY  # the margin has passed
    session.save()
    assert len(writes()) == 1 and writes() == []


@pytest.mark.django_db
def test_a_page_refreshing_itself_does_not_keep_the_session_alive(admin_client):
    session = Session.objects.get()
    nearly_idle = timezone.now() + timedelta(minutes=1)
    Session.objects.filter(pk=session.pk).update(expire_date=nearly_idle)
    assert admin_client.get("/", HTTP_HX_REQUEST="true").status_code == 200  # the dashboard's own poll
    assert Session.objects.get(pk=session.pk).expire_date == nearly_idle


# --- static files with DEBUG off, no collectstatic (as runserver serves them on loopback) ------

@pytest.mark.django_db
def test_static_files_are_served_with_debug_off_and_nothing_collected(client, settings):
    assert settings.DEBUG is False  # as in every test: Django's test settings force it
    response = client.get("/static/css/app.css")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/css")


# --- a bad Host header ----------------------------------------------------------------------

def assert_plain_bad_request(response) -> None:
    assert response.status_code == 400
    body = response.content.decode()
    assert "DisallowedHost" not in body and "Traceback" not in body and "Django" not in body
    assert "evil.example" not in body


@pytest.mark.django_db
def test_a_bad_host_header_gets_a_plain_400(client):
    assert_plain_bad_request(client.get("/login/", HTTP_HOST="evil.example"))


@pytest.mark.django_db
def test_a_bad_host_header_gets_a_plain_400_even_with_debug_on(client, settings):
    settings.DEBUG = True
    assert_plain_bad_request(client.get("/login/", HTTP_HOST="evil.example"))
