"""Following requests to their end: the worker's steps, and staff settling what aql cannot show.

Pending requests are polled with checkstatus; a request whose send got no clear answer is
settled by looking at the SIM in aql (queryiccid); the drift sweep compares SIMs with aql.
"""

import random
import time
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from aql.http import GatewayError, GatewayRejected
from aql.usim import RequestState as AqlRequestState
from common.actors import Actor
from common.errors import Refused
from ops import gateway
from ops.leases import claim_due
from ops.logs import about
from sims import lifecycle
from sims.lifecycle import IN_FLIGHT, Command, RequestStep, SimAction, SimState
from sims.models import SYSTEM, GatewayRequest, RequestState, Sim, SimEvent, SimStateCount
from sims.services.answers import (
    MATCHED,
    apply_success,
    event,
    finished,
    recheck_soon,
    reconcile,
    settle,
    undo,
    unknown,
)
from sims.services.sending import request_send

INVALID_CHECKSTATUS_ID = 63025  # aql does not know the request id


def request_claim_due(*, limit: int, lease: float) -> list[int]:
    """Claim requests the worker should look at now: pending (checkstatus) or unknown (queryiccid)
    first, then those waiting to be sent (a batch of thousands must not hold up the checks due
    behind it), each walked through its own index range."""
    checks = GatewayRequest.objects.filter(state__in=(RequestState.PENDING, RequestState.UNKNOWN))
    ids = claim_due(checks, field="next_poll_at", limit=limit, lease=lease)
    if len(ids) < limit:
        waiting = GatewayRequest.objects.filter(state=RequestState.TO_SEND)
        ids += claim_due(waiting, field="next_poll_at", limit=limit - len(ids), lease=lease)
    return ids


