"""`manage.py aql selftest`: the connection to aql proved against the simulator, changing nothing there."""

import socket
from collections.abc import Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from aql.fake import start_in_thread
from ops import gateway
from ops.selftest import Status, aql_selftest
from tests.conftest import PASSWORD, iccid

pytestmark = pytest.mark.django_db

WRONG = "Wr0ng-Pa55word-for-the-test"  # distinctive, as PASSWORD is
READ_ONLY = {"queryiccid", "check_stock"}
NAMES = ("Settings present", "USIM gateway reachable over TLS", "Despatch endpoint reachable over TLS",
         "USIM gateway accepted the username and password", "Despatch endpoint accepted the username and password",
         "check_stock answered", "queryiccid answered")


def selftest(*args: str) -> tuple[int, str, str]:
    """Run `manage.py aql selftest ARGS`: its exit status, standard output and standard error."""
    out, err = StringIO(), StringIO()
    try:
        call_command("aql", "selftest", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def lines(out: str) -> dict[str, str]:
    """Each check's line by the check's name; a line opens with its result ("passed", "warning",
    "failed" or "not known"), then the name, the time and the words."""
    return {name: line for line in out.splitlines() for name in NAMES if f" {name}" in line}


def wire(simulator) -> list[str]:
    return [call.command for call in simulator.fake.calls]


def closed_port() -> int:
    """A loopback port nothing listens on (taken from the system, then let go)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_good_credentials_pass_every_check_and_exit_0(world):
    status, out, _ = selftest()
    assert status == 0, out
    assert [line.split()[0] for line in out.splitlines()[:7]] == ["passed"] * 7
    checks = lines(out)
    assert "8944120000000000006 (a SIM we hold): unused" in checks["queryiccid answered"]
    assert "AQL-123: 2,031; ABC-456: 20,000" in checks["check_stock answered"]
    assert "nothing crosses the network" in checks["USIM gateway reachable over TLS"]
    assert out.splitlines()[-1].startswith("All 7 checks passed. Nothing was changed at aql")


def test_each_call_is_timed_in_milliseconds(world):
    checks = aql_selftest()
    timed = {check.name: check.ms for check in checks if check.ms is not None}
    assert set(timed) == {check.name for check in checks} - {"Settings present"}
    assert all(ms >= 0 for ms in timed.values())


def test_only_queryiccid_and_check_stock_go_on_the_wire(world):
    selftest()
    assert sorted(wire(world)) == ["check_stock", "queryiccid"]


def test_a_wrong_password_fails_saying_aql_refused_it_and_never_shows_it(world, settings, caplog):
    settings.AQL_PASSWORD = WRONG
    gateway.reset()
    status, out, err = selftest()
    assert status == 1
    checks = lines(out)
    assert "failed" in checks["USIM gateway accepted the username and password"]
    assert "aql refused the username or password: aql refused our account's username or password. Tell an " \
           "administrator. (aql code 401)" in out
    assert "aql refused the username or password" in checks["Despatch endpoint accepted the username and password"]
    assert "(aql code 1)" in checks["Despatch endpoint accepted the username and password"]
    assert "What to do: Check AQL_USERNAME and AQL_PASSWORD" in out
    assert "accepted the username and password" in err  # the summary names what did not pass
    assert set(wire(world)) <= READ_ONLY
    for secret in (WRONG, PASSWORD):
        assert secret not in out + err + caplog.text


def test_an_unreachable_url_fails_saying_no_answer_came(world, settings, caplog):
    settings.AQL_USIM_URL = f"http://127.0.0.1:{closed_port()}/mobile/configure_sim.php"
    gateway.reset()
    status, out, err = selftest()
    assert status == 1
    checks = lines(out)
    assert "failed" in checks["USIM gateway reachable over TLS"]
    assert "No answer: could not reach aql at http://127.0.0.1:" in checks["USIM gateway reachable over TLS"]
    assert "that this machine can reach it" in out
    # No answer proves nothing about the account: not known, never "refused".
    assert checks["USIM gateway accepted the username and password"].startswith("not known")
    assert "passed" in checks["Despatch endpoint reachable over TLS"]
    assert PASSWORD not in out + err + caplog.text


def test_an_http_401_is_said_as_a_refused_username_or_password(world, settings, serve):
    def refuses(environ, start_response):
        start_response("401 Unauthorized", [("Content-Type", "text/plain")])
        return [b"Unauthorized"]

    settings.AQL_DESPATCH_URL = serve(refuses) + "/mobile/despatch_sim.php"
    gateway.reset()
    status, out, _ = selftest()
    assert status == 1
    assert "aql refused the username or password: HTTP 401 Unauthorized" in \
        lines(out)["Despatch endpoint accepted the username and password"]


@pytest.fixture
def far(world) -> Iterator[str]:
    """The simulator again, on 127.0.0.2: loopback to the kernel, but not a name the check trusts (the one
    rule common.W001 keeps too), so it stands for a plain-http address across the network. Its base URL."""
    server, base_url = start_in_thread(world.fake, host="127.0.0.2")
    yield base_url
    server.shutdown()
    server.server_close()


def test_a_plain_http_url_beyond_loopback_warns_when_not_debug(far, settings):
    settings.DEBUG = False
    settings.AQL_DESPATCH_URL = far + "/mobile/despatch_sim.php"
    gateway.reset()
    status, out, _ = selftest()
    check = lines(out)["Despatch endpoint reachable over TLS"]
    assert check.startswith("warning")
    assert "over plain http: the username and password cross the network unencrypted" in check
    assert "What to do: Ask aql for an https address and set AQL_DESPATCH_URL to it" in out
    assert status == 0  # a warning, not a failure


def test_plain_http_warns_with_debug_on_too(far, settings):
    settings.DEBUG = True
    settings.AQL_USIM_URL = far + "/mobile/configure_sim.php"
    gateway.reset()
    checks = {check.name: check for check in aql_selftest()}
    assert checks["USIM gateway reachable over TLS"].status == Status.WARNING


def test_a_given_iccid_is_the_one_asked_about(world):
    status, out, _ = selftest("--iccid", iccid(3))
    assert status == 0
    assert f"{iccid(3)} (the ICCID given): unused" in out
    assert world.fake.calls[-1].params["iccid"] == iccid(3)


def test_a_bad_iccid_is_refused_in_words_and_nothing_is_sent(world):
    status, _, err = selftest("--iccid", "8944 1200 0000 0000 007")
    assert status == 1
    assert "An ICCID's last digit is a check on the others" in err
    assert world.fake.calls == []


def test_a_sim_not_on_the_account_fails_with_63003_in_words(world):
    status, out, _ = selftest("--iccid", iccid(1000))
    assert status == 1
    check = lines(out)["queryiccid answered"]
    assert "This SIM is not on our account at aql. (aql code 63003)" in check
    assert "AQL_USERNAME may name another aql account" in out
    assert lines(out)["USIM gateway accepted the username and password"].startswith("passed")


def test_with_no_sim_held_the_account_is_still_proved_and_the_query_warns(aql_settings):
    status, out, _ = selftest()
    assert status == 0, out
    checks = lines(out)
    assert checks["queryiccid answered"].startswith("warning")
    assert "We hold no SIM yet and none was given" in checks["queryiccid answered"]
    assert checks["USIM gateway accepted the username and password"].startswith("passed")
    assert sorted(wire(aql_settings)) == ["check_stock", "queryiccid"]


def test_a_missing_setting_fails_naming_it_and_nothing_is_sent(world, settings):
    settings.AQL_PASSWORD = ""
    gateway.reset()
    status, out, _ = selftest()
    assert status == 1
    assert "failed     Settings present: Not set: AQL_PASSWORD." in out
    assert lines(out)["check_stock answered"].startswith("not known")
    assert world.fake.calls == []


def test_json_gives_each_check_for_scripts(world):
    import json

    out = StringIO()
    call_command("aql", "--json", "selftest", stdout=out)
    found = json.loads(out.getvalue())
    assert found["ok"] is True
    assert found["checks"][0] == {"name": "Settings present", "status": "passed", "words": found["checks"][0]["words"],
                                  "todo": "", "ms": None}
