"""The steps of a replacement (a SIM replaced by another that keeps its number), and the one place a
procedure moves: when one of its step's requests settles (`step_settled`, called by `answers.settle`
and by the worker's send when a step is not sent, in the transaction that records the outcome).

Each step is a journalled request waiting for the worker to send it, written in the same transaction
as the procedure's move, so a restart loses nothing and sends nothing twice. Only a success moves on;
an unknown outcome waits (evidence settles it as any request's); any failure stops the procedure with
words. The order of steps, and why: docs/REPLACEMENT.md. Nothing here calls aql.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from common import events
from common.events import EventKind
from common.validators import phone_national
from sims import reasons, selectors
from sims.lifecycle import IN_FLIGHT, Command, RequestState, SimAction
from sims.models import GatewayRequest, GeographicNumber, Replacement, ReplacementStep, Sim, SimEvent, Subscriber
from sims.models_replacements import (
    ACTIVATE,
    ADD,
    KEPT_ON,
    NEW_ON,
    OLD_END,
    OLD_OFF,
    PLANS,
    REMOVE,
    WORDS,
    ReplacementState,
)

DONE_WORDS = "Done: the new SIM has the number and the subscriber; the old SIM is terminated."


class NoStandIn(Exception):
    """No free number in the pool can stand in."""


def _event(sim: Sim, replacement: Replacement, message: str, request: GatewayRequest | None = None,
           action: SimAction = SimAction.CHANGED) -> None:
    SimEvent.objects.create(sim=sim, request=request, actor=replacement.actor, actor_name=replacement.actor_name,
                            action=action, message=message, before=sim.snapshot(), after=sim.snapshot())


def stand_in() -> GeographicNumber:
    """A free pool number to stand in for a moment, locked for this transaction."""
    geo = GeographicNumber.objects.select_for_update().available().order_by("number").first()
    if geo is None:
        raise NoStandIn("No free number in the pool can stand in while the number moves: add numbers to the "
                        "pool under Numbers, then resume.")
    return geo


def _services_to(replacement: Replacement, new: Sim, on: bool) -> list[str]:
    """The services the new SIM must gain (on) or lose (off) to have the old one's; one the old SIM has
    not known is left as activation gives it: nothing is guessed."""
    return [name for name, was in replacement.services.items() if was is on and getattr(new, name) is not on]


def _request(replacement: Replacement, step: str) -> tuple[Sim, Command, dict, GeographicNumber | None] | None:
    """What `step` sends now: (the SIM, the command, its params, the number it gives the SIM), or None
    when there is nothing to send (the services already match)."""
    old = Sim.objects.select_related("number").get(pk=replacement.old_sim_id)
    new = Sim.objects.select_related("number", "subscriber").get(pk=replacement.new_sim_id)
    kept = replacement.number
    if step == ACTIVATE:
        replacement.new_stand_in = stand_in()
        return new, Command.ACTIVATE, {"imei": replacement.imei, "geo_nos": replacement.new_stand_in.number}, \
            replacement.new_stand_in
    if step == KEPT_ON:  # the number rests for this subscriber, on no SIM: the new one has it at once
        return new, Command.ACTIVATE, {"imei": replacement.imei, "geo_nos": kept.number}, kept
    if step in (ADD, REMOVE):
        names = _services_to(replacement, new, step == ADD)
        command = Command.ADDSERVICE if step == ADD else Command.REMOVESERVICE
        return (new, command, {"geo_nos": new.number.number, "services": names}, None) if names else None
    if step == OLD_OFF:
        replacement.old_stand_in = stand_in()
        return old, Command.CHANGEGEO, {"geo_nos": kept.number, "new_geo_nos": replacement.old_stand_in.number}, \
            replacement.old_stand_in
    if step == NEW_ON:
        return new, Command.CHANGEGEO, {"geo_nos": new.number.number, "new_geo_nos": kept.number}, kept
    return old, Command.DEACTIVATE, {"geo_nos": old.number.number if old.number else kept.number}, None


def _reason(step: str) -> str | None:
    """Why a step stops a line: the old SIM's termination says it was replaced (so the journal's filter,
    the reports and webhooks tell it from staff's terminations); no other step stops one."""
    return reasons.StopReason.REPLACED if step == OLD_END else None


def journal_step(replacement: Replacement, step: str, again: bool = True) -> Replacement:
    """Journal `step` (or the first after it with something to send) for the worker to send, and move
    the procedure there; with nothing left, finish it. In the caller's transaction, the procedure
    locked. A step that cannot be journalled stops the procedure with why; one a SIM's own command in
    flight blocks waits behind it (`again`: tried once more if that command settled meanwhile)."""
    plan = PLANS[replacement.plan]
    for name in plan[plan.index(step):]:
        try:
            with transaction.atomic():
                made = _request(replacement, name)
                if made is None:
                    continue
                sim, command, params, number = made
                request = GatewayRequest.objects.create(
                    sim=sim, command=command, params=params, actor=replacement.actor,
                    actor_name=replacement.actor_name, state=RequestState.TO_SEND, state_before=sim.state,
                    next_poll_at=timezone.now(), reason=_reason(name))
                if number is not None:  # held for the request, so the SIM takes it on success
                    GeographicNumber.objects.filter(pk=number.pk).update(held_by=request)
                if command == Command.ACTIVATE and sim.subscriber_id is None:  # a copy: the old SIM keeps its own
                    person = Sim.objects.select_related("subscriber").get(pk=replacement.old_sim_id).subscriber
                    sim.subscriber = Subscriber.objects.create(
                        name=person.name, address=person.address, postcode=person.postcode,
                        contact_number=person.contact_number)
                    sim.save(update_fields=["subscriber"])
                ReplacementStep.objects.create(replacement=replacement, step=name, request=request)
        except NoStandIn as exc:
            return _stop(replacement, name, str(exc))
        except IntegrityError:  # the SIM's one place in flight is taken (by the suspend of a lost SIM)
            return _wait_behind(replacement, name, made[0], again)
        replacement.step, replacement.state, replacement.stopped_why = name, ReplacementState.RUNNING, ""
        replacement.waiting_behind = None
        replacement.save()
        said = f"Replacement {replacement.pk}: {WORDS[name].lower()} next.{reasons.why(_reason(name))}"
        _event(sim, replacement, said, request, SimAction.SENDING)
        return replacement
    return _finish(replacement)


