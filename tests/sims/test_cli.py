"""`manage.py sim` and `manage.py numbers`: the operator's command line, through the services."""

import json

import pytest

from sims.models import GatewayRequest
from tests.conftest import IMEI, iccid, manage

pytestmark = pytest.mark.django_db


def test_numbers_add_fills_the_pool_and_rejects_a_bad_list_whole(db):
    assert manage("numbers", "add", "0113 496 0000", "441134960001") == (0, "2 numbers added to the pool.\n")
    status, out = manage("numbers", "add", "441134960002", "12")
    assert status == 1 and "Not a UK landline number: 12." in out


def test_add_activate_and_show_a_sim_as_json(world, staff):
    assert manage("sim", "add", iccid(20))[0] == 0
    status, out = manage("sim", "--user", "agent", "activate", iccid(20), "--imei", IMEI, "--number", "44113000004",
                         "--name", "Ada Lovelace", "--address", "1 Road, Leeds", "--postcode", "LS1 1AA",
                         "--contact", "07700 900123")
    assert status == 0 and "Activate sent: aql is working on it.\naql request 117234" in out
    assert GatewayRequest.objects.get().actor == staff
    _, out = manage("sim", "show", iccid(20), "--json")
    shown = json.loads(out)
    assert (shown["state"], shown["requests"][0]["command"], shown["requests"][0]["state"]) == (
        "pending", "activate", "pending")


def test_a_command_the_lifecycle_forbids_exits_1_with_why(world):
    status, out = manage("sim", "suspend", iccid(1), "--reason", "lost")
    assert status == 1 and "Suspend needs a SIM that is active; this one is unused." in out
    assert world.fake.count("suspend") == 0


def test_bad_input_exits_1_naming_each_field(world):
    status, out = manage("sim", "activate", iccid(1), "--imei", "1", "--number", "44113000004", "--name", "Ada",
                         "--address", "x", "--postcode", "??", "--contact", "07700900123")
    assert status == 1 and "imei: That IMEI is not valid" in out and "postcode: Enter a UK postcode" in out


def test_a_refusal_by_aql_exits_1_with_each_code_in_words(world, make_sim):
    make_sim(1, number="44113000001")
    world.fake.account.data_iccids.add(iccid(1))
    status, out = manage("sim", "services", iccid(1), "--add", "mo_voice")
    assert status == 1 and "63034 Invalid service for a data SIM: A data-only SIM cannot have voice" in out


def test_services_number_and_query_go_through(world, make_sim):
    make_sim(1)
    assert manage("sim", "number", iccid(1), "--assign", "44113000009")[0] == 0
    assert manage("sim", "services", iccid(1), "--add", "int_roaming", "int_calling")[0] == 0
    status, out = manage("sim", "query", iccid(1))
    assert status == 0 and "its record matches ours" in out
    _, out = manage("sim", "show", iccid(1))
    assert "number 44113000009" in out


def test_an_unknown_sim_or_user_exits_1(world):
    assert manage("sim", "show", "1111111111999999999")[0] == 1
    assert manage("sim", "--user", "nobody", "query", iccid(1))[0] == 1
