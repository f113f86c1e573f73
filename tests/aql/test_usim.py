"""The USIM gateway client against the simulator, over real loopback HTTP."""

import pytest
import requests

from aql.codes import Retry
from aql.http import GatewayRejected, GatewayReplyUnreadable, GatewayUnreachable
from aql.usim import IccidState, IccidStatus, Queued, RequestState, RequestStatus, UsimClient, parse_reply
from tests.conftest import PASSWORD, USERNAME, iccid  # the n-th ICCID on the simulator's account

EXAMPLE_ICCID = iccid(0)  # the simulator's first (the spec's example fails the Luhn check every ICCID passes)
EXAMPLE_GEO = "44113000000"
IMEI = "490154203237518"  # a valid IMEI (Luhn)
OTHER_GEO = "44113000007"


def spec_example(**changes: str) -> dict[str, str]:
    """The spec's activate example, plus an IMEI (mandatory in the spec's table, missing from its example)."""
    fields = {"iccid": EXAMPLE_ICCID, "imei": IMEI, "geo_nos": EXAMPLE_GEO, "subname": "My Name",
              "subaddress": "11 – 15 Hunslet Road, Leeds", "subpostcode": "LS101JQ",
              "subcontactno": "441133203040"}
    return fields | changes


def rejected_numbers(call) -> tuple[int, ...]:
    with pytest.raises(GatewayRejected) as caught:
        call()
    return caught.value.numbers


@pytest.fixture
def active(aqlsim) -> str:
    sim = iccid(5)
    aqlsim.fake.put_sim(sim, state="active", geo_nos="44113000005",
                        services=["mo_voice", "mt_voice", "mo_sms", "mt_sms"])
    return sim


# --- the spec's own examples ------------------------------------------------------------

def test_the_spec_activate_example_is_queued_with_the_spec_request_id(usim, aqlsim):
    assert usim.activate(**spec_example()) == Queued(117234)
    assert aqlsim.fake.sim(EXAMPLE_ICCID).state == "pending"


def test_checkstatus_gives_the_spec_pending_then_success_replies(usim, aqlsim):
    queued = usim.activate(**spec_example())
    assert usim.checkstatus(request_id=queued.request_id) == RequestStatus(RequestState.PENDING, EXAMPLE_ICCID)
    aqlsim.fake.advance(aqlsim.fake.faults.settle_after)
    assert usim.checkstatus(request_id=queued.request_id) == RequestStatus(RequestState.SUCCESS, EXAMPLE_ICCID)
    status = usim.queryiccid(iccid=EXAMPLE_ICCID)
    assert status == IccidStatus(EXAMPLE_ICCID, IccidState.ACTIVE, EXAMPLE_GEO, False, False, False)


def test_checkstatus_gives_the_spec_failed_reply_when_the_network_refuses(usim, aqlsim):
    aqlsim.fake.faults.fail_rate = 1.0
    queued = usim.activate(**spec_example())
    aqlsim.fake.advance(aqlsim.fake.faults.settle_after)
    assert usim.checkstatus(request_id=queued.request_id).state == RequestState.FAILED
    assert usim.queryiccid(iccid=EXAMPLE_ICCID).state == IccidState.UNUSED


def test_checkstatus_with_a_wrong_password_gives_the_spec_401(aqlsim):
    client = UsimClient(url=aqlsim.usim_url, username=USERNAME, password="wrong", timeout=2)
    assert rejected_numbers(lambda: client.checkstatus(request_id=117234)) == (401,)


# --- the subadress / subaddress discrepancy --------------------------------------------

def test_activate_sends_the_address_under_both_spellings_the_spec_uses(usim, aqlsim):
    usim.activate(**spec_example())
    params = aqlsim.fake.calls[-1].params
    assert params["subaddress"] == params["subadress"] == "11 – 15 Hunslet Road, Leeds"


@pytest.mark.parametrize("spelling", ["subaddress", "subadress"])
def test_the_simulator_accepts_the_address_under_either_spelling_alone(aqlsim, spelling):
    fields = spec_example()
    fields[spelling] = fields.pop("subaddress")
    body = {"username": USERNAME, "password": PASSWORD, "command": "activate", **fields}
    reply = requests.post(aqlsim.usim_url, data=body, timeout=2).text
    assert parse_reply(reply)["status"] == "200"


# --- every command's success --------------------------------------------------------------

def settle(usim, aqlsim, queued: Queued) -> RequestState:
    aqlsim.fake.advance(aqlsim.fake.faults.settle_after)
    return usim.checkstatus(request_id=queued.request_id).state


