"""Recording aql's answers: the one place a request and its SIM change after a send.

Every answer is applied by `settle`: the request and the SIM re-read under lock, and only if the
request is still where the step starts (`lifecycle.RequestStep`); a late or second answer finds
it moved on and leaves it. Each outcome function below applies one kind of answer.
"""

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from aql.codes import Retry
from aql.http import GatewayRejected
from aql.usim import IccidState, IccidStatus, Queued
from aql.usim import RequestState as AqlRequestState
from common.actors import Actor
from common.transitions import Transition
from common.validators import phone_national
from sims import lifecycle, selectors
from sims.lifecycle import IN_FLIGHT, Command, SimAction, SimState
from sims.models import MATCHED, GatewayRequest, GeographicNumber, RequestState, Sim, SimEvent
from sims.services import outbox, replacement_steps, rests

logger = logging.getLogger(__name__)
Apply = Callable[[GatewayRequest, Sim], None]


NOT_KNOWN_SAID = "calls and texts not known (adopted from aql: its record does not show them)"


def event(*, sim: Sim, actor: Actor, action: SimAction, message: str, before: dict,
          request: GatewayRequest | None = None) -> None:
    """Write one audit event: who, what, the SIM before and after."""
    SimEvent.objects.create(sim=sim, request=request, actor=actor, action=action, message=message,
                            before=before, after=sim.snapshot())


def locked_sim(sim_id: int) -> Sim:
    # of=self: PostgreSQL cannot lock the nullable side of the join to the number.
    return Sim.objects.select_for_update(of=("self",)).select_related("number").get(pk=sim_id)


def settle(request_id: int, step: Transition, apply: Apply) -> GatewayRequest:
    """Apply an outcome to a request and its SIM, both re-read under lock, if the request is
    still where `step` starts (else someone settled it meanwhile, and it is left as it is)."""
    with transaction.atomic():
        # One read locks both (PostgreSQL cannot lock the nullable side of the join to the number).
        request = (GatewayRequest.objects.select_for_update(of=("self", "sim")).select_related("sim__number")
                   .get(pk=request_id))
        if not step.allows(request.state):
            return request
        before, sim = request.state, request.sim
        sim_was = sim.state
        apply(request, sim)
        step.check(before, request.state)
        if request.state not in IN_FLIGHT:
            request.needs_attention = False  # settled: nothing left for staff to look at
        request.save()
        if request.state not in IN_FLIGHT:  # saved first: the SIM's one place in flight is free
            _the_removals(request, sim)  # in this transaction, with the outcome: never lost
        if request.command != Command.QUERYICCID:  # a replacement's step moves it, in this transaction too
            replacement_steps.step_settled(request)
        # Integrators are told in this transaction too (the outbox): with the change, or not at all.
        outbox.sim_state_changed(sim=sim, was=sim_was, request=request,
                                 cause="aql_record" if request.command == Command.QUERYICCID else "command")
        outbox.request_settled(request=request, sim=sim, was=before)
        if request.batch_id and request.state not in IN_FLIGHT:
            outbox.batch_finish_if_done(request.batch_id)
    return request


def _removals(request: GatewayRequest) -> str:
    return ", ".join(selectors.SERVICE_LABELS[name].lower() for name in request.params["then_remove"])


def _the_removals(added: GatewayRequest, sim: Sim) -> None:
    """The second half of a services change that needed both commands. Once aql has added, the
    removals are journalled for the same person, waiting to be sent (the worker's requests lane
    sends them within seconds); the timeline says they come next, or, when the addition did not
    succeed or the SIM may no longer take them, why they will not."""
    if not added.params.get("then_remove"):
        return
    removals, why = _removals(added), ""
    if added.state != RequestState.SUCCESS:
        why = f"the addition asked with it was {added.get_state_display().lower()}."
    elif refused := lifecycle.refusal(command=Command.REMOVESERVICE, state=sim.state,
                                      has_number=sim.number_id is not None, in_flight=None):
        why = refused
    if why:
        event(sim=sim, actor=added.actor, request=added, action=SimAction.NOT_SENT, before=sim.snapshot(),
              message=f"{removals.capitalize()} not removed: {why} Change the services again if they should go.")
        return
    params = {"geo_nos": sim.number.number, "services": added.params["then_remove"]}
    GatewayRequest.objects.create(sim=sim, command=Command.REMOVESERVICE, params=params, actor=added.actor,
                                  actor_name=added.actor_name, state=RequestState.TO_SEND, state_before=sim.state,
                                  next_poll_at=timezone.now())
    event(sim=sim, actor=added.actor, request=added, action=SimAction.SENDING, before=sim.snapshot(),
          message=f"Removing {removals} next, as asked with this change.")


