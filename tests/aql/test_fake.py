"""The simulator itself, over raw HTTP: what only it has (faults, control, time, its own state).

The clients' behaviour against it is tested with the clients; here requests go out by hand.
Time moves with `advance()`; the only real waiting is a latency, a short hang and the
subprocess starting up.
"""

import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from aql.fake import (
    DESPATCH_PATH,
    FIRST_REQUEST_ID,
    USIM_PATH,
    Account,
    FakeAql,
    Faults,
    redact,
    start_in_thread,
)
from tests.conftest import PASSWORD, USERNAME, Simulator, iccid

ROOT = Path(__file__).resolve().parents[2]
ICCID = iccid(0)  # first on the account
SECOND_ICCID = iccid(1)
IMEI = "490154203237518"  # 15 digits, valid Luhn check digit
GEO = "44113000000"  # the spec's example, first allocated to the account
ACTIVATE = {
    "command": "activate",
    "iccid": ICCID,
    "imei": IMEI,
    "geo_nos": GEO,
    "subname": "My Name",
    "subaddress": "11 – 15 Hunslet Road, Leeds",
    "subpostcode": "LS101JQ",
    "subcontactno": "441133203040",
}


def usim(sim: Simulator, method: str = "POST", timeout: float = 5, **params: str) -> requests.Response:
    """Call the USIM gateway as our account: GET puts the fields in the URL, POST in the body."""
    fields = {"username": USERNAME, "password": PASSWORD, **params}
    if method == "GET":
        return requests.get(sim.usim_url, params=fields, timeout=timeout)
    return requests.post(sim.usim_url, data=fields, timeout=timeout)


def despatch(sim: Simulator, method: str = "POST", **params: str) -> requests.Response:
    fields = {"username": USERNAME, "password": PASSWORD, "order_ref": "ORD-1", **params}
    if method == "GET":
        return requests.get(sim.despatch_url, params=fields, timeout=5)
    return requests.post(sim.despatch_url, data=fields, timeout=5)


def reply(response: requests.Response) -> dict[str, str]:
    """A USIM reply's `key: value` lines."""
    assert response.status_code == 200, response.text
    return dict(line.split(": ", 1) for line in response.content.decode().splitlines())


def order_form(**overrides: str) -> dict[str, str]:
    return {"command": "despatch", "name": "John Smith", "company": "aql",
            "address": "11-15 Hunslet Road,Leeds", "postcode": "LS10 1JQ", "contact_no": "441133203040",
            **overrides}


def control(sim: Simulator, name: str, payload: dict | None = None) -> requests.Response:
    url = f"{sim.base_url}/_aqlsim/{name}"
    if payload is None:
        return requests.get(url, timeout=5)
    return requests.post(url, json=payload, timeout=5)


# --- the wire ---


def test_usim_gateway_accepts_get_and_post_alike(aqlsim):
    by_get = usim(aqlsim, "GET", command="queryiccid", iccid=ICCID)
    by_post = usim(aqlsim, "POST", command="queryiccid", iccid=ICCID)

    assert by_get.text == by_post.text == f"status: 200\niccid: {ICCID}\niccidstate: unused\n"
    assert by_get.headers["Content-Type"].startswith("text/plain")
    assert [c.method for c in aqlsim.fake.calls] == ["GET", "POST"]


def test_despatch_endpoint_accepts_get_and_post_alike(aqlsim):
    by_get = despatch(aqlsim, "GET", command="check_stock")
    by_post = despatch(aqlsim, "POST", command="check_stock")

    assert by_get.text == by_post.text == "0: Successful\nAQL-123:2031\nABC-456:20000\n"


def test_form_body_wins_over_the_query_string():
    fake = FakeAql(Account(username=USERNAME, password=PASSWORD))
    server, base_url = start_in_thread(fake)
    try:
        response = requests.post(base_url + USIM_PATH, params={"command": "checkstatus", "iccid": "1"},
                                 data={"username": USERNAME, "password": PASSWORD,
                                       "command": "queryiccid", "iccid": ICCID}, timeout=5)
    finally:
        server.shutdown()
        server.server_close()

    assert reply(response) == {"status": "200", "iccid": ICCID, "iccidstate": "unused"}