def test_suspend_then_reactivate(usim, aqlsim, active):
    assert settle(usim, aqlsim, usim.suspend(iccid=active, geo_nos="44113000005")) == RequestState.SUCCESS
    assert usim.queryiccid(iccid=active).state == IccidState.SUSPENDED
    assert settle(usim, aqlsim, usim.reactivate(iccid=active, geo_nos="44113000005")) == RequestState.SUCCESS
    assert usim.queryiccid(iccid=active).state == IccidState.ACTIVE


def test_deactivate_terminates_and_frees_the_number(usim, aqlsim, active):
    assert settle(usim, aqlsim, usim.deactivate(iccid=active, geo_nos="44113000005")) == RequestState.SUCCESS
    status = usim.queryiccid(iccid=active)
    assert status.state == IccidState.TERMINATED and status.geo_nos is None
    other = iccid(6)
    aqlsim.fake.put_sim(other, state="active")
    assert usim.assigngeo(iccid=other, geo_nos="44113000005").state == RequestState.SUCCESS


def test_add_and_remove_services(usim, aqlsim, active):
    queued = usim.addservice(iccid=active, geo_nos="44113000005", services=["int_roaming", "int_calling"])
    assert settle(usim, aqlsim, queued) == RequestState.SUCCESS
    status = usim.queryiccid(iccid=active)
    assert (status.int_roaming, status.int_call) == (True, True)
    queued = usim.removeservice(iccid=active, geo_nos="44113000005", services=["int_roaming"])
    assert settle(usim, aqlsim, queued) == RequestState.SUCCESS
    assert aqlsim.fake.sim(active).services == {"int_calling", "mo_voice", "mt_voice", "mo_sms", "mt_sms"}


def test_addservice_sends_each_service_as_a_blank_bracketed_field(usim, aqlsim, active):
    usim.addservice(iccid=active, geo_nos="44113000005", services=["mo_sms", "int_roaming"])
    params = aqlsim.fake.calls[-1].params
    assert params["service[mo_sms]"] == params["service[int_roaming]"] == ""


def test_assigngeo_settles_at_once(usim, aqlsim):
    aqlsim.fake.put_sim(iccid(7), state="active")
    assert usim.assigngeo(iccid=iccid(7), geo_nos=OTHER_GEO) == RequestStatus(RequestState.SUCCESS, iccid(7))
    assert usim.queryiccid(iccid=iccid(7)).geo_nos == OTHER_GEO


def test_changegeo_settles_at_once(usim, active):
    status = usim.changegeo(iccid=active, geo_nos="44113000005", new_geo_nos=OTHER_GEO)
    assert status == RequestStatus(RequestState.SUCCESS, active)
    assert usim.queryiccid(iccid=active).geo_nos == OTHER_GEO


def test_queryiccid_of_an_unused_sim_has_no_number_or_flags(usim):
    assert usim.queryiccid(iccid=iccid(9)) == IccidStatus(iccid(9), IccidState.UNUSED)


def test_return_mode_and_format_are_passed_through(usim, aqlsim):
    usim.queryiccid(iccid=iccid(9), return_mode="text", return_format="plain")
    params = aqlsim.fake.calls[-1].params
    assert (params["return-mode"], params["return-format"]) == ("text", "plain")


# --- every documented code the rules can reach -------------------------------------------

def test_bad_iccid_gives_63001(usim):
    assert rejected_numbers(lambda: usim.queryiccid(iccid="12345")) == (63001,)


def test_iccid_of_another_account_gives_63003(usim):
    assert rejected_numbers(lambda: usim.queryiccid(iccid="8944000000000000001")) == (63003,)


def test_unknown_service_gives_63004(usim, active):
    call = lambda: usim.addservice(iccid=active, geo_nos="44113000005", services=["teleport"])  # noqa: E731
    assert rejected_numbers(call) == (63004,)


def test_bad_imei_gives_63007(usim):
    assert rejected_numbers(lambda: usim.activate(**spec_example(imei="490154203237519"))) == (63007,)


def test_misconfigured_sim_gives_63014(usim, aqlsim):
    aqlsim.fake.account.misconfigured_iccids.add(EXAMPLE_ICCID)
    assert rejected_numbers(lambda: usim.activate(**spec_example())) == (63014,)


def test_suspending_an_unused_sim_gives_63017(usim):
    assert rejected_numbers(lambda: usim.suspend(iccid=iccid(3), geo_nos=EXAMPLE_GEO)) == (63017,)


def test_another_accounts_handset_gives_63021(usim, aqlsim):
    aqlsim.fake.account.foreign_imeis.add(IMEI)
    assert rejected_numbers(lambda: usim.activate(**spec_example())) == (63021,)