def _first_check_at() -> datetime:
    """aql asks for a wait before the first checkstatus; an unknown outcome is looked at then too."""
    return timezone.now() + timedelta(seconds=settings.AQL_FIRST_POLL_DELAY)


def queued(request: GatewayRequest, sim: Sim, *, result: Queued) -> None:
    request.state = RequestState.PENDING
    request.aql_id = result.request_id
    request.reply = result.raw
    request.next_poll_at = _first_check_at()
    event(sim=sim, actor=request.actor, request=request, action=SimAction.SENT, before=sim.snapshot(),
          message=f"{Command(request.command).label} accepted by aql (request {result.request_id}).")


def rejected(request: GatewayRequest, sim: Sim, *, exc: GatewayRejected) -> None:
    before = sim.snapshot()
    request.state = RequestState.REJECTED
    request.codes = [c.code for c in exc.codes]
    request.reply = exc.body
    request.settled_at = timezone.now()
    undo(request, sim)
    wait = max((code.retry_after or 0 for code in exc.codes if code.retry == Retry.LATER), default=0)
    if wait:  # 63027, congested: aql asks us to send nothing for this SIM for a while
        sim.not_before = request.settled_at + timedelta(seconds=wait)
        sim.save(update_fields=["not_before"])
    event(sim=sim, actor=request.actor, request=request, action=SimAction.REFUSED, before=before,
          message=f"{Command(request.command).label} refused by aql: " + "; ".join(map(str, exc.codes)))


def unknown(request: GatewayRequest, sim: Sim, *, reason: str) -> None:
    request.state = RequestState.UNKNOWN
    request.reply = reason
    # Ask aql what the SIM looks like once it would have finished, as for a first checkstatus.
    request.next_poll_at = _first_check_at()
    event(sim=sim, actor=request.actor, request=request, action=SimAction.UNKNOWN, before=sim.snapshot(),
          message=f"{Command(request.command).label}: no clear answer from aql ({reason}). aql may still be "
                  "doing it, so it is not resent: it will be checked with the gateway.")


def finished(request: GatewayRequest, sim: Sim, *, state: AqlRequestState, raw: str) -> None:
    """aql's final word on a request: success applies the lifecycle's move, failure undoes."""
    before = sim.snapshot()
    label = Command(request.command).label
    request.reply = raw
    request.settled_at = timezone.now()
    if state == AqlRequestState.SUCCESS:
        request.state = RequestState.SUCCESS
        apply_success(request, sim)
        event(sim=sim, actor=request.actor, request=request, action=SimAction.SUCCEEDED, before=before,
              message=f"{label} done.")
    else:
        request.state = RequestState.FAILED
        undo(request, sim)
        event(sim=sim, actor=request.actor, request=request, action=SimAction.FAILED, before=before,
              message=f"{label} failed: the network refused it.")


def apply_success(request: GatewayRequest, sim: Sim) -> None:
    """The command's row in the lifecycle table, applied: state, services, number."""
    move = lifecycle.TABLE[Command(request.command)]
    if move.on_success:
        sim.state = move.on_success
    for name, on in move.services(request.params).items():
        setattr(sim, name, on)
    held = GeographicNumber.objects.filter(held_by=request).first() if move.takes_number else None
    left = sim.number if held or move.frees_number else None  # the number the SIM leaves, if any
    if held:  # the SIM takes the number held for it (a rest it had, its subscriber's, is over)
        held.held_by = held.rests_since = held.rests_until = held.rests_for = None
        held.save(update_fields=["held_by", "rests_since", "rests_until", "rests_for"])
        sim.number = held
    if move.frees_number:  # terminated for good: its number goes back to the pool
        sim.number = None
    sim.save()
    rests.number_rest_start(number=left, sim=sim, request=request)  # it rests before going to someone new


def undo(request: GatewayRequest, sim: Sim) -> None:
    """Put the SIM back as it was before the request: what `undo_queued` lets go of (a held number,
    a new subscriber), and after an activation its state and handset too."""
    undo_queued(request, sim)
    if lifecycle.TABLE[Command(request.command)].brings_subscriber:
        sim.state, sim.imei = request.state_before, ""
        sim.save()


