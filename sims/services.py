"""Every write to SIMs, numbers and the journal. Views, admin, CLI and tasks call these only.

A command goes: check the input, then in one transaction re-read the SIM under lock, ask the
lifecycle whether the command may run, journal the request and commit; then send it to aql
outside any lock (the network is slow) and record the answer in a second transaction. A
crash or timeout between the two leaves a journalled request to reconcile, never a gap, and
nothing is ever resent blindly.
"""

import logging
import random
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from aql.http import GatewayError, GatewayRejected
from aql.usim import SERVICES, IccidState, IccidStatus, Queued, UsimClient
from aql.usim import RequestState as AqlRequestState
from sims import gateway, lifecycle, selectors, validators
from sims.lifecycle import Command, CommandNotAllowed, SimState
from sims.models import (
    IN_FLIGHT,
    GatewayRequest,
    GeographicNumber,
    Heartbeat,
    RequestState,
    Sim,
    SimEvent,
    Subscriber,
)

logger = logging.getLogger(__name__)
INVALID_CHECKSTATUS_ID = 63025
Actor = AbstractBaseUser | None  # who asked; None: the system (the worker)


# --- numbers and SIMs ------------------------------------------------------------------------

def number_add(*, numbers: Iterable[str]) -> list[GeographicNumber]:
    """Add numbers aql has allocated to our account to the pool. All or nothing; repeats are skipped."""
    cleaned, bad = [], []
    for raw in numbers:
        try:
            cleaned.append(validators.clean_geographic_number(raw))
        except ValidationError:
            bad.append(raw)
    if bad:
        raise ValidationError({"numbers": [f"Not a UK landline number: {', '.join(bad)}."]})
    cleaned = list(dict.fromkeys(cleaned))
    with transaction.atomic():
        known = _existing(GeographicNumber, "number", cleaned)
        new = [GeographicNumber(number=n) for n in cleaned if n not in known]
        # ignore_conflicts: another admin adding the same number meanwhile is not an error
        return GeographicNumber.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)


def sim_add(*, iccids: Iterable[str]) -> list[Sim]:
    """Record SIMs on our account (state unused). All or nothing; ICCIDs we already have are skipped."""
    cleaned, bad = [], []
    for raw in iccids:
        try:
            cleaned.append(validators.clean_iccid(raw))
        except ValidationError:
            bad.append(raw)
    if bad:
        raise ValidationError({"iccids": [f"Not an ICCID (19 or 20 digits): {', '.join(bad)}."]})
    cleaned = list(dict.fromkeys(cleaned))
    with transaction.atomic():
        known = _existing(Sim, "iccid", cleaned)
        new = [Sim(iccid=i, iccid_reversed=i[::-1]) for i in cleaned if i not in known]
        return Sim.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)


def _existing(model: type, field: str, values: list[str]) -> set[str]:
    """Which of `values` the table has already, asked in chunks (SQLite limits a query's parameters)."""
    found: set[str] = set()
    for start in range(0, len(values), 500):
        chunk = values[start:start + 500]
        found.update(model.objects.filter(**{f"{field}__in": chunk}).values_list(field, flat=True))
    return found


# --- the journal and the audit trail -------------------------------------------------------

def _event(*, sim: Sim, actor: Actor, action: str, message: str, before: dict,
           request: GatewayRequest | None = None) -> None:
    SimEvent.objects.create(sim=sim, request=request, actor=actor, action=action, message=message,
                            before=before, after=sim.snapshot())


def _journal(*, sim: Sim, command: Command, actor: Actor, params: dict[str, Any]) -> GatewayRequest:
    """Refuse what the lifecycle forbids; otherwise write the request, not yet sent."""
    in_flight = selectors.sim_in_flight(sim=sim)
    why = lifecycle.refusal(command=command, state=sim.state, has_number=sim.number_id is not None,
                            in_flight=in_flight.command if in_flight else None)
    if why:
        raise CommandNotAllowed(why)
    try:
        with transaction.atomic():  # the unique index is the last guard against a race
            return GatewayRequest.objects.create(sim=sim, command=command, params=params,
                                                 actor=actor if actor and actor.pk else None,
                                                 state_before=sim.state)
    except IntegrityError:
        raise CommandNotAllowed("Another command was just sent for this SIM: wait for it to finish.") from None


