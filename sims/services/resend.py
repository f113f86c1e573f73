"""Sending again a change whose outcome is unknown, when sending it twice leaves the SIM as sending
it once does (lifecycle.SENT_AGAIN_SAFELY: services are "made so", not toggled). aql's record cannot
show voice and SMS services, so no look at the SIM can settle such a change; a second send can: the
same journal row waits to be sent again, goes by the worker's normal path, and its answer settles
it (done, refused, or unknown again). Nothing is guessed about the first send."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from common.actors import Actor
from common.audit import name_of
from common.errors import Refused
from sims.lifecycle import SENT_AGAIN_SAFELY, Command, RequestState, RequestStep, SimAction
from sims.models import GatewayRequest, Sim
from sims.services.answers import event, settle
from sims.services.followup import settle_window_ended
from sims.services.requesters import send_refusal
from sims.services.sending import request_send


def _queue_again(request_id: int, actor: Actor) -> GatewayRequest:
    who = name_of(actor)

    def apply(r: GatewayRequest, sim: Sim) -> None:
        before, label = sim.snapshot(), Command(r.command).label
        r.state, r.next_poll_at, r.settled_at = RequestState.TO_SEND, None, None
        first = (f"the send of {r.created_at:%d %b %Y %H:%M} UTC: aql request id {r.aql_id or 'none'}; "
                 f"its reply: {r.reply}")  # kept as evidence
        # A send again is a new send: aql's settle window counts from it (here, and in the worker's
        # reconciling), or a second unanswered one could be sent again at once, or settled unseen.
        r.created_at, r.aql_id, r.codes, r.poll_count = timezone.now(), None, [], 0
        r.reply = f"sent again by {who} to make an unknown outcome certain; {first}"
        event(sim=sim, actor=actor, request=r, action=SimAction.SENDING, before=before,
              message=f"{label}: outcome not known, so sent again by {who}. Sending the same change twice leaves "
                      "the SIM as once does; the new answer settles it.")

    return settle(request_id, RequestStep.SEND_AGAIN, apply)


def send_again_from(request: GatewayRequest) -> datetime:
    """When a change may be sent again: once aql has certainly finished with the first send (the
    settle window, longer than aql ever takes). Before, aql answers a second one "invalid state"
    (63026) while it works on the first, which would read as a refusal of the change."""
    return request.created_at + timedelta(seconds=settings.AQL_SETTLE_WINDOW)


def request_send_again(*, request_id: int, actor: Actor) -> GatewayRequest:
    """Send again, by the normal path, a services change whose outcome is unknown, so its answer makes
    it certain. Refused for any other command (sending it twice could act twice), for a request
    whose outcome is known, and before aql has certainly finished with the first send."""
    request = GatewayRequest.objects.get(pk=request_id)
    if request.state != RequestState.UNKNOWN:
        raise Refused("Only a request whose outcome is unknown is sent again this way: this one is settled.")
    if request.command not in SENT_AGAIN_SAFELY:
        raise Refused(f"{request.get_command_display()} is not sent again: sent twice, it could act twice.")
    if not settle_window_ended(request):
        raise Refused(f"Not before {timezone.localtime(send_again_from(request)):%d %b %Y %H:%M}: until then aql "
                      "may still be working on the first send, and it refuses a second one while it does.")
    command, sim = Command(request.command), request.sim
    # Checked as the worker's send would check them, but before anything changes: refused there, the
    # row would read "not sent" while the first send may have acted. Refused here, it stays unknown.
    why = send_refusal(actor=request.actor, actor_name=request.actor_name, command=command, sim=sim)
    if why:
        raise Refused(f"Not sent again: {why} Settle it by hand, with aql support's word.")
    queued = _queue_again(request.pk, actor)
    if queued.state != RequestState.TO_SEND:  # settled meanwhile (the worker's look, or someone else)
        return queued
    return request_send(request_id=queued.pk)
