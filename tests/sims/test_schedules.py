"""Suspends and reactivations for later (sims.services.schedules): made for one SIM or many, moved
or cancelled until they run, run once at their time by the worker as the scheduler's request."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from common.errors import Refused
from sims import services, tasks
from sims.lifecycle import Command, RequestState, SimState
from sims.models import GatewayRequest, ScheduledAction

pytestmark = pytest.mark.django_db
State = ScheduledAction.State


def soon(minutes: int = 60):
    return timezone.now() + timedelta(minutes=minutes)


def due_now(*actions: ScheduledAction) -> None:
    ScheduledAction.objects.filter(pk__in=[a.pk for a in actions]).update(due_at=timezone.now() - timedelta(seconds=1))


def test_a_scheduled_suspend_runs_once_at_its_time_in_the_schedulers_name(world, make_sim, staff):
    sim = make_sim(1, number="44113000001")
    assert len(services.schedule_add(sim_ids=[sim.pk], command=Command.SUSPEND, due_at=soon(), actor=staff)) == 1
    action = ScheduledAction.objects.get()
    assert sim.events.get().message.startswith("Suspend scheduled for ") and sim.events.get().actor_name == "agent"
    sent = world.fake.count("suspend")

    tasks.poll_pass()  # not yet its time
    assert world.fake.count("suspend") == sent and action.sim.requests.count() == 0

    due_now(action)
    tasks.poll_pass()  # its time: journalled, then sent by the requests lane
    action.refresh_from_db()
    assert action.state == State.RAN and world.fake.count("suspend") == sent + 1
    request = action.request
    assert (request.command, request.actor, request.actor_name) == (Command.SUSPEND, staff, staff.username)
    assert request.state == RequestState.PENDING
    assert sim.events.filter(message__startswith="Suspend scheduled by agent for ").exists()

    tasks.poll_pass()
    assert services.schedule_run(action_id=action.pk) is None  # runs once
    assert world.fake.count("suspend") == sent + 1 and GatewayRequest.objects.filter(sim=sim).count() == 1


def test_a_sim_that_cannot_take_it_when_it_is_due_records_it_as_not_done_with_why(world, make_sim, staff):
    sim = make_sim(1, state=SimState.SUSPENDED, number="44113000001")
    services.schedule_add(sim_ids=[sim.pk], command=Command.SUSPEND, due_at=soon(), actor=staff)
    due_now(*ScheduledAction.objects.all())
    tasks.poll_pass()
    request = ScheduledAction.objects.get().request
    assert (request.state, request.why_not_sent) == (RequestState.NOT_SENT,
                                                     "Suspend needs a SIM that is active; this one is suspended.")


def test_a_schedule_holds_nothing_meanwhile_and_is_moved_or_cancelled_until_it_runs(world, make_sim, staff):
    sim = make_sim(1, number="44113000001")
    services.schedule_add(sim_ids=[sim.pk], command=Command.SUSPEND, due_at=soon(), actor=staff)
    action = ScheduledAction.objects.get()
    services.sim_query(sim_id=sim.pk, actor=staff)  # the SIM takes other commands meanwhile
    services.schedule_change(action_id=action.pk, due_at=soon(120), actor=staff)
    assert sim.events.filter(message__contains=" moved to ").exists()
    services.schedule_cancel(action_id=action.pk, actor=staff)
    due_now(action)
    tasks.poll_pass()
    action.refresh_from_db()
    assert (action.state, action.cancelled_by, action.request) == (State.CANCELLED, "agent", None)
    with pytest.raises(Refused, match="been cancelled"):
        services.schedule_change(action_id=action.pk, due_at=soon(), actor=staff)


@pytest.mark.parametrize("command, due, error", [
    (Command.SUSPEND, -1, "Choose a time to come"),
    (Command.SUSPEND, None, "Say when"),
    (Command.DEACTIVATE, 60, "Terminate cannot be scheduled"),
])
def test_a_schedule_that_cannot_be_made_says_why_and_makes_nothing(world, make_sim, staff, command, due, error):
    sim = make_sim(1, number="44113000001")
    with pytest.raises((ValidationError, Refused)) as refused:
        services.schedule_add(sim_ids=[sim.pk], command=command, due_at=due and soon(due), actor=staff)
    assert error in str(refused.value)
    assert not ScheduledAction.objects.exists()


def test_one_who_may_no_longer_give_it_when_it_falls_due_is_not_obeyed(world, make_sim, staff):
    sim = make_sim(1, number="44113000001")
    services.schedule_add(sim_ids=[sim.pk], command=Command.SUSPEND, due_at=soon(), actor=staff)
    staff.is_active = False  # they left
    staff.save()
    due_now(*ScheduledAction.objects.all())
    tasks.poll_pass()
    request = ScheduledAction.objects.get().request
    assert request.state == RequestState.NOT_SENT
    assert request.why_not_sent == "agent's account no longer may suspend (it was closed, or its role changed)."