def _locked_sim(sim_id: int) -> Sim:
    # of=self: PostgreSQL cannot lock the nullable side of the join to the number.
    return Sim.objects.select_for_update(of=("self",)).select_related("number").get(pk=sim_id)


def _hold_number(number: str, request: GatewayRequest) -> GeographicNumber:
    """Reserve a pool number for the request, so no other SIM can be given it meanwhile."""
    geo = GeographicNumber.objects.select_for_update().filter(number=number).first()
    if geo is None:
        raise CommandNotAllowed("That number is not in our pool: add it under Numbers first.", "number")
    if geo.held_by_id is not None or Sim.objects.filter(number=geo).exists():
        raise CommandNotAllowed("That number is already in use by another SIM.", "number")
    geo.held_by = request
    geo.save(update_fields=["held_by"])
    return geo


def _send_and_record(request: GatewayRequest, send: Callable[[UsimClient], Any]) -> GatewayRequest:
    """Send the journalled request and record aql's answer, whatever it is."""
    try:
        result = send(gateway.usim_client())
    except GatewayRejected as exc:
        outcome = partial(_rejected, exc=exc)
    except GatewayError as exc:
        # No answer we can trust: aql may or may not have acted. Never resend blindly.
        logger.warning("%s for SIM %s: outcome unknown: %s", request.command, request.sim_id, exc)
        outcome = partial(_unknown, reason=str(exc))
    else:
        if isinstance(result, Queued):
            outcome = partial(_queued, result=result)
        elif isinstance(result, IccidStatus):
            outcome = partial(_reconcile, status=result)
        elif result.state == AqlRequestState.PENDING:  # a one-step command aql has not finished
            outcome = partial(_unknown, reason="aql answered 'pending' to a one-step command")
        else:
            outcome = partial(_finished, state=result.state, raw=result.raw)
    # Only a request still awaiting this answer takes it (the worker may have marked a slow send lost).
    return _settle(request.pk, outcome, only_in=(RequestState.SENDING, RequestState.UNKNOWN))


def _settle(request_id: int, apply: Callable[[GatewayRequest, Sim], None],
            only_in: tuple[str, ...] = IN_FLIGHT) -> GatewayRequest:
    """Apply an outcome to a request and its SIM, both re-read under lock, if the request is
    still in one of `only_in` (else someone settled it meanwhile, and it is left as it is)."""
    with transaction.atomic():
        request = GatewayRequest.objects.select_for_update().get(pk=request_id)
        if request.state not in only_in:
            return request
        sim = _locked_sim(request.sim_id)
        apply(request, sim)
        if request.state not in IN_FLIGHT:
            request.needs_attention = False  # settled: nothing left for staff to look at
        request.save()
    return request


def _queued(request: GatewayRequest, sim: Sim, *, result: Queued) -> None:
    request.state = RequestState.PENDING
    request.aql_id = result.request_id
    request.reply = result.raw
    request.next_poll_at = timezone.now() + timedelta(seconds=settings.AQL_FIRST_POLL_DELAY)
    _event(sim=sim, actor=request.actor, request=request, action="sent", before=sim.snapshot(),
           message=f"{Command(request.command).label} accepted by aql (request {result.request_id}).")


def _rejected(request: GatewayRequest, sim: Sim, *, exc: GatewayRejected) -> None:
    before = sim.snapshot()
    request.state = RequestState.REJECTED
    request.codes = [c.code for c in exc.codes]
    request.reply = exc.body
    request.settled_at = timezone.now()
    _undo(request, sim)
    _event(sim=sim, actor=request.actor, request=request, action="refused", before=before,
           message=f"{Command(request.command).label} refused by aql: " + "; ".join(map(str, exc.codes)))


