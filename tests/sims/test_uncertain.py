"""Uncertain outcomes against a slow gateway: the simulator takes every command, holds its reply
past our client's timeout, and finishes the command minutes later (two-step commands after
`settle_after`, one-step ones after `one_step_after`). A lost reply is never called "did not
take effect" while aql is still working; no staff path sends the command twice; once aql has
finished, our record follows it; after an outcome decided without checkstatus, the priority
re-check catches what aql does late.
"""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from common.errors import Refused
from ops import gateway
from sims import services, tasks
from sims.lifecycle import Command, SimState
from sims.models import GatewayRequest, RequestState, Sim
from tests.conftest import activation, iccid

pytestmark = pytest.mark.django_db

AQL_TAKES = 240  # seconds aql takes to carry out a command, on its own clock


@pytest.fixture
def slow_aql(world, settings):
    """aql acts on every command, but its reply comes after we stopped waiting, and the command
    itself finishes only AQL_TAKES seconds later."""
    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    faults = world.fake.faults
    faults.hang_rate, faults.hang_seconds = 1.0, 1.0
    faults.settle_after = faults.one_step_after = AQL_TAKES
    return world


def due_now() -> None:
    GatewayRequest.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))


def recheck_due() -> None:
    Sim.objects.exclude(recheck_at=None).update(recheck_at=timezone.now() - timedelta(seconds=1))


def fresh(sim: Sim) -> Sim:
    return Sim.objects.select_related("number").get(pk=sim.pk)


def matches_aql(world, sim: Sim) -> bool:
    """Our record says what aql's does: state, number and the services queryiccid shows."""
    ours, theirs = fresh(sim), world.fake.sim(sim.iccid)
    return (ours.state, ours.number.number if ours.number else None, ours.int_roaming, ours.int_calling) == (
        theirs.state, theirs.geo_nos, "int_roaming" in theirs.services, "int_calling" in theirs.services)


# command -> (the SIM's state before, how staff send it)
SENDS: dict[Command, tuple[str, Callable]] = {
    Command.SUSPEND: (SimState.ACTIVE, lambda sim, who: services.sim_suspend(sim_id=sim.pk, actor=who)),
    Command.REACTIVATE: (SimState.SUSPENDED, lambda sim, who: services.sim_reactivate(sim_id=sim.pk, actor=who)),
    Command.DEACTIVATE: (SimState.ACTIVE, lambda sim, who: services.sim_deactivate(sim_id=sim.pk, actor=who)),
    Command.CHANGEGEO: (SimState.ACTIVE, lambda sim, who: services.sim_number_change(
        sim_id=sim.pk, actor=who, number="44113000009")),
    Command.ADDSERVICE: (SimState.ACTIVE, lambda sim, who: services.sim_services_add(
        sim_id=sim.pk, actor=who, services=["int_roaming"])),
    Command.REMOVESERVICE: (SimState.ACTIVE, lambda sim, who: services.sim_services_remove(
        sim_id=sim.pk, actor=who, services=["int_calling"])),
    Command.ACTIVATE: (SimState.UNUSED, lambda sim, who: services.sim_activate(sim_id=sim.pk, actor=who,
                                                                                **activation())),
}


def a_sim(make_sim, state: str) -> Sim:
    if state == SimState.UNUSED:
        return Sim.objects.get(iccid=iccid(0))
    return make_sim(1, state=state, number="44113000001",
                    services=("mo_voice", "mt_voice", "mo_sms", "mt_sms", "int_calling"))


@pytest.mark.parametrize("command", list(SENDS), ids=[c.value for c in SENDS])
def test_a_lost_reply_stays_unknown_while_aql_works_and_settles_when_aql_finishes(slow_aql, staff, make_sim,
                                                                                 agent, command):
    world = slow_aql
    state, send = SENDS[command]
    sim = a_sim(make_sim, state)
    request = send(sim, staff)
    assert request.state == RequestState.UNKNOWN
    world.fake.faults.hang_rate = 0  # aql answers promptly from now on; the command is still under way
    for _ in range(3):  # the worker looks again and again: aql shows no change yet
        due_now()
        tasks.poll_pass()
        request.refresh_from_db()
        assert request.state == RequestState.UNKNOWN, "a lost reply was called 'did not take effect'"
    page = agent.get(f"/sims/{sim.iccid}/").text
    assert "aql may still be doing this; sending it again could do it twice." in page
    with pytest.raises(Refused, match="still in progress"):  # no second command while it is unknown
        send(sim, staff)
    world.fake.advance(AQL_TAKES)  # aql finishes
    due_now()
    tasks.poll_pass()
    request.refresh_from_db()
    assert request.state == RequestState.SUCCESS
    assert matches_aql(world, sim)
    assert world.fake.count(command.value) == 1  # sent once, whatever happened