def test_a_body_that_is_not_utf8_form_data_is_answered_400(aqlsim):
    response = requests.post(aqlsim.usim_url, data=b"username=demo&subname=%FF%FE&password=x",
                             headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5)

    assert response.text == "status: 400\n"


def test_wrong_password_is_answered_401_by_usim_and_1_by_despatch(aqlsim):
    assert usim(aqlsim, command="queryiccid", iccid=ICCID, password="nope").text == "status: 401\n"
    assert despatch(aqlsim, command="check_stock", password="nope").text == "1: Authentication Error\n"


# --- the rules only the simulator enforces ---


def test_activate_collects_every_invalid_field_code_in_the_order_checked(aqlsim):
    response = usim(aqlsim, **{**ACTIVATE, "imei": "490154203237519", "geo_nos": "447700900123",
                               "subname": "R2D2", "subaddress": "", "subpostcode": "LS10",
                               "subcontactno": "12"})

    assert reply(response) == {"status": "63007,63201,63028,63029,63030,63031"}
    assert aqlsim.fake.sim(ICCID).state == "unused"


def test_activate_accepts_either_spelling_of_the_address_field(aqlsim):
    table_spelling = {**ACTIVATE, "subadress": ACTIVATE["subaddress"], "subaddress": ""}

    assert reply(usim(aqlsim, **table_spelling))["status"] == "200"
    assert reply(usim(aqlsim, **{**ACTIVATE, "iccid": SECOND_ICCID, "geo_nos": "44113000001"}))["status"] == "200"


def test_two_step_request_stays_pending_until_settle_after_then_succeeds(aqlsim):
    fake = aqlsim.fake
    queued = reply(usim(aqlsim, **ACTIVATE))
    assert queued == {"status": "200", "id": str(FIRST_REQUEST_ID)}

    fake.advance(fake.faults.settle_after - 1)
    assert reply(usim(aqlsim, command="checkstatus", id=queued["id"]))["requeststate"] == "pending"
    assert reply(usim(aqlsim, command="queryiccid", iccid=ICCID))["iccidstate"] == "pending"

    fake.advance(1)
    assert reply(usim(aqlsim, command="checkstatus", id=queued["id"])) == {
        "status": "200", "requeststate": "success", "iccid": ICCID}
    assert reply(usim(aqlsim, command="queryiccid", iccid=ICCID)) == {
        "status": "200", "iccid": ICCID, "iccidstate": "active", "geo_nos": GEO,
        "int_roaming": "0", "int_call": "0", "premium": "0"}
    sim = fake.sim(ICCID)
    assert sim.services == {"mo_voice", "mt_voice", "mo_sms", "mt_sms"}
    assert sim.pending_request is None
    assert fake.request(FIRST_REQUEST_ID).state == "success"


def test_failed_activation_returns_the_sim_to_unused_and_frees_its_number(aqlsim):
    fake = aqlsim.fake
    fake.faults.fail_rate = 1.0
    request_id = reply(usim(aqlsim, **ACTIVATE))["id"]
    assert fake.sim(ICCID).geo_nos == GEO  # reserved while pending

    fake.advance(fake.faults.settle_after)

    assert reply(usim(aqlsim, command="checkstatus", id=request_id))["requeststate"] == "failed"
    assert fake.sim(ICCID).state == "unused"
    assert fake.sim(ICCID).geo_nos is None
    fake.faults.fail_rate = 0.0
    assert reply(usim(aqlsim, **{**ACTIVATE, "iccid": SECOND_ICCID}))["status"] == "200"  # number free again


def test_checkstatus_sooner_than_poll_again_within_is_answered_63022(aqlsim):
    fake = aqlsim.fake
    fake.faults.poll_again_within = 1800
    request_id = reply(usim(aqlsim, **ACTIVATE))["id"]

    assert reply(usim(aqlsim, command="checkstatus", id=request_id)) == {"status": "63022"}
    fake.advance(1800)
    assert reply(usim(aqlsim, command="checkstatus", id=request_id))["status"] == "200"
    assert reply(usim(aqlsim, command="checkstatus", id="117"))["status"] == "63025"