def _unknown(request: GatewayRequest, sim: Sim, *, reason: str) -> None:
    request.state = RequestState.UNKNOWN
    request.reply = reason
    # Ask aql what the SIM looks like once it would have finished, as for a first checkstatus.
    request.next_poll_at = timezone.now() + timedelta(seconds=settings.AQL_FIRST_POLL_DELAY)
    _event(sim=sim, actor=request.actor, request=request, action="unknown", before=sim.snapshot(),
           message=f"{Command(request.command).label}: no clear answer from aql ({reason}). "
                   "It will be checked with the gateway, not resent.")


def _finished(request: GatewayRequest, sim: Sim, *, state: AqlRequestState, raw: str) -> None:
    """aql's final word on a request: success applies the lifecycle's move, failure undoes."""
    before = sim.snapshot()
    label = Command(request.command).label
    request.reply = raw
    request.settled_at = timezone.now()
    if state == AqlRequestState.SUCCESS:
        request.state = RequestState.SUCCESS
        _apply_success(request, sim)
        _event(sim=sim, actor=request.actor, request=request, action="succeeded", before=before,
               message=f"{label} done.")
    else:
        request.state = RequestState.FAILED
        _undo(request, sim)
        _event(sim=sim, actor=request.actor, request=request, action="failed", before=before,
               message=f"{label} failed: the network refused it.")


def _apply_success(request: GatewayRequest, sim: Sim) -> None:
    command = Command(request.command)
    move = lifecycle.TABLE[command]
    if move.on_success:
        sim.state = move.on_success
    if command == Command.ACTIVATE:
        for name in lifecycle.ACTIVATION_SERVICES:
            setattr(sim, name, True)
    if command in (Command.ADDSERVICE, Command.REMOVESERVICE):
        for name in request.params["services"]:
            setattr(sim, name, command == Command.ADDSERVICE)
    held = GeographicNumber.objects.filter(held_by=request).first()
    if held:  # activate, assigngeo, changegeo: the SIM takes the number held for it
        held.held_by = None
        held.save(update_fields=["held_by"])
        sim.number = held
    if command == Command.DEACTIVATE:  # terminated for good: its number goes back to the pool
        sim.number = None
        for name in SERVICES:
            setattr(sim, name, False)
    sim.save()


def _undo(request: GatewayRequest, sim: Sim) -> None:
    """Put the SIM back as it was before the request: release a held number, drop a new subscriber."""
    GeographicNumber.objects.filter(held_by=request).update(held_by=None)
    if request.command == Command.ACTIVATE:  # the subscriber and handset it brought go too
        subscriber = sim.subscriber
        sim.state, sim.imei, sim.subscriber = request.state_before, "", None
        sim.save()
        if subscriber:
            subscriber.delete()