def _wait_behind(replacement: Replacement, step: str, sim: Sim, again: bool = True) -> Replacement:
    """`step` is due, but `sim` has a command of its own in flight (sent before the procedure began,
    such as the suspend of a lost SIM): the step is journalled when that one settles (step_settled)."""
    busy = selectors.sim_in_flight(sim=sim)
    if busy is not None:  # locked: its settling waits for this transaction, or has committed and shows
        busy = GatewayRequest.objects.select_for_update().filter(pk=busy.pk, state__in=IN_FLIGHT).first()
    if busy is None and again:  # it settled meanwhile: the SIM is free now (once: never a loop)
        return journal_step(replacement, step, again=False)
    if busy is None or ReplacementStep.objects.filter(request=busy).exists():
        return _stop(replacement, step, "Another command is in progress for one of the SIMs: wait for it to "
                                        "finish, then resume.")
    replacement.step, replacement.state, replacement.stopped_why = step, ReplacementState.RUNNING, ""
    replacement.waiting_behind = busy
    replacement.save(update_fields=["step", "state", "stopped_why", "waiting_behind", "updated_at"])  # no stand-in
    _event(sim, replacement, f"Replacement {replacement.pk}: {WORDS[step].lower()} once the "
                             f"{busy.get_command_display().lower()} in progress has finished.")
    return replacement


def _stop(replacement: Replacement, step: str, why: str) -> Replacement:
    replacement.step, replacement.state, replacement.stopped_why = step, ReplacementState.STOPPED, why
    replacement.waiting_behind = None
    replacement.save()
    for sim in Sim.objects.filter(pk__in=(replacement.old_sim_id, replacement.new_sim_id)):
        _event(sim, replacement, f"Replacement {replacement.pk} stopped at “{WORDS[step].lower()}”: {why}")
    return replacement


def _finish(replacement: Replacement) -> Replacement:
    replacement.step, replacement.state, replacement.finished_at = "", ReplacementState.DONE, timezone.now()
    replacement.save()
    old, new = Sim.objects.get(pk=replacement.old_sim_id), Sim.objects.get(pk=replacement.new_sim_id)
    kept = phone_national(replacement.number.number)
    _event(old, replacement, f"Replaced by SIM {new.iccid}, which now has the number {kept} and the subscriber.")
    _event(new, replacement, f"Replaces SIM {old.iccid}: the number {kept}, the subscriber and the services "
                             "are now on this SIM.")
    events.emit(EventKind.SIM_REPLACED, {
        "replacement_id": replacement.pk, "old_sim_id": old.pk, "old_iccid": old.iccid, "new_sim_id": new.pk,
        "new_iccid": new.iccid, "url": events.sim_url(new.iccid)})
    return replacement


def step_settled(request: GatewayRequest) -> None:
    """A request changed state: if it is a procedure's current step, move the procedure as its outcome
    says. Success: the next step. Unknown: wait. Refused, failed or not done: stop, with why."""
    step = ReplacementStep.objects.filter(request=request).first()
    if step is None:
        if request.state not in IN_FLIGHT:  # a procedure waiting behind it may go on
            for waiting in Replacement.objects.select_for_update().select_related("number").filter(
                    waiting_behind=request, state=ReplacementState.RUNNING):
                journal_step(waiting, waiting.step)
        return
    replacement = Replacement.objects.select_for_update().select_related("number").get(pk=step.replacement_id)
    latest = replacement.steps.order_by("-id").first()
    if latest.pk != step.pk or not replacement.holding:
        return  # a step sent again since, or a procedure abandoned meanwhile: this one no longer moves it
    if request.state == RequestState.SUCCESS:
        plan = PLANS[replacement.plan]
        after = plan.index(step.step) + 1
        journal_step(replacement, plan[after]) if after < len(plan) else _finish(replacement)
    elif request.state in (RequestState.UNKNOWN, RequestState.SENDING, RequestState.PENDING):
        state = ReplacementState.WAITING if request.state == RequestState.UNKNOWN else ReplacementState.RUNNING
        if replacement.state != state:
            replacement.state = state
            replacement.save(update_fields=["state", "updated_at"])
    else:
        _stop(replacement, step.step, refusal_words(request))


def refusal_words(request: GatewayRequest) -> str:
    """Why a step did not happen and what to do, in staff's words: aql's codes with their meanings."""
    if request.state == RequestState.NOT_SENT:
        said = request.why_not_sent or "aql shows it did not happen"
        return f"{request.get_command_display()} was not done ({said}). A Supervisor may resume (send it again) " \
               "or abandon the replacement."
    said = "; ".join(request.code_meanings) or "the network refused it"
    return f"aql refused {request.get_command_display().lower()}: {said}. Put right what it says, then a " \
           "Supervisor may resume (send it again) or abandon the replacement."
