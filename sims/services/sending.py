"""Sending a journalled request: the one way to the gateway for every command (journal -> gateway ->
record). A command's service journals it and calls `send_and_record`; the worker takes a request
journalled to be sent later (a batch's, a schedule's, a file's, a services change's removals) with
`request_send`. Both send it as its row in the registry (`lifecycle.TABLE[command].send`) says,
from what the journal holds, and hand aql's answer to `answers`, which records it. Nothing here
decides what an answer means; nothing in `answers` sends.
"""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone

from aql.http import GatewayError, GatewayRejected
from aql.usim import IccidStatus, Queued
from aql.usim import RequestState as AqlRequestState
from common.validators import phone_national
from ops import gateway
from ops.logs import about, said
from sims import lifecycle
from sims.lifecycle import Command, RequestState, RequestStep, SimAction
from sims.models import GatewayRequest
from sims.services import outbox, replacement_steps
from sims.services.answers import event, finished, queued, reconcile, rejected, settle, undo_queued, unknown
from sims.services.requesters import send_refusal

logger = logging.getLogger(__name__)


def send_and_record(request: GatewayRequest) -> GatewayRequest:
    """Send the journalled request as its registry row says, from what the journal holds (its SIM
    read with it: an activation's subscriber too), and record aql's answer, whatever it is."""
    with about(gateway_request=request.pk, iccid=iccid_of(request), user=request.actor_name):
        return _send_and_record(request)


def iccid_of(request: GatewayRequest) -> str | None:
    """The request's SIM's ICCID for a log line, when the SIM was read with it (no query for a log)."""
    return request.sim.iccid if GatewayRequest.sim.is_cached(request) else None


def _send_and_record(request: GatewayRequest) -> GatewayRequest:
    send = lifecycle.TABLE[Command(request.command)].send
    try:
        result = send(gateway.usim_client(), request.sim, request.params)
    except GatewayRejected as exc:
        if request.command != Command.QUERYICCID and any(code.uncertain for code in exc.codes):
            # 500: aql may have acted part-way (a query only reads: it simply got no answer)
            logger.warning("%s for SIM %s: outcome unknown: %s", request.command, request.sim_id, said(exc))
            outcome = partial(unknown, reason=f"aql answered {'; '.join(map(str, exc.codes))}")
        else:
            outcome = partial(rejected, exc=exc)
    except GatewayError as exc:
        # No answer we can trust: aql may or may not have acted. Never resend blindly.
        logger.warning("%s for SIM %s: outcome unknown: %s", request.command, request.sim_id, said(exc))
        outcome = partial(unknown, reason=str(exc))
    else:
        if isinstance(result, Queued):
            outcome = partial(queued, result=result)
        elif isinstance(result, IccidStatus):
            outcome = partial(reconcile, status=result)
        elif result.state == AqlRequestState.PENDING:  # a one-step command aql has not finished
            outcome = partial(unknown, reason="aql answered 'pending' to a one-step command")
        else:
            outcome = partial(finished, state=result.state, raw=result.raw)
    return settle(request.pk, RequestStep.ANSWER, outcome)


def request_send(*, request_id: int) -> GatewayRequest:
    """The worker's step for a request journalled to be sent later (a services change's removals,
    once aql has added): under lock, mark it sending (or not done, when the SIM has moved on
    meanwhile and it may no longer run), then send it and record the answer as a form's command is.
    Never sent twice: only a request still waiting is taken."""
    with transaction.atomic():
        request = (GatewayRequest.objects.select_for_update(of=("self", "sim"))
                   .select_related("sim__number", "sim__subscriber", "actor").get(pk=request_id))
        sim = request.sim
        if request.state != RequestState.TO_SEND:
            return request
        if sim.not_before and sim.not_before > timezone.now():  # aql asked us to wait (63027)
            request.next_poll_at = sim.not_before
            request.save(update_fields=["next_poll_at"])
            return request
        command = Command(request.command)
        label = command.label
        why = send_refusal(actor=request.actor, actor_name=request.actor_name, command=command, sim=sim,
                           request=request)
        request.state, request.next_poll_at = (RequestState.NOT_SENT, None) if why else (
            RequestState.SENDING, timezone.now())
        RequestStep.SEND.check(RequestState.TO_SEND, request.state)
        before = sim.snapshot()
        if why:
            request.settled_at, request.why_not_sent = timezone.now(), why
            undo_queued(request, sim)  # an activation's number and subscriber, held for it, go
            event(sim=sim, actor=request.actor, request=request, action=SimAction.NOT_SENT, before=before,
                  message=f"{label} not sent: {why}")
        elif request.command == Command.ACTIVATE:  # as the form does as it sends
            sim.imei, sim.state = request.params["imei"], lifecycle.TABLE[Command.ACTIVATE].in_flight
            sim.save()
            outbox.sim_state_changed(sim=sim, was=before["state"], request=request, cause="command")
            event(sim=sim, actor=request.actor, request=request, action=SimAction.SENDING, before=before,
                  message=f"Activation sent with number {phone_national(request.params['geo_nos'])}.")
        else:
            event(sim=sim, actor=request.actor, request=request, action=SimAction.SENDING, before=before,
                  message=f"{label} sent.")
        request.save()
        if why:  # settled without being sent: told as any settled request is
            replacement_steps.step_settled(request)
            outbox.request_settled(request=request, sim=sim, was=RequestState.TO_SEND)
            if request.batch_id:
                outbox.batch_finish_if_done(request.batch_id)
    return request if why else send_and_record(request)