def test_a_sim_with_a_request_in_flight_refuses_another_two_step_command(aqlsim):
    aqlsim.fake.put_sim(ICCID, state="active", geo_nos=GEO)
    assert reply(usim(aqlsim, command="suspend", iccid=ICCID, geo_nos=GEO))["status"] == "200"

    assert reply(usim(aqlsim, command="deactivate", iccid=ICCID, geo_nos=GEO)) == {"status": "63026"}


def test_advance_moves_the_simulator_clock_without_waiting(aqlsim):
    fake = aqlsim.fake
    before = fake.now()

    fake.advance(3600)

    assert 3600 <= fake.now() - before < 3610
    with pytest.raises(ValueError):
        fake.advance(-1)


# --- faults ---


def outcomes(seed: int) -> list[tuple[int, str]]:
    """What 24 activations and their checkstatus look like under every kind of random fault."""
    faults = Faults(seed=seed, http500_rate=0.25, malformed_rate=0.25, congestion_rate=0.25, fail_rate=0.5)
    fake = FakeAql(Account(username=USERNAME, password=PASSWORD), faults)
    server, base_url = start_in_thread(fake)
    seen = []
    try:
        sim = Simulator(fake, base_url)
        for i, iccid in zip(range(24), fake.account.iccids(), strict=False):
            response = usim(sim, **{**ACTIVATE, "iccid": iccid, "geo_nos": fake.account.geo_numbers[i]})
            seen.append((response.status_code, response.text[:40]))
        fake.advance(faults.settle_after)
        seen += [(0, request["state"]) for request in fake.state()["requests"]]
    finally:
        server.shutdown()
        server.server_close()
    return seen


def test_the_same_seed_gives_the_same_sequence_of_fault_outcomes():
    first, again, other = outcomes(seed=42), outcomes(seed=42), outcomes(seed=43)

    assert first == again
    assert first != other
    texts = " ".join(text for _, text in first)
    assert {code for code, _ in first} >= {200, 500}  # every kind of fault happened at least once
    assert "#~garbled~#" in texts and "status: 63027" in texts and "status: 200" in texts
    assert "failed" in texts and "success" in texts


def test_latency_delays_every_reply(aqlsim):
    aqlsim.fake.faults.latency = 0.3
    started = time.monotonic()

    usim(aqlsim, command="queryiccid", iccid=ICCID)

    assert time.monotonic() - started >= 0.3


def test_http500_reply_is_an_html_page_and_the_command_is_not_executed(aqlsim):
    aqlsim.fake.faults.http500_rate = 1.0

    response = usim(aqlsim, **ACTIVATE)

    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Internal Server Error" in response.text
    assert aqlsim.fake.sim(ICCID).state == "unused"
    assert aqlsim.fake.count("activate") == 1


def test_malformed_reply_is_garbled_but_the_command_is_executed(aqlsim):
    aqlsim.fake.faults.malformed_rate = 1.0

    response = usim(aqlsim, **ACTIVATE)

    assert response.status_code == 200
    assert "status:" not in response.text
    assert aqlsim.fake.sim(ICCID).state == "pending"


def test_hung_reply_times_out_the_client_but_the_command_took_effect(aqlsim):
    fake = aqlsim.fake
    fake.faults.hang_rate = 1.0
    fake.faults.hang_seconds = 1.0

    with pytest.raises(requests.ReadTimeout):
        usim(aqlsim, timeout=0.2, **ACTIVATE)

    assert fake.sim(ICCID).state == "pending"
    fake.faults.hang_rate = 0.0
    assert reply(usim(aqlsim, command="queryiccid", iccid=ICCID))["iccidstate"] == "pending"  # not blocked


def test_congestion_answers_commands_63027_without_executing_but_spares_queries(aqlsim):
    aqlsim.fake.faults.congestion_rate = 1.0

    assert reply(usim(aqlsim, **ACTIVATE)) == {"status": "63027"}
    assert reply(usim(aqlsim, command="queryiccid", iccid=ICCID))["iccidstate"] == "unused"


