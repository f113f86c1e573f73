"""Many SIMs given one command at once: each SIM's request journalled, waiting to be sent, in one
transaction; the worker's requests lane sends them (never more than AQL_MAX_CONCURRENCY calls at
once), each settled by the same rules as a command from a form, so an uncertain outcome stays
unknown per SIM. A SIM the command cannot run for now is recorded as not done, with why."""

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common import validators
from common.actors import Actor, recorded
from common.audit import current_interface, name_of
from common.errors import Refused
from sims import lifecycle, reasons, selectors
from sims.lifecycle import Command, RequestState, SimAction
from sims.models import Batch, GatewayRequest, Sim, SimEvent, Upload
from sims.selectors_batches import batch_retryable
from sims.services import outbox
from sims.services.answers import undo_queued

BATCH_COMMANDS = lifecycle.BATCHED  # the registry's rows that may be given to many SIMs at once
BATCH_AT_MOST = 50_000  # SIMs in one batch
CHUNK = 500  # SIMs a query (SQLite's limit on a query's parameters)
REASON = ("reason", "reason_words")  # a batch's params that go on each request's own fields, not to aql
RETRY_OF = "retry_of"  # a batch's param naming the batch it tries again (erasure follows the words it copied)


def batch_start(*, sim_ids: Iterable[int], command: Command, actor: Actor, services: list[str] | None = None,
                reason: str | None = None, reason_words: str | None = None, retry_of: int | None = None) -> Batch:
    """Give every SIM in `sim_ids` the command (a suspend or a termination with its reason, kept on
    each SIM's request; `retry_of`: the batch this one tries again): each one's request waits to be sent by the worker,
    or is recorded as not done with the lifecycle's reason (a SIM in the wrong state, another
    command in flight). A transaction a chunk of SIMs, each locked as a single command locks its
    SIM, so nothing is queued twice, and SQLite's one write lock is never held for the whole batch
    (the worker records aql's answers meanwhile). Returns the batch."""
    command = Command(command)
    if command not in BATCH_COMMANDS:
        raise Refused(f"{command.label} cannot be given to many SIMs at once.")
    reason, reason_words = reasons.clean_reason(reason, reason_words, command=command)
    params: dict[str, Any] = {"reason": reason, "reason_words": reason_words} if reason else {}
    if retry_of is not None:
        params[RETRY_OF] = retry_of
    if command in (Command.ADDSERVICE, Command.REMOVESERVICE):
        params["services"] = validators.clean_all(services=(validators.clean_services, services or []))["services"]
    ids = list(dict.fromkeys(sim_ids))
    if not ids:
        raise Refused("No SIMs chosen: tick some, or choose every SIM the filter shows.")
    if len(ids) > BATCH_AT_MOST:
        raise ValidationError(f"At most {BATCH_AT_MOST:,} SIMs in one batch ({len(ids):,} chosen): narrow the filter.")
    # "queueing" until every chunk is in: a request of the first chunk settled before the last
    # chunk is queued must not make the batch look finished (outbox.batch_finish_if_done).
    batch = Batch.objects.create(command=command, params={**params, "queueing": True}, actor=recorded(actor),
                                 actor_name=name_of(actor), size=len(ids))
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            _queue(batch, ids[start:start + CHUNK], actor)
    with transaction.atomic():
        batch = Batch.objects.select_for_update().get(pk=batch.pk)
        # SIMs chosen that are not (or no longer) ours are not counted
        batch.size = batch.requests.count()
        batch.params["queueing"] = False
        batch.save(update_fields=["size", "params"])
        outbox.batch_finish_if_done(batch.pk)  # every SIM not done, or all settled already
    batch.refresh_from_db()
    return batch


def _queue(batch: Batch, ids: list[int], actor: Actor) -> None:
    command, now = Command(batch.command), timezone.now()
    sims = list(Sim.objects.select_for_update(of=("self",)).select_related("number").filter(pk__in=ids)
                .order_by("pk"))
    # Read again each chunk, under the batch's lock (taken after the SIMs', as settling a request takes
    # them): a subscriber's erasure meanwhile takes the words given with the reason from the batch
    # (erasure.reason_words_forget), and a later chunk must not copy them onto its requests.
    batch.params = Batch.objects.select_for_update().values_list("params", flat=True).get(pk=batch.pk)
    busy = selectors.commands_in_flight(sims=ids)
    command_params = {k: v for k, v in batch.params.items() if k not in (*outbox.BOOKKEEPING, *REASON, RETRY_OF)}
    reason = batch.params.get("reason")
    requests, notes = [], []
    for sim in sims:
        why = lifecycle.refusal(command=command, state=sim.state, has_number=sim.number_id is not None,
                                in_flight=busy.get(sim.pk))
        number = {"geo_nos": sim.number.number} if sim.number else {}
        requests.append(GatewayRequest(
            sim=sim, batch=batch, command=command, params={**number, **command_params}, actor=recorded(actor),
            actor_name=batch.actor_name, state_before=sim.state,
            state=RequestState.NOT_SENT if why else RequestState.TO_SEND,
            next_poll_at=None if why else now, settled_at=now if why else None, why_not_sent=why,
            reason=reason, reason_words=batch.params.get("reason_words")))
        notes.append((sim, why))
    requests = GatewayRequest.objects.bulk_create(requests)
    timelines(actor, batch.actor_name, [
        (sim, request, SimAction.NOT_SENT if why else SimAction.SENDING,
         f"{command.label} not done (batch {batch.pk}): {why}" if why
         else f"{command.label} waiting to be sent (batch {batch.pk}).{reasons.why(reason)}")
        for request, (sim, why) in zip(requests, notes, strict=True)])