def _reconcile(request: GatewayRequest, sim: Sim, *, status: IccidStatus) -> None:
    """Bring our record in line with aql's (the source of truth) and record each difference.

    While a command is in flight aql is changing the SIM: differences are recorded then, not
    applied, and the command's own outcome settles the record.
    """
    before = sim.snapshot()
    request.state, request.reply, request.settled_at = RequestState.SUCCESS, status.raw, timezone.now()
    sim.checked_at = request.settled_at
    changes: dict[str, Any] = {}
    if sim.state != status.state:
        changes["state"] = (f"state was {sim.state}, aql says {status.state}", SimState(status.state))
    live = status.state in (IccidState.ACTIVE, IccidState.SUSPENDED)
    ours = sim.number.number if sim.number else None
    theirs = status.geo_nos if live else None
    if ours != theirs and not (theirs is None and live):
        changes["number"] = (f"number was {ours or 'none'}, aql says {theirs or 'none'}", theirs)
    for name, value in (("int_roaming", status.int_roaming), ("int_calling", status.int_call),
                        ("premium", status.premium)):
        if value is not None and getattr(sim, name) != value:
            was = "on" if getattr(sim, name) else "off"
            changes[name] = (f"{name} was {was}, aql says {'on' if value else 'off'}", value)
    if not changes:
        sim.save(update_fields=["checked_at"])  # not a change of the SIM: its "last changed" stays
        _event(sim=sim, actor=request.actor, request=request, action="queried", before=before,
               message="Asked aql: its record matches ours.")
        return
    said = "; ".join(text for text, _ in changes.values())
    busy = selectors.sim_in_flight(sim=sim)
    if busy:
        sim.save(update_fields=["checked_at"])
        _event(sim=sim, actor=request.actor, request=request, action="queried", before=before,
               message=f"aql's record differs from ours ({said}) while {busy.get_command_display()} is in "
                       "progress: its outcome will settle our record.")
        return
    for field, (_, value) in changes.items():
        setattr(sim, field, _number_for(value, sim) if field == "number" and value else value)
    sim.save()
    _event(sim=sim, actor=request.actor, request=request, action="drift", before=before,
           message=f"aql's record differed from ours: {said}. Ours now follows aql.")


def _number_for(number: str, sim: Sim) -> GeographicNumber:
    """The pool entry for a number aql says this SIM has, taken from any SIM we thought had it."""
    geo, _ = GeographicNumber.objects.get_or_create(number=number)
    previous = Sim.objects.select_for_update().filter(number=geo).exclude(pk=sim.pk).first()
    if previous:
        before = previous.snapshot()
        previous.number = None
        previous.save()
        _event(sim=previous, actor=None, action="drift", before=before,
               message=f"Number {number} removed: aql says SIM {sim.iccid} has it.")
    return geo


# --- the commands ----------------------------------------------------------------------------

def sim_activate(*, sim_id: int, actor: Actor, imei: str, number: str, name: str, address: str,
                 postcode: str, contact_number: str) -> GatewayRequest:
    """Activate an unused SIM for a subscriber with a pool number. aql answers later (two-step)."""
    f = validators.clean_all(imei=(validators.clean_imei, imei), number=(validators.clean_geographic_number, number),
                 name=(validators.clean_name, name), address=(validators.clean_address, address),
                 postcode=(validators.clean_postcode, postcode),
                 contact_number=(validators.clean_contact_number, contact_number))
    with transaction.atomic():
        sim = _locked_sim(sim_id)
        before = sim.snapshot()
        # The subscriber's details stay in Subscriber (erasable), not in the journal.
        request = _journal(sim=sim, command=Command.ACTIVATE, actor=actor,
                           params={"imei": f["imei"], "geo_nos": f["number"]})
        _hold_number(f["number"], request)
        sim.subscriber = Subscriber.objects.create(name=f["name"], address=f["address"], postcode=f["postcode"],
                                                   contact_number=f["contact_number"])
        sim.imei, sim.state = f["imei"], lifecycle.TABLE[Command.ACTIVATE].in_flight
        sim.save()
        _event(sim=sim, actor=actor, request=request, action="sending", before=before,
               # no personal data in the audit trail: it must survive the subscriber's erasure
               message=f"Activation sent with number {f['number']}.")
    return _send_and_record(request, lambda c: c.activate(
        iccid=sim.iccid, imei=f["imei"], geo_nos=f["number"], subname=f["name"], subaddress=f["address"],
        subpostcode=f["postcode"], subcontactno=f["contact_number"]))