def test_a_wrong_decision_by_hand_is_caught_by_the_priority_recheck(slow_aql, staff, make_sim, settings):
    world = slow_aql
    settings.AQL_DRIFT_PER_HOUR = 6  # one SIM a ten-minute pass: the order of the lanes decides which
    sim = a_sim(make_sim, SimState.ACTIVE)
    request = services.sim_suspend(sim_id=sim.pk, actor=staff)
    world.fake.faults.hang_rate = 0
    services.sim_query(sim_id=sim.pk, actor=staff)  # aql shows it active: the agent decides "not done"
    services.request_resolve(request_id=request.pk, happened=False, actor=staff)
    assert fresh(sim).state == SimState.ACTIVE and fresh(sim).recheck_at is not None
    world.fake.advance(AQL_TAKES)  # ...but aql was still doing it, and now it is done
    tasks.drift_pass()
    assert fresh(sim).state == SimState.ACTIVE  # not due yet (AQL_RECHECK_AFTER): a SIM never compared went
    recheck_due()
    tasks.drift_pass()
    assert fresh(sim).state == SimState.SUSPENDED and matches_aql(world, sim)
    assert fresh(sim).events.first().action == "drift"
    assert fresh(sim).recheck_at is None
    assert world.fake.count("suspend") == 1


def test_the_priority_recheck_comes_before_sims_never_compared(world, staff, make_sim, settings):
    settings.AQL_DRIFT_PER_HOUR = 6  # one SIM a ten-minute pass
    sims = [make_sim(n, number=f"4411300000{n}") for n in (1, 2, 3)]
    Sim.objects.filter(pk=sims[2].pk).update(checked_at=timezone.now(), recheck_at=timezone.now())
    tasks.drift_pass()
    assert fresh(sims[2]).recheck_at is None  # the re-check went first
    assert Sim.objects.filter(checked_at__isnull=False).count() == 1


def test_no_effect_after_the_settle_window_is_did_not_take_effect_and_rechecked(slow_aql, staff, make_sim):
    world = slow_aql
    sim = a_sim(make_sim, SimState.ACTIVE)
    world.fake.faults.http500_rate, world.fake.faults.hang_rate = 1.0, 0  # aql fell over before taking it
    request = services.sim_suspend(sim_id=sim.pk, actor=staff)
    world.fake.faults.http500_rate = 0
    assert request.state == RequestState.UNKNOWN
    GatewayRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(days=2))
    due_now()
    tasks.poll_pass()
    request.refresh_from_db()
    assert request.state == RequestState.NOT_SENT and fresh(sim).recheck_at is not None
    assert "did not take effect" in request.events.first().message
    assert services.sim_suspend(sim_id=sim.pk, actor=staff).state == RequestState.PENDING  # free to send again


# --- answers that leave it open, and answers that ask us to wait ---------------------------------

def test_500_in_answer_to_a_command_is_an_unknown_outcome_never_a_refusal(world, staff, make_sim):
    sim = a_sim(make_sim, SimState.ACTIVE)
    world.fake.force("suspend", [500])
    request = services.sim_suspend(sim_id=sim.pk, actor=staff)
    assert request.state == RequestState.UNKNOWN and request.codes == []
    assert "500" in request.reply
    with pytest.raises(Refused, match="still in progress"):
        services.sim_suspend(sim_id=sim.pk, actor=staff)
    assert world.fake.count("suspend") == 1


def test_an_http_500_page_in_answer_to_a_command_is_an_unknown_outcome(world, staff, make_sim):
    sim = a_sim(make_sim, SimState.ACTIVE)
    world.fake.faults.http500_rate = 1.0
    assert services.sim_suspend(sim_id=sim.pk, actor=staff).state == RequestState.UNKNOWN


def test_63027_makes_the_sim_wait_before_any_other_command(world, staff, make_sim):
    sim = a_sim(make_sim, SimState.ACTIVE)
    world.fake.force("suspend", [63027])
    assert services.sim_suspend(sim_id=sim.pk, actor=staff).state == RequestState.REJECTED
    assert fresh(sim).not_before > timezone.now() + timedelta(minutes=4)
    with pytest.raises(Refused, match="congested and asked us to wait"):
        services.sim_suspend(sim_id=sim.pk, actor=staff)
    assert services.sim_query(sim_id=sim.pk, actor=staff).state == RequestState.SUCCESS  # a read may go
    assert world.fake.count("suspend") == 1
    Sim.objects.filter(pk=sim.pk).update(not_before=timezone.now() - timedelta(seconds=1))
    assert services.sim_suspend(sim_id=sim.pk, actor=staff).state == RequestState.PENDING


def test_the_wait_after_63027_is_shown_on_the_sims_page(agent, world, make_sim):
    sim = a_sim(make_sim, SimState.ACTIVE)
    world.fake.force("suspend", [63027])
    agent.post(f"/sims/{sim.iccid}/suspend/", {"reason": "lost"})
    page = agent.post(f"/sims/{sim.iccid}/suspend/", {"reason": "lost"}, follow=True).text
    assert "asked us to wait: send nothing for this SIM before" in page
    assert world.fake.count("suspend") == 1