def test_forced_codes_answer_the_next_calls_without_executing_them(aqlsim):
    fake = aqlsim.fake
    fake.force("activate", [63033], times=2)
    fake.force("queryiccid", [400, 500])
    fake.force("despatch", [3])

    assert reply(usim(aqlsim, **ACTIVATE)) == {"status": "63033"}
    assert reply(usim(aqlsim, **ACTIVATE)) == {"status": "63033"}
    assert fake.sim(ICCID).state == "unused"
    assert reply(usim(aqlsim, command="queryiccid", iccid=ICCID)) == {"status": "400,500"}
    assert despatch(aqlsim, **order_form()).text == "3: Insufficient SIMs on account\n"
    assert fake.account.stock["AQL-123"] == 2031
    assert reply(usim(aqlsim, **ACTIVATE))["status"] == "200"  # the forcing is used up
    assert fake.count("activate") == 3


def test_forced_codes_come_after_authentication(aqlsim):
    aqlsim.fake.force("queryiccid", [500])

    assert reply(usim(aqlsim, command="queryiccid", iccid=ICCID, password="nope")) == {"status": "401"}
    assert reply(usim(aqlsim, command="queryiccid", iccid=ICCID)) == {"status": "500"}


# --- despatch ---


def test_despatched_order_gets_a_real_unused_account_iccid_and_takes_stock(aqlsim):
    fake = aqlsim.fake
    fake.put_sim(ICCID, state="active", geo_nos=GEO)  # the first ICCID is in use: never sent out

    assert despatch(aqlsim, **order_form()).text == "0: Successful\n"
    assert despatch(aqlsim, **order_form(order_ref="ORD-2", company="")).text == "0: Successful\n"
    assert fake.account.stock == {"AQL-123": 2029, "ABC-456": 20000}
    assert despatch(aqlsim, command="query").text.splitlines()[-2:] == ["iccid:", "status:processing"]

    fake.advance(fake.faults.despatch_after)

    assert despatch(aqlsim, command="query").text == (
        "0: Successful\nname:John Smith\ncompany:aql\naddress:11-15 Hunslet Road,Leeds\n"
        f"postcode:LS10 1JQ\ncontact_no:441133203040\niccid:{SECOND_ICCID}\nstatus:despatched\n")
    first, second = fake.order("ORD-1"), fake.order("ORD-2")
    assert first.iccid == SECOND_ICCID and second.iccid == iccid(2)
    assert fake.sim(second.iccid).state == "unused"


def test_an_order_ref_used_twice_is_refused_with_9_and_makes_no_second_order(aqlsim):
    assert despatch(aqlsim, **order_form()).text == "0: Successful\n"

    assert despatch(aqlsim, **order_form(name="Someone Else")).text == "9: Undefined error\n"
    assert aqlsim.fake.order("ORD-1").name == "John Smith"
    assert aqlsim.fake.account.stock["AQL-123"] == 2030


def test_orders_end_cancelled_when_the_cancel_draw_says_so(aqlsim):
    aqlsim.fake.faults.cancel_rate = 1.0
    despatch(aqlsim, **order_form())

    aqlsim.fake.advance(aqlsim.fake.faults.despatch_after)

    assert aqlsim.fake.order("ORD-1").status == "cancelled"
    assert despatch(aqlsim, command="query").text.endswith("iccid:\nstatus:cancelled\n")


def test_despatch_without_stock_or_fields_is_refused(aqlsim):
    aqlsim.fake.account.stock = {"AQL-123": 0}

    assert despatch(aqlsim, **order_form(postcode="")).text == "2: Missing parameters\n"
    assert despatch(aqlsim, **order_form()).text == "3: Insufficient SIMs on account\n"
    assert despatch(aqlsim, command="query", order_ref="ORD-404").text == "9: Undefined error\n"
    assert despatch(aqlsim, command="cancel").text == "8: Unrecognised Command\n"


# --- control endpoints ---