def _simple(command: Command, sim_id: int, actor: Actor, params: dict[str, Any] | None = None,
            send: Callable[[UsimClient, Sim], Any] | None = None) -> GatewayRequest:
    """A command that names the SIM and its number, and changes nothing until aql succeeds."""
    with transaction.atomic():
        sim = _locked_sim(sim_id)
        number = sim.number.number if sim.number else None
        request = _journal(sim=sim, command=command, actor=actor, params={"geo_nos": number, **(params or {})})
        _event(sim=sim, actor=actor, request=request, action="sending", before=sim.snapshot(),
               message=f"{command.label} sent.")
    if send is None:  # suspend, reactivate, deactivate: the SIM and its number are all aql needs
        return _send_and_record(request, lambda c: getattr(c, command.value)(iccid=sim.iccid, geo_nos=number))
    return _send_and_record(request, lambda c: send(c, sim))


def sim_suspend(*, sim_id: int, actor: Actor) -> GatewayRequest:
    """Suspend an active SIM (two-step)."""
    return _simple(Command.SUSPEND, sim_id, actor)


def sim_reactivate(*, sim_id: int, actor: Actor) -> GatewayRequest:
    """Reactivate a suspended SIM (two-step)."""
    return _simple(Command.REACTIVATE, sim_id, actor)


def sim_deactivate(*, sim_id: int, actor: Actor) -> GatewayRequest:
    """Terminate a SIM for good (two-step); on success its number returns to the pool."""
    return _simple(Command.DEACTIVATE, sim_id, actor)


def sim_services_add(*, sim_id: int, actor: Actor, services: list[str]) -> GatewayRequest:
    """Switch services on for an active SIM (two-step)."""
    names = validators.clean_all(services=(validators.clean_services, services))["services"]
    return _simple(Command.ADDSERVICE, sim_id, actor, {"services": names},
                   lambda c, sim: c.addservice(iccid=sim.iccid, geo_nos=sim.number.number, services=names))


def sim_services_remove(*, sim_id: int, actor: Actor, services: list[str]) -> GatewayRequest:
    """Switch services off for an active SIM (two-step)."""
    names = validators.clean_all(services=(validators.clean_services, services))["services"]
    return _simple(Command.REMOVESERVICE, sim_id, actor, {"services": names},
                   lambda c, sim: c.removeservice(iccid=sim.iccid, geo_nos=sim.number.number, services=names))


def _number_command(command: Command, sim_id: int, actor: Actor, number: str) -> GatewayRequest:
    new = validators.clean_all(number=(validators.clean_geographic_number, number))["number"]
    with transaction.atomic():
        sim = _locked_sim(sim_id)
        old = sim.number.number if sim.number else None
        if new == old:
            raise CommandNotAllowed("This SIM already has that number.", "number")
        request = _journal(sim=sim, command=command, actor=actor,
                           params={"geo_nos": old, "new_geo_nos": new} if old else {"geo_nos": new})
        _hold_number(new, request)
        _event(sim=sim, actor=actor, request=request, action="sending", before=sim.snapshot(),
               message=f"{command.label} to {new} sent.")
    if command == Command.ASSIGNGEO:
        return _send_and_record(request, lambda c: c.assigngeo(iccid=sim.iccid, geo_nos=new))
    return _send_and_record(request, lambda c: c.changegeo(iccid=sim.iccid, geo_nos=old, new_geo_nos=new))


def sim_number_assign(*, sim_id: int, actor: Actor, number: str) -> GatewayRequest:
    """Give an active SIM without a number one from the pool (one-step: settles at once)."""
    return _number_command(Command.ASSIGNGEO, sim_id, actor, number)


def sim_number_change(*, sim_id: int, actor: Actor, number: str) -> GatewayRequest:
    """Replace an active SIM's number with another from the pool (one-step); the old one is freed."""
    return _number_command(Command.CHANGEGEO, sim_id, actor, number)


def sim_query(*, sim_id: int, actor: Actor) -> GatewayRequest:
    """Ask aql for the SIM's live state (queryiccid) and bring our record in line with it."""
    with transaction.atomic():
        sim = _locked_sim(sim_id)
        request = _journal(sim=sim, command=Command.QUERYICCID, actor=actor, params={})
    return _send_and_record(request, lambda c: c.queryiccid(iccid=sim.iccid))


