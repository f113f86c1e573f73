"""Replacement from the two ends the plain procedure does not start at: a terminated SIM whose
subscriber wants their resting number back on a new SIM, and a lost SIM whose suspend is still
with aql when the replacement starts (it waits behind it, then goes on)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.errors import Refused
from sims import services, tasks
from sims.lifecycle import Command, RequestState, SimState
from sims.models import GatewayRequest, GeographicNumber, Replacement, Sim
from sims.models_replacements import ReplacementState
from sims.reasons import StopReason
from sims.selectors_replacements import replacement_said
from sims.services import replacement_steps
from tests.conftest import activation, iccid
from tests.sims.test_replace import KEPT, assert_number_safe, new_sim, old_sim, run  # noqa: F401 (a fixture)
from tests.sims.test_uncertain import AQL_TAKES, due_now, fresh

pytestmark = pytest.mark.django_db


@pytest.fixture
def terminated(world, staff, old_sim):  # noqa: F811 (the fixture imported above)
    """A SIM with roaming on and voice, terminated by the worker: its number KEPT now rests for Ada."""
    old = old_sim(services=("mo_voice", "mt_voice", "int_roaming"))
    services.sim_deactivate(sim_id=old.pk, actor=staff, reason=StopReason.CUSTOMER_REQUEST)
    world.fake.advance(AQL_TAKES)
    due_now()
    tasks.poll_pass()
    old = fresh(old)
    assert old.state == SimState.TERMINATED and old.number is None
    geo = GeographicNumber.objects.get(number=KEPT)
    assert geo.rests_for_id == old.subscriber_id and geo.rests_until > timezone.now()
    return old


def test_a_terminated_sims_subscriber_gets_a_new_sim_with_their_resting_number(world, staff, terminated):
    replacement = services.sim_replace(sim_id=terminated.pk, new_sim_id=new_sim().pk, actor=staff)
    assert replacement.plan == Replacement.TERMINATED and replacement.step == "kept_on"
    assert replacement.services["int_roaming"] is True, "the services it had before termination, not after"
    assert_number_safe(world)
    replacement = run(world, replacement)
    assert replacement.state == ReplacementState.DONE, replacement.stopped_why
    assert [s.step for s in replacement.steps.all()] == ["kept_on", "add", "remove"]
    new = fresh(new_sim())
    assert new.state == SimState.ACTIVE and new.number.number == KEPT
    assert new.subscriber.name == "Ada Lovelace" and new.subscriber_id != terminated.subscriber_id
    assert new.int_roaming and new.mo_voice and not new.mo_sms  # as it was, SMS off as before
    assert world.fake.sim(new.iccid).geo_nos == KEPT
    assert world.fake.count("activate") == 1 and world.fake.count("changegeo") == 0  # no stand-in, nothing moved
    geo = GeographicNumber.objects.get(number=KEPT)
    assert geo.rests_until is None and geo.rests_for is None, "the number is theirs again: no longer resting"


def test_the_terminated_sims_page_offers_the_old_number_back_and_confirms_in_words(world, agent, terminated):
    page = agent.get(f"/sims/{terminated.iccid}/").text
    assert "Give this subscriber a new SIM with their old number" in page and "rests for its subscriber" in page
    page = agent.post(f"/sims/{terminated.iccid}/replace/", {"new_sim": iccid(5)[-6:], "imei": ""}).text
    assert "will be activated with the number" in page and "no longer rests" in page
    agent.post(f"/sims/{terminated.iccid}/replace/", {"new_sim": iccid(5), "imei": "", "confirmed": "1"})
    assert Replacement.objects.get().plan == Replacement.TERMINATED


def test_no_one_else_may_take_the_number_but_the_same_subscriber_may(world, staff, terminated):
    with pytest.raises(Refused, match="is resting until"):
        services.sim_activate(sim_id=Sim.objects.get(iccid=iccid(6)).pk, actor=staff,
                              **activation(number=KEPT, name="Stranger"))
    services.sim_replace(sim_id=terminated.pk, new_sim_id=new_sim().pk, actor=staff)
    with pytest.raises(Refused, match="already in use"):  # held for the procedure now
        services.sim_activate(sim_id=Sim.objects.get(iccid=iccid(6)).pk, actor=staff,
                              **activation(number=KEPT, name="Stranger"))


def test_a_terminated_sim_without_a_resting_number_is_refused_in_words(world, staff, terminated):
    services.number_rest_end(number=KEPT, actor=staff, reason="ported away")
    with pytest.raises(Refused, match="No number rests for this subscriber now"):
        services.sim_replace(sim_id=terminated.pk, new_sim_id=new_sim().pk, actor=staff)
    assert not Replacement.objects.exists()


def test_a_terminated_sim_whose_subscriber_was_erased_is_refused_in_words(world, staff, terminated):
    services.subscriber_erase(sim_id=terminated.pk, actor=staff)
    with pytest.raises(Refused, match="subscriber details were erased"):
        services.sim_replace(sim_id=fresh(terminated).pk, new_sim_id=new_sim().pk, actor=staff)


def passes_with_the_suspend_unchecked(world, replacement: Replacement, suspend: GatewayRequest) -> Replacement:
    """Worker passes in which aql finishes everything, but the worker has not yet come to check the
    suspend (its first check is due later): the procedure comes to the old SIM's step and waits."""
    for _ in range(8):
        due_now()
        GatewayRequest.objects.filter(pk=suspend.pk).update(next_poll_at=timezone.now() + timedelta(hours=1))
        tasks.poll_pass()
        replacement.refresh_from_db()
        if replacement.waiting_behind_id:
            return replacement
        world.fake.advance(AQL_TAKES)
    return replacement


