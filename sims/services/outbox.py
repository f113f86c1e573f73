"""What the SIM side tells integrators (`common.events`): each function is called by the service
that makes the change, inside its transaction, so the event commits or rolls back with it.

Payloads carry ids, the ICCID, the command, states and outcome words, aql's codes with their
meanings, a suspend's or termination's reason as its code, and the API path of the resource: never
the subscriber's details, the SIM's number, or the words staff gave with a reason (they may name a
person).
"""

from django.db.models import Count
from django.utils import timezone

from aql import codes
from common import events
from common.events import EventKind
from common.roles import SYSTEM_USERNAME
from sims.lifecycle import FAILURES, IN_FLIGHT, Command, RequestState, SimAction
from sims.models import Batch, GatewayRequest, Sim, SimEvent

SETTLED = (RequestState.SUCCESS, *FAILURES)


def sim_state_changed(*, sim: Sim, was: str, request: GatewayRequest | None, cause: str) -> None:
    """The SIM's state moved from `was` (a command's effect, or aql's record followed: `cause`)."""
    if sim.state == was:
        return
    events.emit(EventKind.SIM_STATE_CHANGED, {
        "sim_id": sim.pk, "iccid": sim.iccid, "state_before": was, "state": sim.state, "cause": cause,
        "request_id": request.pk if request else None, "reason": request.reason if request else None,
        "url": events.sim_url(sim.iccid)})


def _routine(request: GatewayRequest) -> bool:
    # The system's own comparisons with aql (the drift sweep, re-checks): thousands an hour, each
    # telling only "ours matched" (a difference is told as drift.found).
    return request.command == Command.QUERYICCID and request.actor_name == SYSTEM_USERNAME


def request_settled(*, request: GatewayRequest, sim: Sim, was: str) -> None:
    """The request reached success or a failure (refused, failed, not done) from `was`; an unknown
    outcome is not settled, and one settled later by evidence says it had been unknown."""
    if request.state == was or request.state not in SETTLED or _routine(request):
        return
    was_unknown = was == RequestState.UNKNOWN or SimEvent.objects.filter(
        request=request, action=SimAction.UNKNOWN).exists()
    table = codes.USIM_CODES
    events.emit(EventKind.REQUEST_SETTLED, {
        "request_id": request.pk, "sim_id": sim.pk, "iccid": sim.iccid, "command": request.command,
        "outcome": "success" if request.state == RequestState.SUCCESS else "failed", "state": request.state,
        "was_unknown": was_unknown,
        "errors": [{"code": n, "meaning": codes.lookup(table, n).message} for n in request.codes],
        "why_not_sent": request.why_not_sent or None, "batch_id": request.batch_id, "reason": request.reason,
        "url": events.request_url(request.pk)})


def drift_found(*, sim: Sim, request: GatewayRequest, fields: list[str], state_before: str) -> None:
    """aql's record of the SIM differed from ours, and ours now follows it: which fields differed
    (not the number itself: it is the subscriber's)."""
    events.emit(EventKind.DRIFT_FOUND, {
        "sim_id": sim.pk, "iccid": sim.iccid, "request_id": request.pk, "fields": fields,
        "state_before": state_before, "state": sim.state, "url": events.sim_url(sim.iccid)})


def batch_finish_if_done(batch_id: int) -> bool:
    """Tell that the batch has finished, once, if it has: nothing of it in flight and nothing more
    to be queued (`params["queueing"]`). Called in the transaction that settles one of its requests,
    cancels the rest or ends its queueing. The batch row is locked first, so of two requests
    settling at once the second sees the first's (PostgreSQL's read committed would otherwise let
    each see the other still in flight, and neither tell); the in-flight look is one probe of the
    (batch, state) index. Returns whether it was told now."""
    batch = Batch.objects.select_for_update().get(pk=batch_id)
    if batch.params.get("queueing") or batch.params.get("finished_at"):
        return False
    if GatewayRequest.objects.filter(batch_id=batch_id, state__in=IN_FLIGHT).exists():
        return False
    counts = dict(GatewayRequest.objects.filter(batch_id=batch_id).order_by().values_list("state")
                  .annotate(n=Count("pk")))
    batch.params["finished_at"] = timezone.now().isoformat()
    batch.save(update_fields=["params"])
    events.emit(EventKind.BATCH_FINISHED, {
        "batch_id": batch.pk, "command": batch.command, "size": batch.size, "counts": counts,
        "reason": batch.params.get("reason"),
        "url": events.batch_url(batch.pk)})
    return True


BOOKKEEPING = ("queueing", "finished_at", "stopped")  # a batch's params that are not the command's
