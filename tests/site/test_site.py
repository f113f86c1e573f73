"""The site's frame: sign-in, admin, configuration checks, and keeping the password secret."""

import logging
import sys

import pytest
from django.core.checks import run_checks
from django.views.debug import ExceptionReporter

from common.redaction import RedactGatewayPassword

pytestmark = pytest.mark.django_db


def test_the_home_page_asks_for_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_a_signed_in_user_sees_the_home_page(admin_client):
    assert b"mvnoadmin" in admin_client.get("/").content


def test_the_login_page_and_admin_render(client):
    assert client.get("/login/").status_code == 200
    response = client.get("/admin/login/?next=/admin/")  # admin signs in through ours: two factors
    assert response.status_code == 302 and response.url == "/login/?next=%2Fadmin%2F"


def test_a_plain_http_gateway_url_draws_a_warning_but_loopback_does_not(settings):
    settings.AQL_DESPATCH_URL = "http://gw.aql.com/mobile/despatch_sim.php"
    settings.AQL_USIM_URL = "http://127.0.0.1:8001/mobile/configure_sim.php"
    assert [m.id for m in run_checks() if m.id.startswith("common.")] == ["common.W001"]


def test_a_gateway_timeout_too_long_for_the_workers_task_timeout_draws_a_warning(settings):
    settings.AQL_DESPATCH_URL = settings.AQL_USIM_URL = "https://gw.example/x"
    assert [m.id for m in run_checks() if m.id.startswith("common.")] == []  # 30 s: the follower fits
    settings.AQL_TIMEOUT = 90
    assert [m.id for m in run_checks() if m.id.startswith("common.")] == ["common.W002"]


def test_sqlite_without_immediate_transactions_is_an_error(settings, monkeypatch):
    from django.db import connection

    settings.AQL_DESPATCH_URL = settings.AQL_USIM_URL = "https://gw.example/x"
    assert [m.id for m in run_checks() if m.id.startswith("common.")] == []
    if connection.vendor != "sqlite":
        return  # PostgreSQL locks each claimed row itself
    monkeypatch.setitem(settings.DATABASES["default"]["OPTIONS"], "transaction_mode", "DEFERRED")
    assert [m.id for m in run_checks() if m.id.startswith("common.")] == ["common.E001"]


def test_an_error_page_never_shows_the_gateway_password(settings, rf):
    settings.AQL_PASSWORD = "very-" + "secret-pass"  # split, or the page's source excerpt would show it
    body = {"username": "demo", "password": settings.AQL_PASSWORD}  # a local the page would show
    try:
        raise RuntimeError(f"failed sending {len(body)} fields")
    except RuntimeError:
        html = ExceptionReporter(rf.get("/"), *sys.exc_info()).get_traceback_html()
    assert "failed sending 2 fields" in html
    assert settings.AQL_PASSWORD not in html  # not a literal: the page quotes the source around it


@pytest.mark.parametrize("sent", ["p@ss w0rd&x", "p%40ss+w0rd%26x", "p%40ss%20w0rd%26x"])
def test_a_log_line_never_carries_the_gateway_password_raw_or_encoded(settings, sent):
    settings.AQL_PASSWORD = "p@ss w0rd&x"
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "body %s", (f"password={sent}",), None)
    RedactGatewayPassword().filter(record)
    assert record.getMessage() == "body password=********"


def test_a_logged_traceback_never_carries_the_gateway_password(settings):
    settings.AQL_PASSWORD = "p@ss w0rd&x"
    try:
        raise ValueError("sent username=demo&password=p%40ss+w0rd%26x")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RedactGatewayPassword().filter(record)
    assert "p%40ss" not in record.exc_text and "password=********" in record.exc_text


def test_an_error_page_never_shows_the_url_encoded_password(settings, rf):
    settings.AQL_PASSWORD = "p@ss " + "w0rd&x"
    body = "username=demo&password=p%40ss+w0rd%26x"  # noqa: F841  (a local the page would show)
    try:
        raise RuntimeError("sending")
    except RuntimeError:
        html = ExceptionReporter(rf.get("/"), *sys.exc_info()).get_traceback_html()
    assert "w0rd%26x" not in html.split("(a local the page would show)")[-1]


def test_pages_carry_a_content_security_policy_of_our_own_origin_only(admin_client):
    policy = admin_client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy


def test_signing_in_is_locked_after_five_failures_for_that_user_and_address(client, staff):
    for _ in range(4):
        response = client.post("/login/", {"username": "agent", "password": "wrong"})
        assert response.status_code == 200 and b"Please enter a correct username" in response.content
    assert client.post("/login/", {"username": "agent", "password": "wrong"}).status_code == 429  # the fifth
    response = client.post("/login/", {"username": "agent", "password": "pw-agent-123"})  # even the right one
    assert response.status_code == 429 and b"Too many sign-in attempts" in response.content