# --- the worker's steps ----------------------------------------------------------------------

def claim_due(due: QuerySet, *, field: str, limit: int, lease: float) -> list[int]:
    """Claim up to `limit` rows of `due` (rows whose `field` time has come) for `lease` seconds.

    Claiming moves the row's `field` ahead, so two workers never take one row at once and a
    worker that dies mid-way only delays it. PostgreSQL skips rows another worker has
    locked; SQLite has one writer at a time, and each claim is a conditional update that
    takes the row only if it is still as it was read.
    """
    due = due.filter(**{f"{field}__lte": timezone.now()}).order_by(field)
    until = timezone.now() + timedelta(seconds=lease)
    with transaction.atomic():
        if connection.features.has_select_for_update_skip_locked:
            ids = list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit])
            due.model.objects.filter(pk__in=ids).update(**{field: until})
            return ids
        candidates = list(due.values_list("pk", field)[:limit])
        return [pk for pk, seen in candidates
                if due.model.objects.filter(pk=pk, **{field: seen}).update(**{field: until})]


def request_claim_due(*, limit: int, lease: float) -> list[int]:
    """Claim requests the worker should look at now: pending (checkstatus) or unknown (queryiccid)."""
    due = GatewayRequest.objects.filter(state__in=(RequestState.PENDING, RequestState.UNKNOWN))
    return claim_due(due, field="next_poll_at", limit=limit, lease=lease)


def request_mark_lost(*, older_than: float) -> int:
    """Requests journalled but never answered (the sender died mid-send) become unknown, to be
    checked with queryiccid once aql would have finished them, like any other unknown outcome."""
    cutoff = timezone.now() - timedelta(seconds=older_than)
    lost = GatewayRequest.objects.filter(state=RequestState.SENDING, created_at__lt=cutoff).values_list("pk", flat=True)
    reason = "no answer was recorded: the sender stopped mid-send"
    for pk in lost:
        _settle(pk, partial(_unknown, reason=reason), only_in=(RequestState.SENDING,))
    return len(lost)


def poll_delay(poll_count: int, *, at_least: float = 0) -> float:
    """Seconds until the next checkstatus: doubling from AQL_POLL_INTERVAL to a cap, with ±10% jitter
    so that requests sent together do not all come due together."""
    wait = min(settings.AQL_POLL_INTERVAL * 2 ** min(poll_count, 20), settings.AQL_POLL_MAX_INTERVAL)
    return max(wait, at_least) * random.uniform(0.9, 1.1)


def request_poll(*, request_id: int) -> GatewayRequest:
    """The worker's step for a claimed request: checkstatus when pending, queryiccid when unknown.

    Idempotent: a request that is already settled is returned untouched (django-q2 may
    deliver a task twice, and two passes may overlap).
    """
    request = GatewayRequest.objects.select_related("sim").get(pk=request_id)
    if request.state == RequestState.UNKNOWN:
        return _reconcile_unknown(request)
    if request.state != RequestState.PENDING:
        return request
    client = gateway.usim_client()
    status, wait, reply, lost = None, 0.0, "", False
    try:
        status = client.checkstatus(request_id=request.aql_id)
        reply = status.raw
    except GatewayRejected as exc:
        # 63022 "poll again later", 63027 "congested: wait 5 minutes", 500 and the rest: back off.
        reply = exc.body or str(exc)
        wait = max((c.retry_after or 0 for c in exc.codes), default=0)
        lost = INVALID_CHECKSTATUS_ID in exc.numbers
    except GatewayError as exc:  # no answer, or one we cannot read: back off, lose nothing
        reply = str(exc)
    if status is not None and status.iccid != request.sim.iccid:
        status, reply = None, f"aql's answer names another SIM ({status.iccid}): not applied. {reply}"

    def apply(r: GatewayRequest, sim: Sim) -> None:
        r.poll_count += 1
        r.reply = reply
        if lost:  # aql does not know the id: find out from the SIM itself
            _unknown(r, sim, reason="aql does not know this request id (63025)")
        elif status is not None and status.state != AqlRequestState.PENDING:
            _finished(r, sim, state=status.state, raw=reply)
        else:
            r.next_poll_at = timezone.now() + timedelta(seconds=poll_delay(r.poll_count, at_least=wait))
            _flag_if_stale(r, sim, also=reply if "another SIM" in reply else "")

    return _settle(request.pk, apply, only_in=(RequestState.PENDING,))