def test_polling_too_soon_gives_63022_with_poll_again_advice(usim, aqlsim):
    aqlsim.fake.faults.poll_again_within = 600
    queued = usim.activate(**spec_example())
    with pytest.raises(GatewayRejected) as caught:
        usim.checkstatus(request_id=queued.request_id)
    assert caught.value.numbers == (63022,)
    assert caught.value.codes[0].retry == Retry.POLL_AGAIN


def test_no_services_gives_63023(usim, active):
    assert rejected_numbers(lambda: usim.addservice(iccid=active, geo_nos="44113000005", services=[])) == (63023,)


def test_unknown_request_id_gives_63025(usim):
    assert rejected_numbers(lambda: usim.checkstatus(request_id=99)) == (63025,)


def test_activating_an_active_sim_gives_63026(usim, active):
    assert rejected_numbers(lambda: usim.activate(**spec_example(iccid=active))) == (63026,)


def test_a_second_command_while_one_is_pending_gives_63026(usim, active):
    usim.suspend(iccid=active, geo_nos="44113000005")
    call = lambda: usim.addservice(iccid=active, geo_nos="44113000005", services=["int_roaming"])  # noqa: E731
    assert rejected_numbers(call) == (63026,)


def test_congestion_gives_63027_with_a_five_minute_wait_and_nothing_done(usim, aqlsim):
    aqlsim.fake.faults.congestion_rate = 1.0
    with pytest.raises(GatewayRejected) as caught:
        usim.activate(**spec_example())
    code = caught.value.codes[0]
    assert (code.code, code.retry, code.retry_after) == (63027, Retry.LATER, 300)
    assert aqlsim.fake.sim(EXAMPLE_ICCID).state == "unused"


def test_every_bad_subscriber_field_is_reported_at_once_each_with_its_field(usim):
    bad = spec_example(subname="R2D2", subaddress="", subpostcode="NOT A POSTCODE", subcontactno="12")
    with pytest.raises(GatewayRejected) as caught:
        usim.activate(**bad)
    codes = caught.value.codes
    assert [c.code for c in codes] == [63028, 63029, 63030, 63031]
    assert [c.field for c in codes] == ["subname", "subaddress", "subpostcode", "subcontactno"]
    assert all(c.message and c.retry == Retry.NO for c in codes)


def test_a_service_not_yet_available_gives_63032(usim, aqlsim, active):
    aqlsim.fake.faults.unsupported_services = frozenset({"int_roaming"})
    call = lambda: usim.addservice(iccid=active, geo_nos="44113000005", services=["int_roaming"])  # noqa: E731
    assert rejected_numbers(call) == (63032,)


def test_voice_on_a_data_sim_gives_63034(usim, aqlsim, active):
    aqlsim.fake.account.data_iccids.add(active)
    call = lambda: usim.addservice(iccid=active, geo_nos="44113000005", services=["mo_voice"])  # noqa: E731
    assert rejected_numbers(call) == (63034,)


def test_a_number_not_on_the_account_gives_63201(usim):
    assert rejected_numbers(lambda: usim.activate(**spec_example(geo_nos="44207000000"))) == (63201,)


def test_changing_the_number_of_a_sim_without_one_gives_63202(usim, aqlsim):
    aqlsim.fake.put_sim(iccid(8), state="active")
    call = lambda: usim.changegeo(iccid=iccid(8), geo_nos=EXAMPLE_GEO, new_geo_nos=OTHER_GEO)  # noqa: E731
    assert rejected_numbers(call) == (63202,)


def test_assigning_a_number_to_a_sim_that_has_one_gives_63203(usim, active):
    assert rejected_numbers(lambda: usim.assigngeo(iccid=active, geo_nos=OTHER_GEO)) == (63203,)


def test_a_number_in_use_gives_63204(usim, active):
    assert rejected_numbers(lambda: usim.activate(**spec_example(geo_nos="44113000005"))) == (63204,)


def test_unknown_command_gives_600(aqlsim):
    body = {"username": USERNAME, "password": PASSWORD, "command": "changeiccid"}
    assert parse_reply(requests.post(aqlsim.usim_url, data=body, timeout=2).text)["status"] == "600"


@pytest.mark.parametrize("code", [400, 500, 63024, 63033])
def test_codes_no_rule_reaches_are_forced_and_reported_with_their_meaning(usim, aqlsim, code):
    aqlsim.fake.force("queryiccid", [code])
    with pytest.raises(GatewayRejected) as caught:
        usim.queryiccid(iccid=iccid(2))
    assert caught.value.numbers == (code,)
    assert caught.value.codes[0].description != "Undocumented code"


# --- transport failures and odd replies ---------------------------------------------------

