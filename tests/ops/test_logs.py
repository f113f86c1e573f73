"""Structured log lines: one JSON object a line, each naming the journal request, the SIM and the
acting user where there is one; never the gateway password (the sentinel PASSWORD of the tests'
account), never a subscriber's details."""

import io
import json
import logging
import socket
from collections.abc import Iterator

import pytest
import structlog

from common.redaction import RedactGatewayPassword
from ops.logs import about, structured_formatter
from sims import services, tasks
from sims.models import GatewayRequest, Sim
from tests.conftest import IMEI, PASSWORD, activation, iccid

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the production handler writes (JSON, masked), captured."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(structured_formatter(style="json"))
    handler.addFilter(RedactGatewayPassword())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield out
    finally:
        root.removeHandler(handler)


def read(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]  # each line one JSON object


def test_a_command_sent_logs_its_call_with_the_request_the_sim_and_the_user(lines, world, staff):
    sim = Sim.objects.get(iccid=iccid(0))
    request = services.sim_activate(sim_id=sim.pk, actor=staff, **activation())
    calls = [line for line in read(lines) if line["event"] == "aql call"]
    assert calls == [{"event": "aql call", "command": "activate", "outcome": "ok", "seconds": calls[0]["seconds"],
                      "gateway_request": request.pk, "iccid": sim.iccid, "user": "agent", "level": "info",
                      "logger": "ops.gateway", "timestamp": calls[0]["timestamp"]}]


def test_the_worker_logs_its_follow_up_with_the_request_and_the_sim(lines, world, staff, settings):
    settings.AQL_FIRST_POLL_DELAY = 0
    world.fake.faults.settle_after = 0
    sim = Sim.objects.get(iccid=iccid(0))
    request = services.sim_activate(sim_id=sim.pk, actor=staff, **activation())
    tasks.poll_pass()
    check = next(line for line in read(lines) if line.get("command") == "checkstatus")
    assert (check["gateway_request"], check["iccid"], check["user"]) == (request.pk, sim.iccid, "agent")
    assert GatewayRequest.objects.get(pk=request.pk).state == "success"


def test_no_line_carries_the_password_or_the_subscribers_details(lines, world, staff, settings):
    sim = Sim.objects.get(iccid=iccid(0))
    world.fake.faults.malformed_rate = 1.0  # unreadable replies: the kind of failure whose words are logged
    services.sim_activate(sim_id=sim.pk, actor=staff, **activation())
    world.fake.faults.malformed_rate = 0.0
    log = logging.getLogger("anything")
    log.warning("sent username=demo&password=%s", PASSWORD)  # a careless line of the standard library's
    structlog.get_logger("x").info("body", fields={"password": PASSWORD, "n": [PASSWORD]})  # and of structlog's
    try:
        raise RuntimeError(f"failed with password={PASSWORD}")
    except RuntimeError:
        log.exception("a traceback")
    text = lines.getvalue()
    assert "********" in text and PASSWORD not in text
    for personal in ("Ada Lovelace", "Hunslet", "LS10", "ls10", "0113 320 3040", "441133203040", IMEI):
        assert personal not in text, personal


def test_a_web_request_names_the_signed_in_user(lines, client, make_sim, staff):
    sim = make_sim(1, number="44113000001")
    client.force_login(staff)
    assert client.post(f"/sims/{sim.iccid}/suspend/", {"reason": "lost"}).status_code == 302
    call = next(line for line in read(lines) if line["event"] == "aql call")
    assert (call["user"], call["iccid"], call["path"], call["method"]) == (
        "agent", sim.iccid, f"/sims/{sim.iccid}/suspend/", "POST")


def test_about_binds_only_what_is_known_and_unbinds_after(lines):
    with about(gateway_request=7, iccid=None, user="agent"):
        structlog.get_logger("x").info("inside")
    structlog.get_logger("x").info("outside")
    inside, outside = read(lines)
    assert inside["gateway_request"] == 7 and inside["user"] == "agent" and "iccid" not in inside
    assert "gateway_request" not in outside


def test_development_lines_are_readable_text(settings):
    record = logging.LogRecord("django", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    text = structured_formatter(style="console").format(record)
    assert "hello world" in text and not text.startswith("{")


def test_an_access_line_of_runserver_shows_the_request_line_not_its_socket():
    record = logging.LogRecord("django.server", logging.INFO, __file__, 1, '"%s" %s %s',
                               ("GET /login/ HTTP/1.1", "200", "1389"), None)
    with socket.socket() as connection:  # what runserver hands its access lines, with its own clock
        record.request, record.server_time, record.status_code = connection, "05/Dec/2026 08:43:25", 200
        text = structured_formatter(style="console").format(record)
    assert '"GET /login/ HTTP/1.1" 200 1389' in text and "status_code=200" in text
    assert "socket" not in text and "server_time" not in text