def test_control_endpoints_drive_a_simulator_in_another_process(aqlsim):
    fake = aqlsim.fake
    sim = control(aqlsim, "sims", {"iccid": ICCID, "state": "active", "geo_nos": GEO, "services": ["mo_sms"]})
    assert sim.json() == {"iccid": ICCID, "state": "active", "geo_nos": GEO, "services": ["mo_sms"],
                          "premium": False, "pending_request": None}
    faults = control(aqlsim, "faults", {"settle_after": 5, "unsupported_services": ["int_roaming"]}).json()
    assert faults["settle_after"] == 5 and faults["unsupported_services"] == ["int_roaming"]
    assert control(aqlsim, "force", {"command": "suspend", "codes": [63033]}).status_code == 200

    assert reply(usim(aqlsim, command="suspend", iccid=ICCID, geo_nos=GEO)) == {"status": "63033"}
    assert reply(usim(aqlsim, command="addservice", iccid=ICCID, geo_nos=GEO,
                      **{"service[int_roaming]": ""})) == {"status": "63032"}
    assert reply(usim(aqlsim, command="suspend", iccid=ICCID, geo_nos=GEO))["status"] == "200"
    before = fake.now()
    assert control(aqlsim, "advance", {"seconds": 5}).json()["now"] >= before + 5

    state = control(aqlsim, "state").json()
    assert state["sims"] == [{"iccid": ICCID, "state": "suspended", "geo_nos": GEO, "services": ["mo_sms"],
                              "premium": False, "pending_request": None}]
    assert [(r["command"], r["state"]) for r in state["requests"]] == [("suspend", "success")]
    assert state["calls"] == {"suspend": 2, "addservice": 1}
    assert state["stock"] == {"AQL-123": 2031, "ABC-456": 20000}
    assert state["now"] >= before + 5


def test_control_endpoints_refuse_what_they_do_not_understand(aqlsim):
    assert control(aqlsim, "faults", {"no_such_fault": 1}).status_code == 400
    assert control(aqlsim, "faults", {"fail_rate": 2}).status_code == 400
    assert control(aqlsim, "advance", {}).status_code == 400
    assert control(aqlsim, "sims", {"iccid": ICCID, "state": "lost"}).status_code == 400
    assert requests.post(f"{aqlsim.base_url}/_aqlsim/advance", data="not json", timeout=5).status_code == 400
    assert control(aqlsim, "nothing").status_code == 404
    assert control(aqlsim, "state", {}).status_code == 405
    assert aqlsim.fake.faults.fail_rate == 0.0


def test_the_password_never_appears_in_replies_call_records_or_state(aqlsim):
    texts = [
        usim(aqlsim, "GET", **ACTIVATE).text,
        usim(aqlsim, "POST", command="checkstatus", id=str(FIRST_REQUEST_ID)).text,
        despatch(aqlsim, "GET", **order_form()).text,
        control(aqlsim, "state").text,
    ]

    assert PASSWORD not in " ".join(texts)
    assert PASSWORD not in repr(aqlsim.fake.calls)
    assert "password=***" in aqlsim.fake.calls[0].query_string
    assert all("password" not in call.params for call in aqlsim.fake.calls)
    assert PASSWORD not in repr(aqlsim.fake.account)
    assert PASSWORD not in redact(f'"GET {USIM_PATH}?username=demo&pass%77ord={PASSWORD}" 200', PASSWORD)


# --- the aqlsim command ---


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_aqlsim_command_serves_both_endpoints_over_a_real_port():
    port = free_port()
    env = {**os.environ, "AQL_USERNAME": USERNAME, "AQL_PASSWORD": PASSWORD, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "aqlsim", "--port", str(port), "--seed", "3", "--settle-after", "10"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 30)  # the line comes once it listens
        assert ready, "aqlsim printed nothing in 30 s"
        banner = proc.stdout.readline()
        base_url = f"http://127.0.0.1:{port}"
        sim = Simulator(FakeAql(), base_url)  # only its URLs are used: the real one is in the subprocess

        queued = reply(usim(sim, "GET", **ACTIVATE))
        state = control(sim, "state").json()
        control(sim, "advance", {"seconds": 10})
        settled = reply(usim(sim, command="checkstatus", id=queued["id"]))
        stock = requests.post(base_url + DESPATCH_PATH, data={"username": USERNAME, "password": PASSWORD,
                              "order_ref": "x", "command": "check_stock"}, timeout=5)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=10)

    assert base_url in banner and PASSWORD not in banner
    assert queued == {"status": "200", "id": str(FIRST_REQUEST_ID)}
    assert state["faults"]["seed"] == 3 and state["faults"]["settle_after"] == 10
    assert settled["requeststate"] == "success"
    assert stock.text.startswith("0: Successful\n")
    assert USIM_PATH in err  # one log line per request...
    assert PASSWORD not in banner + out + err  # ...never with the password, even from a GET
