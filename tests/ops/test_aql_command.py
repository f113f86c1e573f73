"""`manage.py aql`: the operator's command line to the gateway, against the simulator."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import PASSWORD, iccid

pytestmark = pytest.mark.django_db  # each send is recorded in the audit trail, before it goes

ICCID = iccid(0)
ACTIVATE = ["activate", "--iccid", ICCID, "--imei", "490154203237518", "--geo-nos", "44113000000",
            "--subname", "My Name", "--subaddress", "11 Hunslet Road, Leeds", "--subpostcode", "LS10 1JQ",
            "--subcontactno", "441133203040"]


def aql(*args: str) -> tuple[int, str, str]:
    """Run `manage.py aql ARGS`: its exit status, standard output and standard error."""
    out, err = StringIO(), StringIO()
    try:
        call_command("aql", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def test_queryiccid_prints_the_sims_state(aql_settings):
    status, out, _ = aql("queryiccid", "--iccid", ICCID)
    assert status == 0 and "state: unused" in out


def test_activate_then_checkstatus_as_json(aql_settings):
    _, out, _ = aql("--json", *ACTIVATE)
    request_id = json.loads(out)["result"]["request_id"]
    _, out, _ = aql("--json", "checkstatus", "--id", str(request_id))
    assert json.loads(out) == {"ok": True, "result": {"state": "pending", "iccid": ICCID}}


def test_addservice_takes_repeated_services(aql_settings):
    aql_settings.fake.put_sim(ICCID, state="active", geo_nos="44113000000")
    status, _, _ = aql("addservice", "--iccid", ICCID, "--geo-nos", "44113000000", "--service", "int_roaming",
                       "--service", "int_calling")
    assert status == 0
    assert {"service[int_roaming]", "service[int_calling]"} <= set(aql_settings.fake.calls[-1].params)


def test_a_refusal_exits_1_with_every_code_and_its_meaning(aql_settings):
    bad = [*ACTIVATE]
    bad[bad.index("My Name")] = "R2D2"
    bad[bad.index("LS10 1JQ")] = "nowhere"
    status, _, err = aql(*bad)
    assert status == 1
    assert "63028 Subscriber name is invalid: Enter the subscriber's name" in err
    assert "63030 Subscriber postcode is invalid: Enter a valid UK postcode" in err


def test_a_refusal_as_json_lists_each_code_with_field_and_message(aql_settings):
    status, out, _ = aql("--json", "queryiccid", "--iccid", "123")
    (code,) = json.loads(out)["codes"]
    assert status == 1
    assert (code["code"], code["field"]) == (63001, "iccid")
    assert code["message"] == "That is not a valid ICCID (19 or 20 digits)."


def test_stock_and_order_commands_reach_the_despatch_endpoint(aql_settings):
    _, out, _ = aql("check_stock")
    assert out.splitlines() == ["product_code: AQL-123", "quantity: 2031",
                                "product_code: ABC-456", "quantity: 20000"]
    _, out, _ = aql("despatch", "--order-ref", "CLI-1", "--name", "Jo Bloggs", "--address", "1 Road, Leeds",
                    "--postcode", "LS1 1AA", "--contact-no", "441133203040")
    assert out.strip() == "accepted"
    _, out, _ = aql("--json", "query", "--order-ref", "CLI-1")
    assert json.loads(out)["result"]["status"] == "processing"


def test_an_unreachable_gateway_exits_3_without_the_password(aql_settings, settings):
    from ops import gateway

    settings.AQL_USIM_URL = "http://127.0.0.1:9/mobile/configure_sim.php"
    gateway.reset()
    status, out, err = aql("queryiccid", "--iccid", ICCID)
    assert status == 3 and "could not reach aql" in err
    assert PASSWORD not in out + err