def request_mark_lost(*, older_than: float) -> int:
    """Requests journalled but never answered (the sender died mid-send) become unknown, to be
    checked with queryiccid once aql would have finished them, like any other unknown outcome."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    # Sent when journalled (a form's), or when the worker took it (next_poll_at: the send's time).
    sent_before = Q(next_poll_at__isnull=True, created_at__lt=cutoff) | Q(next_poll_at__lt=cutoff)
    lost = GatewayRequest.objects.filter(sent_before, state=RequestState.SENDING).values_list("pk", flat=True)
    reason = "no answer was recorded: the sender stopped mid-send"
    for pk in lost:
        settle(pk, RequestStep.LOST, partial(unknown, reason=reason))
    return len(lost)


def poll_delay(poll_count: int, *, at_least: float = 0) -> float:
    """Seconds until the next checkstatus: doubling from AQL_POLL_INTERVAL to a cap, with ±10% jitter
    so that requests sent together do not all come due together."""
    wait = min(settings.AQL_POLL_INTERVAL * 2 ** min(poll_count, 20), settings.AQL_POLL_MAX_INTERVAL)
    return max(wait, at_least) * random.uniform(0.9, 1.1)


def request_poll(*, request_id: int) -> GatewayRequest:
    """The worker's step for a claimed request: the send when it waits to be sent, checkstatus when
    pending, queryiccid when unknown.

    Idempotent: a request that is already settled is returned untouched (django-q2 may
    deliver a task twice, and two passes may overlap).
    """
    request = GatewayRequest.objects.select_related("sim").get(pk=request_id)
    with about(gateway_request=request.pk, iccid=request.sim.iccid, user=request.actor_name):
        return _follow(request)


def _follow(request: GatewayRequest) -> GatewayRequest:
    if request.state == RequestState.TO_SEND:
        return request_send(request_id=request.pk)
    if request.state == RequestState.UNKNOWN:
        return _reconcile_unknown(request)
    if request.state != RequestState.PENDING:
        return request
    status, wait, reply, lost, other_sim = None, 0.0, "", False, ""
    try:
        status = gateway.usim_client().checkstatus(request_id=request.aql_id)
        reply = status.raw
    except GatewayRejected as exc:
        # 63022 "poll again later", 63027 "congested: wait 5 minutes", 500 and the rest: back off.
        reply = exc.body or str(exc)
        wait = max((c.retry_after or 0 for c in exc.codes), default=0)
        lost = INVALID_CHECKSTATUS_ID in exc.numbers
    except GatewayError as exc:  # no answer, or one we cannot read: back off, lose nothing
        reply = str(exc)
    if status is not None and status.iccid != request.sim.iccid:
        other_sim = f"aql's answer names another SIM ({status.iccid}): not applied. {reply}"
        status, reply = None, other_sim

    def apply(r: GatewayRequest, sim: Sim) -> None:
        r.poll_count += 1
        r.reply = reply
        if lost:  # aql does not know the id: find out from the SIM itself
            unknown(r, sim, reason=f"aql does not know this request id ({INVALID_CHECKSTATUS_ID})")
        elif status is not None and status.state != AqlRequestState.PENDING:
            finished(r, sim, state=status.state, raw=reply)
        else:
            r.next_poll_at = timezone.now() + timedelta(seconds=poll_delay(r.poll_count, at_least=wait))
            _flag_if_stale(r, sim, also=other_sim)

    return settle(request.pk, RequestStep.POLL, apply)


def _flag(request: GatewayRequest, sim: Sim, message: str) -> None:
    request.needs_attention = True
    event(sim=sim, actor=None, request=request, action=SimAction.ATTENTION, before=sim.snapshot(), message=message)


def _flag_if_stale(request: GatewayRequest, sim: Sim, also: str = "") -> None:
    """Flag a request for staff once it is older than AQL_STALE_AFTER (or at once, with `also`'s reason)."""
    if request.needs_attention:
        return
    if also:
        _flag(request, sim, also)
        return
    hours = (timezone.now() - request.created_at).total_seconds() / 3600
    if hours * 3600 > settings.AQL_STALE_AFTER:
        _flag(request, sim, f"{Command(request.command).label} has been in progress for {hours:.0f} hours: aql "
                            "has not finished it. It is still being checked; you may want to ask aql.")


def _unknown_again(request: GatewayRequest, sim: Sim, reply: str) -> None:
    request.reply = reply
    request.next_poll_at = timezone.now() + timedelta(seconds=poll_delay(request.poll_count))
    _flag_if_stale(request, sim)


def settle_window_ended(request: GatewayRequest) -> bool:
    """Has aql had longer than it ever takes (AQL_SETTLE_WINDOW) to carry out this request?"""
    return timezone.now() - request.created_at >= timedelta(seconds=settings.AQL_SETTLE_WINDOW)


def _reconcile_unknown(request: GatewayRequest) -> GatewayRequest:
    """Settle a request whose send got no clear answer by looking at the SIM in aql (queryiccid).

    The effect seen settles it as done. No effect seen proves nothing while aql may still be
    working on it (queryiccid cannot tell "queued" from "never received"): it stays unknown and
    is asked again, less often each time, until the settle window has passed; only then is it
    called "did not take effect". Either way the SIM is compared with aql again soon after.
    """
    try:
        status = gateway.usim_client().queryiccid(iccid=request.sim.iccid)
    except GatewayError as exc:
        reply = str(exc)
        return settle(request.pk, RequestStep.RECONCILE, lambda r, sim: _unknown_again(r, sim, reply))

    def apply(r: GatewayRequest, sim: Sim) -> None:
        r.poll_count += 1
        if r.command == Command.QUERYICCID:  # a read whose answer was lost: this answer is the one it wanted
            reconcile(r, sim, status=status)
            return
        effect = lifecycle.took_effect(command=r.command, params=r.params, status=status)
        label = Command(r.command).label
        if effect:
            finished(r, sim, state=AqlRequestState.SUCCESS, raw=status.raw)
            recheck_soon(sim)
        elif effect is False and settle_window_ended(r):
            before = sim.snapshot()
            r.state, r.reply, r.settled_at = RequestState.NOT_SENT, status.raw, timezone.now()
            undo(r, sim)
            recheck_soon(sim)
            hours = settings.AQL_SETTLE_WINDOW / 3600
            event(sim=sim, actor=None, request=r, action=SimAction.NOT_SENT, before=before,
                  message=f"{label} did not take effect: {hours:g} hours after it was sent, aql's record of the "
                          "SIM still shows no change. Send it again if it is still wanted.")
        else:
            _unknown_again(r, sim, status.raw)
            can_show = effect is not None or Command(r.command) not in (Command.ADDSERVICE, Command.REMOVESERVICE)
            if not can_show and not r.needs_attention:
                _flag(r, sim, f"{label}: aql's query cannot show whether it happened. Check with aql.")

    return settle(request.pk, RequestStep.RECONCILE, apply)


def latest_look(*, request: GatewayRequest) -> GatewayRequest | None:
    """The newest answer aql gave about the request's SIM (queryiccid) since the request was sent:
    the evidence staff settle an unknown outcome by."""
    return _looks(request).first()


def request_looks(*, request: GatewayRequest, limit: int = 10) -> list[GatewayRequest]:
    """aql's answers about the request's SIM since it was sent, newest first: staff's and the
    worker's own (drift checks), each the record of the SIM as aql gave it then."""
    return list(_looks(request)[:limit])


def _looks(request: GatewayRequest) -> QuerySet[GatewayRequest]:
    return (GatewayRequest.objects.filter(sim_id=request.sim_id, command=Command.QUERYICCID,
                                          state=RequestState.SUCCESS, created_at__gte=request.created_at)
            .order_by("-created_at", "-pk"))


def request_resolve(*, request_id: int, happened: bool, actor: Actor) -> GatewayRequest:
    """Staff settle a request whose outcome aql cannot show, having seen aql's record of the SIM
    since it was sent (`latest_look`): it happened (the lifecycle's success move) or it did not
    (undone, free to send again). Who decided, and on what evidence, goes in the audit trail."""
    request = GatewayRequest.objects.get(pk=request_id)
    if not RequestStep.RESOLVE.allows(request.state):
        raise Refused("Only a request whose outcome is unknown can be settled by hand.")
    look = latest_look(request=request)
    if look is None:
        raise Refused("Ask aql about the SIM first: its answer is the evidence to settle by.")
    who = actor.get_username() if actor else "staff"
    seen = f"aql's record of {timezone.localtime(look.settled_at):%Y-%m-%d %H:%M}"

    def apply(r: GatewayRequest, sim: Sim) -> None:
        label = Command(r.command).label
        before = sim.snapshot()
        r.settled_at = timezone.now()
        if happened:
            r.state, r.reply = RequestState.SUCCESS, f"settled by {who}: it happened"
            apply_success(r, sim)
            message = f"{label} marked as done by {who}, having seen {seen}."
        else:
            r.state, r.reply = RequestState.NOT_SENT, f"settled by {who}: it did not happen"
            undo(r, sim)
            message = f"{label} marked as not done by {who}, having seen {seen}. Send it again if it is still wanted."
        recheck_soon(sim)
        event(sim=sim, actor=actor, request=r, action=SimAction.SETTLED, before=before, message=message)

    return settle(request_id, RequestStep.RESOLVE, apply)


def drift_lanes() -> tuple[QuerySet[Sim], QuerySet[Sim], QuerySet[Sim]]:
    """The drift sweep's three queues, in turn: SIMs due a re-check (an outcome decided without
    checkstatus: `recheck_at`), those never taken, those taken longest ago. Terminated SIMs and
    those with a command in flight (aql is changing them: a difference would be expected) are left
    out. Index walks on recheck_at and sim_drift_live, never a sort of every SIM (PostgreSQL's
    index cannot serve one NULLS FIRST sort)."""
    # A look at each candidate's own requests (by its sim_id index), not a list of every SIM busy
    # made afresh for each lane: the lanes' first rows are nearly always the ones taken.
    busy = GatewayRequest.objects.filter(sim=OuterRef("pk"), state__in=IN_FLIGHT).exclude(command=Command.QUERYICCID)
    candidates = Sim.objects.exclude(state=SimState.TERMINATED).exclude(Exists(busy))
    return (candidates.filter(recheck_at__lte=timezone.now()).order_by("recheck_at", "pk"),
            candidates.filter(drift_at__isnull=True).order_by("drift_at", "pk"),  # drift_at: sim_drift_live's order
            candidates.filter(drift_at__isnull=False).order_by("drift_at", "pk"))


def sims_due_for_drift_check(*, limit: int) -> list[int]:
    """The SIMs to compare with aql next: `drift_lanes`, first lanes first."""
    found: list[int] = []
    for lane in drift_lanes():
        found += [pk for pk in lane.values_list("pk", flat=True)[:limit] if pk not in found]
        if len(found) >= limit:
            break
    return found[:limit]


def sims_take_for_drift(*, limit: int) -> list[int]:
    """Take the next SIMs to compare with aql, marked as taken before anything is asked: one aql
    refuses or does not answer goes to the back of the queue, and a priority re-check is put off
    by AQL_RECHECK_AFTER rather than taken again at once (or lost)."""
    ids = sims_due_for_drift_check(limit=limit)
    now = timezone.now()
    Sim.objects.filter(pk__in=ids).update(drift_at=now)
    Sim.objects.filter(pk__in=ids, recheck_at__isnull=False).update(
        recheck_at=now + timedelta(seconds=settings.AQL_RECHECK_AFTER))
    return ids


def state_counts_rebuild(**_: object) -> None:
    """Count the SIMs per state afresh into SimStateCount. The triggers keep it, but `flush`
    empties tables one by one in no fixed order, and SIMs deleted after their counters would
    leave them below zero: post_migrate (which flush sends too) calls this."""
    if SimStateCount._meta.db_table not in connection.introspection.table_names():
        return  # migrated back to before the counters
    with transaction.atomic():
        SimStateCount.objects.all().delete()
        SimStateCount.objects.bulk_create(
            SimStateCount(state=state, count=n)
            for state, n in Sim.objects.order_by().values_list("state").annotate(n=Count("pk")))


# Requests a transaction: SQLite's one write lock is held a moment at a time, with a gap between,
# so the follower's writes and the pages' never wait long.
PRUNE_CHUNK = 200
PRUNE_GAP = 0.05  # seconds between chunks: a writer waiting for SQLite's lock gets it
PRUNE_FOR = 30  # seconds a pass deletes for at most: the next pass goes on from where it is


def checks_prune(*, days: int, budget: float = PRUNE_FOR) -> int:
    """Delete the system's routine comparisons with aql older than `days` that found ours matched:
    each request and its "Asked aql: its record matches ours" line on the timeline. At a full
    pass a day these are two rows a SIM a day, a billion a year at a million SIMs; what they told
    is kept in `Sim.checked_at`. Differences (also one seen while a command was in progress),
    failures, and everything staff asked stay for good.
    Returns how many requests went."""
    started, cutoff = time.monotonic(), timezone.now() - timedelta(days=days)
    routine = GatewayRequest.objects.filter(SYSTEM, command=Command.QUERYICCID, state=RequestState.SUCCESS,
                                            created_at__lt=cutoff)
    deleted, after = 0, Q()
    while time.monotonic() - started < budget and (chunk := list(
            routine.filter(after).order_by("created_at", "pk").values_list("pk", "created_at")[:PRUNE_CHUNK])):
        ids = [pk for pk, _ in chunk]
        with transaction.atomic():
            SimEvent.objects.filter(request_id__in=ids, action=SimAction.QUERIED, message=MATCHED).delete()
            # a request that still has a line on a timeline (a difference it found) stays
            gone = GatewayRequest.objects.filter(pk__in=ids).exclude(
                pk__in=SimEvent.objects.filter(request_id__in=ids).values("request_id"))
            deleted += gone.delete()[1].get(GatewayRequest._meta.label, 0)
        last_pk, last_at = chunk[-1]
        after = Q(created_at__gt=last_at) | Q(created_at=last_at, pk__gt=last_pk)
        time.sleep(PRUNE_GAP)
    return deleted