def _flag_if_stale(request: GatewayRequest, sim: Sim, also: str = "") -> None:
    """Flag a request for staff once it is older than AQL_STALE_AFTER (or at once, with `also`'s reason)."""
    if also and not request.needs_attention:
        request.needs_attention = True
        _event(sim=sim, actor=None, request=request, action="attention", before=sim.snapshot(), message=also)
        return
    hours = (timezone.now() - request.created_at).total_seconds() / 3600
    if not request.needs_attention and hours * 3600 > settings.AQL_STALE_AFTER:
        request.needs_attention = True
        _event(sim=sim, actor=None, request=request, action="attention", before=sim.snapshot(),
               message=f"{Command(request.command).label} has been in progress for {hours:.0f} hours: aql has "
                       "not finished it. It is still being checked; you may want to ask aql.")


def _took_effect(request: GatewayRequest, status: IccidStatus) -> bool | None:
    """Does aql's view of the SIM show that the request happened? None: aql cannot show it (yet)."""
    command, params = Command(request.command), request.params
    if status.state == IccidState.PENDING:
        return None  # an activation is under way at aql: wait for it to finish
    if command == Command.ACTIVATE:
        return status.state in (IccidState.ACTIVE, IccidState.SUSPENDED)
    if command in (Command.SUSPEND, Command.REACTIVATE, Command.DEACTIVATE):
        return status.state == lifecycle.TABLE[command].on_success
    if command in (Command.ASSIGNGEO, Command.CHANGEGEO):
        return status.geo_nos == params.get("new_geo_nos", params["geo_nos"])
    if command in (Command.ADDSERVICE, Command.REMOVESERVICE):
        visible = {"int_roaming": status.int_roaming, "int_calling": status.int_call}
        seen = [visible[name] for name in params["services"] if visible.get(name) is not None]
        if len(seen) < len(params["services"]):
            return None  # queryiccid shows only roaming and international calls
        return all(on == (command == Command.ADDSERVICE) for on in seen)
    return False  # queryiccid: a read; nothing to recover


def _reconcile_unknown(request: GatewayRequest) -> GatewayRequest:
    """Settle a request whose send got no clear answer by looking at the SIM in aql (queryiccid)."""
    try:
        status = gateway.usim_client().queryiccid(iccid=request.sim.iccid)
    except GatewayError as exc:
        reply = str(exc)
        return _settle(request.pk, lambda r, sim: _unknown_again(r, sim, reply))

    def apply(r: GatewayRequest, sim: Sim) -> None:
        if r.state != RequestState.UNKNOWN:
            return
        r.poll_count += 1
        effect = _took_effect(r, status)
        label = Command(r.command).label
        if effect is None:
            _unknown_again(r, sim, status.raw)
            if not r.needs_attention and Command(r.command) in (Command.ADDSERVICE, Command.REMOVESERVICE):
                r.needs_attention = True
                _event(sim=sim, actor=None, request=r, action="attention", before=sim.snapshot(),
                       message=f"{label}: aql's query cannot show whether it happened. Check with aql.")
        elif effect:
            _finished(r, sim, state=AqlRequestState.SUCCESS, raw=status.raw)
        else:
            before = sim.snapshot()
            r.state, r.reply, r.settled_at = RequestState.NOT_SENT, status.raw, timezone.now()
            _undo(r, sim)
            _event(sim=sim, actor=None, request=r, action="not_sent", before=before,
                   message=f"{label} did not happen: aql's record of the SIM shows no change. "
                           "Send it again if it is still wanted.")

    return _settle(request.pk, apply)


