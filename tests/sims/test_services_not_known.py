"""Voice and SMS are on, off or not known: aql's query cannot show them, so a SIM found live at aql
without a command of ours that set them has them not known until a change tells us, never off."""

import json
import re

import pytest

from common.errors import Refused
from sims import services, tasks
from sims.lifecycle import SimState
from sims.models import GatewayRequest, Sim
from tests.conftest import activation, iccid, manage

pytestmark = pytest.mark.django_db

VOICE_AND_SMS = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")
IN_USE_AT_AQL = ("int_roaming", *VOICE_AND_SMS)  # calls, texts and roaming on


def fresh(sim: Sim) -> Sim:
    return Sim.objects.select_related("number").get(pk=sim.pk)


def settle(world, request: GatewayRequest) -> GatewayRequest:
    """Let aql finish the request, then take the worker's step."""
    world.fake.advance(world.fake.faults.settle_after)
    return services.request_poll(request_id=request.pk)


@pytest.fixture
def in_use_at_aql(world) -> Sim:
    """A SIM we hold as unused that aql has active, with a number, calls, texts and roaming."""
    sim = Sim.objects.get(iccid=iccid(3))
    world.fake.put_sim(sim.iccid, state="active", geo_nos="44113000007", services=IN_USE_AT_AQL)
    return sim


def voice_and_sms(sim: Sim) -> tuple:
    return tuple(getattr(fresh(sim), name) for name in VOICE_AND_SMS)


def test_a_sim_live_at_aql_we_held_unused_has_calls_and_texts_not_known_after_a_query(world, staff, in_use_at_aql):
    services.sim_query(sim_id=in_use_at_aql.pk, actor=staff)
    sim = fresh(in_use_at_aql)
    assert (sim.state, sim.number.number, sim.int_roaming, sim.int_calling) == (
        SimState.ACTIVE, "44113000007", True, False)
    assert voice_and_sms(sim) == (None, None, None, None)  # not off: aql has them on
    event = sim.events.first()
    assert "calls and texts not known (adopted from aql: its record does not show them)" in event.message
    assert event.after["services"]["mo_voice"] is None and event.before["services"]["mo_voice"] is False


def test_the_drift_sweep_finds_such_a_sim_and_records_its_calls_and_texts_not_known(world, settings, in_use_at_aql):
    settings.AQL_DRIFT_PER_HOUR = 24  # 4 a ten-minute pass: the fourth SIM is this one
    tasks.drift_pass()
    sim = fresh(in_use_at_aql)
    assert sim.state == SimState.ACTIVE and voice_and_sms(sim) == (None, None, None, None)


def test_not_known_is_no_difference_from_aql_when_asked_again(world, staff, in_use_at_aql):
    services.sim_query(sim_id=in_use_at_aql.pk, actor=staff)
    services.sim_query(sim_id=in_use_at_aql.pk, actor=staff)
    sim = fresh(in_use_at_aql)
    assert sim.events.first().message == "Asked aql: its record matches ours."
    assert voice_and_sms(sim) == (None, None, None, None)


def test_a_suspended_sim_we_held_active_keeps_its_known_calls_and_texts(world, staff, make_sim):
    sim = make_sim(1, number="44113000001")
    world.fake.put_sim(sim.iccid, state="suspended", geo_nos="44113000001", services=VOICE_AND_SMS)
    services.sim_query(sim_id=sim.pk, actor=staff)
    assert fresh(sim).state == SimState.SUSPENDED and voice_and_sms(sim) == (True, True, True, True)


def test_a_change_of_services_makes_those_it_names_known_again(world, staff, in_use_at_aql):
    services.sim_query(sim_id=in_use_at_aql.pk, actor=staff)
    settle(world, services.sim_services_remove(sim_id=in_use_at_aql.pk, actor=staff, services=["mo_sms"]))
    settle(world, services.sim_services_add(sim_id=in_use_at_aql.pk, actor=staff, services=["mo_voice"]))
    assert voice_and_sms(in_use_at_aql) == (True, None, False, None)