def test_a_lost_sim_is_replaced_at_once_its_termination_waiting_behind_the_suspend(world, staff, old_sim):  # noqa: F811
    old = old_sim()
    suspend = services.sim_suspend(sim_id=old.pk, actor=staff, reason=StopReason.LOST)
    assert suspend.state == RequestState.PENDING
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)
    assert replacement.plan == Replacement.SUSPENDED, "a SIM being suspended is replaced as a suspended one"
    replacement = passes_with_the_suspend_unchecked(world, replacement, suspend)
    assert replacement.waiting_behind_id == suspend.pk and replacement.step == "old_end"
    assert replacement.state == ReplacementState.RUNNING
    assert "once the suspend in progress has finished" in replacement_said(replacement)
    assert world.fake.count("deactivate") == 0, "nothing sent for the old SIM while its suspend is in flight"
    assert_number_safe(world)
    replacement = run(world, replacement)
    assert replacement.state == ReplacementState.DONE, replacement.stopped_why
    assert [s.step for s in replacement.steps.all()] == ["activate", "add", "old_end", "new_on"]
    assert fresh(new_sim()).number.number == KEPT and fresh(old).state == SimState.TERMINATED
    assert {c: world.fake.count(c) for c in ("suspend", "activate", "deactivate")} == dict.fromkeys(
        ("suspend", "activate", "deactivate"), 1)


def test_only_a_suspend_may_be_in_flight_when_a_replacement_starts(world, staff, old_sim):  # noqa: F811
    old = old_sim()
    services.sim_services_add(sim_id=old.pk, actor=staff, services=["int_calling"])
    with pytest.raises(Refused, match="still in progress"):
        services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)
    assert GatewayRequest.objects.filter(command=Command.ACTIVATE).count() == 0


def test_a_suspend_still_waiting_to_be_sent_is_not_overtaken_by_a_replacement(world, staff, old_sim):  # noqa: F811
    old = old_sim()
    services.batch_start(sim_ids=[old.pk], command=Command.SUSPEND, actor=staff, reason=StopReason.LOST)
    waiting = GatewayRequest.objects.get(sim=old, command=Command.SUSPEND)
    assert waiting.state == RequestState.TO_SEND  # the worker sends a batch's requests
    with pytest.raises(Refused, match="still in progress"):  # the procedure's hold would stop it being sent
        services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)


def test_a_suspend_that_settles_while_its_step_is_blocked_is_not_waited_for_forever(world, staff, old_sim):  # noqa: F811
    """The race: the termination's step finds the SIM's place taken, but the suspend holding it has
    settled by the time it looks (committed between the two): the step is journalled at once."""
    old = old_sim()
    suspend = services.sim_suspend(sim_id=old.pk, actor=staff, reason=StopReason.LOST)
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=new_sim().pk, actor=staff)
    GatewayRequest.objects.filter(pk=suspend.pk).update(state=RequestState.SUCCESS)  # settled, seen late
    replacement_steps._wait_behind(replacement, "old_end", fresh(old))
    replacement.refresh_from_db()
    assert replacement.waiting_behind_id is None and replacement.state == ReplacementState.RUNNING
    assert replacement.steps.filter(step="old_end").exists(), "journalled at once, not waiting for ever"
