"""Suspends and reactivations scheduled for a time to come: made for one SIM or many, moved or
cancelled until they run; when due, the worker journals each as its scheduler's request waiting
to be sent (the requests lane then sends it as any other), or as not done with why. Each runs
once: it is taken under lock, and only while still scheduled."""

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.actors import Actor, recorded
from common.audit import name_of
from common.errors import Refused
from sims import reasons, selectors
from sims.lifecycle import Command, RequestState, SimAction
from sims.models import GatewayRequest, ScheduledAction, Sim
from sims.services.answers import event
from sims.services.batches import BATCH_AT_MOST, CHUNK, timelines
from sims.services.requesters import send_refusal

State = ScheduledAction.State


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%d %b %Y %H:%M}"


def _clean_due(due_at: datetime | None) -> datetime:
    if due_at is None:
        raise ValidationError({"due_at": "Say when: a date and a time."})
    if due_at <= timezone.now():
        raise ValidationError({"due_at": "Choose a time to come: that one has passed."})
    return due_at


def schedule_add(*, sim_ids: Iterable[int], command: Command, due_at: datetime | None, actor: Actor,
                 reason: str | None = None, reason_words: str | None = None) -> list[int]:
    """Schedule the command for each SIM at `due_at` (a time to come); a suspend keeps its reason, and
    the request it makes when it runs carries it. Nothing is checked against
    the SIM's state now: it is checked when it runs, as it may change meanwhile. A line on each
    SIM's timeline says who scheduled what for when. Returns the ids of the actions made."""
    command = Command(command)
    if command not in ScheduledAction.COMMANDS:
        raise Refused(f"{command.label} cannot be scheduled: only suspend and reactivate can.")
    reason, reason_words = reasons.clean_reason(reason, reason_words, command=command)
    due_at = _clean_due(due_at)
    ids = list(dict.fromkeys(sim_ids))
    if not ids:
        raise Refused("No SIMs chosen: tick some, or choose every SIM the filter shows.")
    if len(ids) > BATCH_AT_MOST:
        raise ValidationError(f"At most {BATCH_AT_MOST:,} SIMs at once ({len(ids):,} chosen): narrow the filter.")
    who, made = name_of(actor), []
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            sims = list(Sim.objects.select_related("number").filter(pk__in=ids[start:start + CHUNK]).order_by("pk"))
            actions = ScheduledAction.objects.bulk_create(
                ScheduledAction(sim=sim, command=command, due_at=due_at, actor=recorded(actor), actor_name=who,
                                reason=reason, reason_words=reason_words)
                for sim in sims)
            timelines(actor, who, [(sim, None, SimAction.SCHEDULED, f"{command.label} scheduled for {_when(due_at)} "
                                                                    f"by {who}.{reasons.why(reason)}") for sim in sims])
            made += [action.pk for action in actions]
    return made


def _locked(action_id: int) -> ScheduledAction:
    action = ScheduledAction.objects.select_for_update(of=("self",)).select_related("sim").get(pk=action_id)
    if action.state != State.SCHEDULED:
        raise Refused(f"It has {'already run' if action.state == State.RAN else 'been cancelled'}: "
                      "nothing to change.")
    return action


def schedule_change(*, action_id: int, due_at: datetime | None, actor: Actor) -> ScheduledAction:
    """Move a scheduled action to another time to come (while it has not run)."""
    due_at = _clean_due(due_at)
    with transaction.atomic():
        action = _locked(action_id)
        was, action.due_at = action.due_at, due_at
        action.save(update_fields=["due_at"])
        event(sim=action.sim, actor=actor, action=SimAction.SCHEDULED, before=action.sim.snapshot(),
              message=f"{action.get_command_display()} scheduled for {_when(was)} moved to {_when(due_at)} "
                      f"by {name_of(actor)}.")
    return action


def schedule_cancel(*, action_id: int, actor: Actor) -> ScheduledAction:
    """Cancel a scheduled action that has not run."""
    with transaction.atomic():
        action = _locked(action_id)
        action.state, action.cancelled_by = State.CANCELLED, name_of(actor)
        action.save(update_fields=["state", "cancelled_by"])
        event(sim=action.sim, actor=actor, action=SimAction.SCHEDULED, before=action.sim.snapshot(),
              message=f"{action.get_command_display()} scheduled for {_when(action.due_at)} cancelled by "
                      f"{action.cancelled_by}.")
    return action


def schedules_due(*, limit: int) -> list[int]:
    """The scheduled actions whose time has come, the earliest first (the worker's lane)."""
    return list(ScheduledAction.objects.filter(state=State.SCHEDULED, due_at__lte=timezone.now())
                .order_by("due_at", "pk").values_list("pk", flat=True)[:limit])


def schedule_run(*, action_id: int) -> GatewayRequest | None:
    """Run a due action: under the SIM's lock, journal its command as the scheduler's request,
    waiting to be sent, or as not done with the lifecycle's reason (a SIM in another state, a
    command in progress). Once: an action no longer scheduled, or not yet due, is left alone."""
    with transaction.atomic():
        action = (ScheduledAction.objects.select_for_update(of=("self", "sim")).select_related("sim__number")
                  .get(pk=action_id))
        if action.state != State.SCHEDULED or action.due_at > timezone.now():
            return None
        sim, command, now = action.sim, Command(action.command), timezone.now()
        busy = selectors.sim_in_flight(sim=sim)
        why = send_refusal(actor=action.actor, actor_name=action.actor_name, command=command, sim=sim,
                           in_flight=busy.command if busy else None)
        request = GatewayRequest.objects.create(
            sim=sim, command=command, params={"geo_nos": sim.number.number if sim.number else None},
            actor=action.actor, actor_name=action.actor_name, state_before=sim.state,
            state=RequestState.NOT_SENT if why else RequestState.TO_SEND, next_poll_at=None if why else now,
            settled_at=now if why else None, why_not_sent=why or "", reason=action.reason,
            reason_words=action.reason_words)
        action.state, action.request = State.RAN, request
        action.save(update_fields=["state", "request"])
        scheduled = f"{command.label} scheduled by {action.actor_name} for {_when(action.due_at)}"
        event(sim=sim, actor=action.actor, request=request, before=sim.snapshot(),
              action=SimAction.NOT_SENT if why else SimAction.SENDING,
              message=f"{scheduled} not done: {why}" if why
              else f"{scheduled}: waiting to be sent.{reasons.why(action.reason)}")
    return request