def test_a_garbled_reply_raises_unreadable_and_keeps_the_body(usim, aqlsim):
    aqlsim.fake.faults.malformed_rate = 1.0
    with pytest.raises(GatewayReplyUnreadable) as caught:
        usim.queryiccid(iccid=iccid(2))
    assert caught.value.body


def test_an_http_500_raises_unreachable(usim, aqlsim):
    aqlsim.fake.faults.http500_rate = 1.0
    with pytest.raises(GatewayUnreachable, match="HTTP 500"):
        usim.queryiccid(iccid=iccid(2))


def test_a_hung_connection_times_out_as_unreachable_though_aql_acted(aqlsim):
    aqlsim.fake.faults.hang_rate = 1.0
    aqlsim.fake.faults.hang_seconds = 2.0
    client = UsimClient(url=aqlsim.usim_url, username=USERNAME, password=PASSWORD, timeout=0.3)
    with pytest.raises(GatewayUnreachable, match="in time"):
        client.activate(**spec_example())
    assert aqlsim.fake.sim(EXAMPLE_ICCID).state == "pending"  # why the outcome counts as unknown


def test_nothing_listening_raises_unreachable(serve):
    client = UsimClient(url="http://127.0.0.1:9/mobile/configure_sim.php", username=USERNAME,
                        password=PASSWORD, timeout=1)
    with pytest.raises(GatewayUnreachable, match="could not reach"):
        client.queryiccid(iccid=iccid(2))


def canned(body: bytes):
    """A WSGI app that always answers `body`, to serve replies the simulator never makes."""
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [body]
    return app


def test_replies_are_read_whatever_their_line_endings_spacing_key_order_and_extra_keys(serve):
    body = b"\r\n  IccidState :active\r\nextra: thing\r\niccid:   8944120000000000006  \r\n" \
           b"premium: 1\r\nstatus :200\r\ngeo_nos: 44113000000\r\nint_call: 0\r\nint_roaming: 1\r\n\r\n"
    client = UsimClient(url=serve(canned(body)), username=USERNAME, password=PASSWORD, timeout=2)
    assert client.queryiccid(iccid=EXAMPLE_ICCID) == IccidStatus(
        EXAMPLE_ICCID, IccidState.ACTIVE, EXAMPLE_GEO, int_roaming=True, int_call=False, premium=True)


@pytest.mark.parametrize("body", [
    b"<html><body>Service Unavailable</body></html>",
    b"status: OK",
    b"status: 200\nrequeststate: maybe\niccid: 1",
    b"status: 200\nrequeststate: success",
    b"status: 200\nstatus: 401",
    b"",
])
def test_replies_we_cannot_read_raise_unreadable(serve, body):
    client = UsimClient(url=serve(canned(body)), username=USERNAME, password=PASSWORD, timeout=2)
    with pytest.raises(GatewayReplyUnreadable):
        client.checkstatus(request_id=1)


@pytest.mark.parametrize("body", [b"status: 200\nid: abc", b"status: 200\n"])
def test_a_queued_reply_without_a_numeric_id_is_unreadable(serve, body):
    client = UsimClient(url=serve(canned(body)), username=USERNAME, password=PASSWORD, timeout=2)
    with pytest.raises(GatewayReplyUnreadable):
        client.suspend(iccid=EXAMPLE_ICCID, geo_nos=EXAMPLE_GEO)


def test_a_multi_code_status_with_spaces_keeps_every_code_in_order(serve):
    client = UsimClient(url=serve(canned(b"status: 63028, 63030\n")), username=USERNAME,
                        password=PASSWORD, timeout=2)
    with pytest.raises(GatewayRejected) as caught:
        client.activate(**spec_example())
    assert caught.value.numbers == (63028, 63030)


def test_an_undocumented_code_is_still_reported_with_its_number(serve):
    client = UsimClient(url=serve(canned(b"status: 70001\n")), username=USERNAME, password=PASSWORD, timeout=2)
    with pytest.raises(GatewayRejected, match="70001"):
        client.queryiccid(iccid=EXAMPLE_ICCID)


# --- the password ---------------------------------------------------------------------

def test_the_password_never_appears_in_any_url_sent(usim, aqlsim, active):
    usim.activate(**spec_example())
    usim.checkstatus(request_id=117234)
    usim.suspend(iccid=active, geo_nos="44113000005")
    usim.queryiccid(iccid=active)
    with pytest.raises(GatewayRejected):
        usim.changegeo(iccid=active, geo_nos=OTHER_GEO, new_geo_nos=EXAMPLE_GEO)
    calls = aqlsim.fake.calls
    assert len(calls) == 5
    for call in calls:
        assert call.method == "POST"
        assert call.query_string == ""  # nothing in the URL at all (the simulator masks what it logs)
        assert PASSWORD not in call.path
    assert PASSWORD not in repr(usim)