def timelines(actor: Actor, actor_name: str, lines: list[tuple[Sim, GatewayRequest, str, str]]) -> None:
    """A line on each SIM's timeline (sim, request, action, message), written at once. bulk_create
    skips Event.save(), which would set the interface: it is set here."""
    interface = current_interface()
    SimEvent.objects.bulk_create(
        SimEvent(sim=sim, request=request, actor=recorded(actor), actor_name=actor_name, interface=interface,
                 action=action, before=sim.snapshot(), after=sim.snapshot(), message=message)
        for sim, request, action, message in lines)


def batch_retry(*, batch_id: int, actor: Actor) -> Batch:
    """A new batch of the same command for the SIMs whose request in this one failed, was refused or
    was not done, and that could go through now (selectors_batches.batch_retryable): not one whose
    SIM cannot take the command now, nor one aql would refuse the same way. Unknown outcomes are
    not retried: aql may still be doing them."""
    batch = Batch.objects.get(pk=batch_id)
    if batch.command == Command.ACTIVATE:  # their subscribers' details went with the failure
        raise Refused("Activations are tried again from their file (imports.activations_retry).")
    again = [sim_id for sim_id, _ in batch_retryable(batch=batch)]
    if not again:
        raise Refused("Nothing to try again: of the SIMs that did not go through, none could now (their SIM "
                      "cannot take it, or aql would refuse it the same way).")
    return batch_start(sim_ids=again, command=Command(batch.command), actor=actor,
                       services=batch.params.get("services"), reason=batch.params.get("reason"),
                       reason_words=batch.params.get("reason_words"), retry_of=batch.pk)


def batch_cancel(*, batch_id: int, actor: Actor) -> int:
    """Record the batch's requests still waiting to be sent as not done (they were certainly never
    sent), each SIM's timeline saying who cancelled it; what was sent already goes on. A request
    the worker takes meanwhile is left to it: each one is taken under lock by one or the other.
    A file still being queued into it stops. Returns how many requests were cancelled."""
    batch = Batch.objects.get(pk=batch_id)
    label, who = Command(batch.command).label, name_of(actor)
    why = f"cancelled by {who} before it was sent."
    # A file still being queued stops first (its step checks between chunks, under this lock), so
    # the sweep below finds every request it queued.
    if stopped := Upload.objects.filter(batch=batch, queue_at__isnull=False).update(queue_at=None):
        with transaction.atomic():
            held = Batch.objects.select_for_update().get(pk=batch.pk)
            held.params.update(queueing=False, stopped=f"The rest of the file was cancelled by {who}.")
            held.save(update_fields=["params"])
    waiting, cancelled = batch.requests.filter(state=RequestState.TO_SEND), 0
    while ids := list(waiting.order_by("pk").values_list("pk", flat=True)[:CHUNK]):
        with transaction.atomic():
            rows = list(GatewayRequest.objects.select_for_update(of=("self", "sim"))
                        .select_related("sim__number", "sim__subscriber")
                        .filter(pk__in=ids, state=RequestState.TO_SEND))
            now = timezone.now()
            GatewayRequest.objects.filter(pk__in=[r.pk for r in rows]).update(
                state=RequestState.NOT_SENT, why_not_sent=why, settled_at=now, next_poll_at=None)
            if batch.command == Command.ACTIVATE:
                for row in rows:  # the number and the subscriber held for each go
                    undo_queued(row, row.sim)
            timelines(actor, who, [(r.sim, r, SimAction.NOT_SENT, f"{label} not done (batch {batch.pk}): {why}")
                                    for r in rows])
            cancelled += len(rows)
    if cancelled or stopped:
        with transaction.atomic():  # what was sent may all have settled already: then it has finished
            outbox.batch_finish_if_done(batch.pk)
    else:
        raise Refused("Nothing to cancel: no SIM in this batch is still waiting to be sent.")
    return cancelled