def test_terminating_such_a_sim_makes_every_service_known_off(world, staff, in_use_at_aql):
    services.sim_query(sim_id=in_use_at_aql.pk, actor=staff)
    settle(world, services.sim_deactivate(sim_id=in_use_at_aql.pk, actor=staff))
    sim = fresh(in_use_at_aql)
    assert sim.state == SimState.TERMINATED and sim.services == dict.fromkeys(sim.services, False)


def test_a_sim_we_activate_has_its_calls_and_texts_known_on(world, staff):
    sim = Sim.objects.get(iccid=iccid(0))
    settle(world, services.sim_activate(sim_id=sim.pk, actor=staff, **activation()))
    assert voice_and_sms(sim) == (True, True, True, True)


# --- changing services whose state is not known: aql's add and remove are "make it so" -----------

@pytest.fixture
def adopted(world, staff, in_use_at_aql) -> Sim:
    """The SIM in use at aql, brought into our records by a query: calls and texts not known."""
    services.sim_query(sim_id=in_use_at_aql.pk, actor=staff)
    return fresh(in_use_at_aql)


def sent(world) -> dict[str, list[list[str]]]:
    """The services each add and remove sent named (the simulator's wire log, password-free)."""
    return {command: [sorted(k[len("service["):-1] for k in call.params if k.startswith("service["))
                      for call in world.fake.calls if call.command == command]
            for command in ("addservice", "removeservice")}


def test_services_kept_as_they_are_are_neither_added_nor_removed(world, staff, adopted):
    services.sim_services_set(sim_id=adopted.pk, actor=staff, services=["int_roaming", "int_calling"],
                              keep=VOICE_AND_SMS)
    assert sent(world) == {"addservice": [["int_calling"]], "removeservice": []}


def test_a_service_not_known_may_be_added_and_one_not_wanted_is_removed(world, staff, adopted):
    request = services.sim_services_set(sim_id=adopted.pk, actor=staff, services=["int_roaming", "mo_voice"],
                                        keep=["mt_voice", "mo_sms"])
    assert request.params == {"geo_nos": "44113000007", "services": ["mo_voice"], "then_remove": ["mt_sms"]}
    settle(world, request)
    tasks.poll_pass()  # the removal, journalled once the addition succeeded
    settle(world, GatewayRequest.objects.get(command="removeservice"))
    assert voice_and_sms(adopted) == (True, None, None, False)


def test_nothing_to_change_when_every_service_not_known_is_kept(world, staff, adopted):
    with pytest.raises(Refused, match="Nothing to change"):
        services.sim_services_set(sim_id=adopted.pk, actor=staff, services=["int_roaming"], keep=VOICE_AND_SMS)


# --- the command line and admin say "not known" in words -----------------------------------------

def test_sim_show_maps_each_service_to_true_false_or_null(adopted):
    shown = json.loads(manage("sim", "show", adopted.iccid, "--json")[1])
    assert shown["services"] == {"int_roaming": True, "int_calling": False, "mo_voice": None, "mt_voice": None,
                                 "mo_sms": None, "mt_sms": None}
    said = manage("sim", "show", adopted.iccid)[1]
    assert ("services: International roaming; not known (adopted from aql): Outgoing calls, Incoming calls, "
            "Outgoing SMS, Incoming SMS") in said


def test_admin_says_not_known_in_words_on_the_list_and_the_sim(admin_client, adopted):
    listed = admin_client.get("/admin/sims/sim/", {"mo_voice__isnull": "True"}).text
    assert adopted.iccid in listed and iccid(4) not in listed
    assert "International roaming; not known (adopted from aql): Outgoing calls" in listed
    page = admin_client.get(f"/admin/sims/sim/{adopted.pk}/change/").text
    assert re.search(r"Outgoing calls:</label>\s*<div class=\"readonly\">not known \(adopted from aql\)</div>", page)
    assert re.search(r"International roaming:</label>\s*<div class=\"readonly\">on</div>", page)