def undo_queued(request: GatewayRequest, sim: Sim) -> None:
    """Let go of what a request waiting to be sent holds, when it will not be sent (refused when its
    turn came, or cancelled): its number, and an activation's subscriber (recorded with it when it
    was queued: an unused SIM has no other). The SIM's state is left alone: nothing was done to it,
    and aql's record may have moved it meanwhile."""
    GeographicNumber.objects.filter(held_by=request).update(held_by=None)
    if lifecycle.TABLE[Command(request.command)].brings_subscriber and sim.subscriber_id:
        subscriber, sim.subscriber = sim.subscriber, None
        sim.save(update_fields=["subscriber"])
        subscriber.delete()


def reconcile(request: GatewayRequest, sim: Sim, *, status: IccidStatus) -> None:
    """Bring our record in line with aql's (the source of truth) and record each difference.

    While a command is in flight aql is changing the SIM: differences are recorded then, not
    applied, and the command's own outcome settles the record.
    """
    before = sim.snapshot()
    request.state, request.reply, request.settled_at = RequestState.SUCCESS, status.raw, timezone.now()
    sim.checked_at, sim.recheck_at = request.settled_at, None  # compared just now
    changes: dict[str, Any] = {}
    if sim.state != status.state:
        changes["state"] = (f"state was {sim.state}, aql says {status.state}", SimState(status.state))
    live = status.state in (IccidState.ACTIVE, IccidState.SUSPENDED)
    ours = sim.number.number if sim.number else None
    theirs = status.geo_nos if live else None
    if ours != theirs and not (theirs is None and live):
        was, says = (phone_national(n) if n else "none" for n in (ours, theirs))
        changes["number"] = (f"number was {was}, aql says {says}", theirs)
    for name, value in (("int_roaming", status.int_roaming), ("int_calling", status.int_call),
                        ("premium", status.premium)):
        if value is not None and getattr(sim, name) != value:
            was, words = "on" if getattr(sim, name) else "off", Sim._meta.get_field(name).verbose_name
            changes[name] = (f"{words} was {was}, aql says {'on' if value else 'off'}", value)
    if live and sim.state not in (SimState.ACTIVE, SimState.SUSPENDED):
        # Live at aql without a command of ours that set its services (an estate adopted, a SIM used
        # elsewhere): its record cannot show voice and SMS, so they are not known, never guessed off.
        hidden = [name for name in lifecycle.NOT_SHOWN_BY_QUERY if getattr(sim, name) is not None]
        changes |= {name: (NOT_KNOWN_SAID if n == 0 else "", None) for n, name in enumerate(hidden)}
    if not changes:
        sim.save(update_fields=["checked_at", "recheck_at"])  # not a change of the SIM: "last changed" stays
        event(sim=sim, actor=request.actor, request=request, action=SimAction.QUERIED, before=before,
              message=MATCHED)
        return
    said = "; ".join(text for text, _ in changes.values() if text)
    busy = selectors.sim_in_flight(sim=sim)
    if busy and busy.state != RequestState.TO_SEND:  # one only waiting is not aql's work: the difference is
        sim.save(update_fields=["checked_at", "recheck_at"])
        event(sim=sim, actor=request.actor, request=request, action=SimAction.QUERIED, before=before,
              message=f"aql's record differs from ours ({said}) while {busy.get_command_display()} is in "
                      "progress: its outcome will settle our record.")
        return
    left = sim.number if "number" in changes else None
    for name, (_, value) in changes.items():
        setattr(sim, name, _number_for(value, sim) if name == "number" and value else value)
    sim.save()
    rests.number_rest_start(number=left, sim=sim)  # freed at aql (terminated, or another number): it rests too
    outbox.drift_found(sim=sim, request=request, fields=list(changes), state_before=before["state"])
    event(sim=sim, actor=request.actor, request=request, action=SimAction.DRIFT, before=before,
          message=f"aql's record differed from ours: {said}. Ours now follows aql.")


def recheck_soon(sim: Sim) -> None:
    """Compare the SIM with aql again soon (the drift sweep's first lane): its last outcome was
    decided without checkstatus, so a late or missed effect must be caught in minutes."""
    sim.recheck_at = timezone.now() + timedelta(seconds=settings.AQL_RECHECK_AFTER)
    sim.save(update_fields=["recheck_at"])


def _number_for(number: str, sim: Sim) -> GeographicNumber:
    """The pool entry for a number aql says this SIM has, taken from any SIM we thought had it."""
    geo, _ = GeographicNumber.objects.get_or_create(number=number)
    previous = Sim.objects.select_for_update().filter(number=geo).exclude(pk=sim.pk).first()
    if previous:
        before = previous.snapshot()
        previous.number = None
        previous.save()
        event(sim=previous, actor=None, action=SimAction.DRIFT, before=before,
              message=f"Number {phone_national(number)} removed: aql says SIM {sim.iccid} has it.")
    return geo