def request_resolve(*, request_id: int, happened: bool, actor: Actor) -> GatewayRequest:
    """Staff settle a request whose outcome aql cannot show (after checking with aql support):
    it happened (the lifecycle's success move) or it did not (undone, free to send again)."""
    def apply(r: GatewayRequest, sim: Sim) -> None:
        label = Command(r.command).label
        who = actor.get_username() if actor else "staff"
        if happened:
            _finished(r, sim, state=AqlRequestState.SUCCESS, raw=f"settled by {who}: it happened")
            return
        before = sim.snapshot()
        r.state, r.reply, r.settled_at = RequestState.NOT_SENT, f"settled by {who}: it did not happen", timezone.now()
        _undo(r, sim)
        _event(sim=sim, actor=actor, request=r, action="not_sent", before=before,
               message=f"{label} marked as not done by staff. Send it again if it is still wanted.")

    request = GatewayRequest.objects.get(pk=request_id)
    if request.state != RequestState.UNKNOWN:
        raise CommandNotAllowed("Only a request whose outcome is unknown can be settled by hand.")
    return _settle(request_id, apply, only_in=(RequestState.UNKNOWN,))


def subscriber_erase(*, sim_id: int, actor: Actor) -> Sim:
    """Erase the personal data kept for a terminated SIM's subscriber (name, address, postcode,
    contact number). The SIM, its journal and its audit trail stay: they hold none of it."""
    with transaction.atomic():
        sim = _locked_sim(sim_id)
        if sim.state != SimState.TERMINATED:
            raise CommandNotAllowed("Only a terminated SIM's subscriber can be erased: the SIM is still in use.")
        if sim.subscriber_id is None:
            raise CommandNotAllowed("This SIM has no subscriber details to erase.")
        before = sim.snapshot()
        Subscriber.objects.filter(pk=sim.subscriber_id).delete()  # the SIM's link is set to NULL
        sim.refresh_from_db()
        _event(sim=sim, actor=actor, action="erased", before=before,
               message="The subscriber's personal details were erased.")
    return sim


def _unknown_again(request: GatewayRequest, sim: Sim, reply: str) -> None:
    if request.state == RequestState.UNKNOWN:
        request.reply = reply
        request.next_poll_at = timezone.now() + timedelta(seconds=poll_delay(request.poll_count))
        _flag_if_stale(request, sim)


def sims_due_for_drift_check(*, limit: int) -> list[int]:
    """The SIMs we compared with aql longest ago (never first), leaving out terminated ones and
    those with a command in flight (aql is changing them: a difference would be expected).

    Two index walks on checked_at, "never" then "oldest", rather than one NULLS FIRST sort,
    which PostgreSQL's index cannot serve: a drift pass must not sort a million SIMs.
    """
    busy = GatewayRequest.objects.filter(state__in=IN_FLIGHT).exclude(command=Command.QUERYICCID).values("sim_id")
    candidates = Sim.objects.exclude(state=SimState.TERMINATED).exclude(pk__in=busy)
    never = list(candidates.filter(checked_at__isnull=True).order_by("pk").values_list("pk", flat=True)[:limit])
    if len(never) == limit:
        return never
    oldest = candidates.filter(checked_at__isnull=False).order_by("checked_at", "pk")
    return never + list(oldest.values_list("pk", flat=True)[:limit - len(never)])


def heartbeat(*, name: str) -> None:
    """Record that a worker pass of this kind just finished."""
    Heartbeat.objects.update_or_create(name=name, defaults={"at": timezone.now()})
