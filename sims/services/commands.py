"""Staff commands: what an agent asks of a SIM, and what goes into the pool.

A command goes: check the input, then in one transaction re-read the SIM under lock, ask the
lifecycle whether the command may run, journal the request and commit; then send it to aql
outside any lock (the network is slow) and record the answer in a second transaction. A
crash or timeout between the two leaves a journalled request to reconcile, never a gap, and
nothing is ever resent blindly.
"""

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from aql.usim import SERVICES
from common import validators
from common.actors import Actor, recorded
from common.audit import ERASED, forget_admin_history, name_of
from common.errors import Refused
from common.models import AuditAction, AuditEvent
from sims import lifecycle, reasons, selectors, selectors_rests
from sims.lifecycle import Command, SimAction, SimState
from sims.models import GatewayRequest, GeographicNumber, Sim, Subscriber
from sims.services import erasure, outbox
from sims.services.answers import event, locked_sim
from sims.services.requesters import replacement_refusal
from sims.services.sending import send_and_record

# --- numbers and SIMs ------------------------------------------------------------------------

MOST_AT_ONCE = 10_000  # numbers or SIMs one paste or command may add


def _add_new(model: type[models.Model], field: str, raw: Iterable[str], clean: Callable[[str], str],
             why: str, make: Callable[[str], models.Model]) -> list:
    """Add rows for the values not yet on record. All or nothing: one bad value refuses them all,
    named in `why`'s words; repeats and values already here are skipped."""
    raw = list(raw)
    if len(raw) > MOST_AT_ONCE:
        raise ValidationError({f"{field}s": [f"At most {MOST_AT_ONCE:,} at a time ({len(raw):,} given): split the "
                                             "list and add each part."]})
    cleaned, bad = [], {}
    for value in raw:
        try:
            cleaned.append(clean(value))
        except ValidationError as exc:  # grouped by what is wrong, each reason said once
            bad.setdefault(exc.messages[0], []).append(value)
    if bad:
        raise ValidationError({f"{field}s": [f"{why}: {', '.join(values)}. {reason}" for reason, values in
                                             bad.items()]})
    cleaned = list(dict.fromkeys(cleaned))
    with transaction.atomic():
        known: set[str] = set()
        for start in range(0, len(cleaned), 500):  # SQLite limits a query's parameters
            chunk = cleaned[start:start + 500]
            known.update(model.objects.filter(**{f"{field}__in": chunk}).values_list(field, flat=True))
        new = [make(value) for value in cleaned if value not in known]
        # ignore_conflicts: another admin adding the same value meanwhile is not an error
        return model.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)


def number_add(*, numbers: Iterable[str], actor: Actor = None) -> list[GeographicNumber]:
    """Add numbers aql has allocated to our account to the pool. All or nothing; repeats are skipped."""
    with transaction.atomic():
        added = _add_new(GeographicNumber, "number", numbers, validators.clean_geographic_number,
                         "Not a UK landline number", lambda n: GeographicNumber(number=n))
        AuditEvent.objects.create(actor=recorded(actor), action=AuditAction.NUMBERS_ADDED, subject="number pool",
                                  message=f"{len(added)} numbers added to the pool.")
    return added


def sim_add(*, iccids: Iterable[str], actor: Actor = None) -> list[Sim]:
    """Record SIMs on our account (state unused). All or nothing; ICCIDs we already have are skipped."""
    with transaction.atomic():
        added = _add_new(Sim, "iccid", iccids, validators.clean_iccid, "Not an ICCID (19 or 20 digits)",
                         lambda i: Sim(iccid=i, iccid_reversed=i[::-1]))
        AuditEvent.objects.create(actor=recorded(actor), action=AuditAction.SIMS_ADDED, subject="SIMs",
                                  message=f"{len(added)} SIMs added: " + ", ".join(s.iccid for s in added[:20])
                                          + (" and more." if len(added) > 20 else "."))
    return added


# --- the journal ---------------------------------------------------------------------------

def _refuse_unless_allowed(sim: Sim, command: Command) -> None:
    """Refuse, in the staff's words, what the lifecycle forbids now."""
    in_flight = selectors.sim_in_flight(sim=sim)
    why = lifecycle.refusal(command=command, state=sim.state, has_number=sim.number_id is not None,
                            in_flight=in_flight.command if in_flight else None)
    if why:  # the code for machines, from the same facts: the lifecycle refuses a busy SIM first
        busy = in_flight is not None and command != Command.QUERYICCID
        raise Refused(why, code="sim-busy" if busy else "sim-state")


def _journal(*, sim: Sim, command: Command, actor: Actor, params: dict[str, Any], reason: str | None = None,
             reason_words: str | None = None) -> GatewayRequest:
    """Refuse what the lifecycle forbids; otherwise write the request, not yet sent."""
    _refuse_unless_allowed(sim, command)
    if why := replacement_refusal(sim_id=sim.pk, command=command):
        raise Refused(why, code="sim-replacing")
    if sim.not_before and sim.not_before > timezone.now() and command != Command.QUERYICCID:
        wait = timezone.localtime(sim.not_before)
        raise Refused(f"aql said the network was congested and asked us to wait: send nothing for this SIM "
                      f"before {wait:%H:%M}.", code="aql-63027")  # only 63027 sets not_before
    try:
        with transaction.atomic():  # the unique index is the last guard against a race
            return GatewayRequest.objects.create(sim=sim, command=command, params=params, actor=recorded(actor),
                                                 actor_name=name_of(actor), state_before=sim.state, reason=reason,
                                                 reason_words=reason_words)
    except IntegrityError:
        raise Refused("Another command was just sent for this SIM: wait for it to finish.",
                      code="sim-busy") from None


def _hold_number(number: str, request: GatewayRequest, for_subscriber_id: int | None = None) -> GeographicNumber:
    """Reserve a pool number for the request, so no other SIM can be given it meanwhile. A resting
    number is refused unless it rests for `for_subscriber_id` (their own number back)."""
    geo = GeographicNumber.objects.select_for_update().filter(number=number).first()
    if why := selectors_rests.number_refusal(geo=geo, for_subscriber_id=for_subscriber_id):
        raise why
    geo.held_by = request
    geo.save(update_fields=["held_by"])
    return geo


# --- the commands ----------------------------------------------------------------------------

def sim_activate(*, sim_id: int, actor: Actor, imei: str, number: str, name: str, address: str,
                 postcode: str, contact_number: str, returning_subscriber_id: int | None = None) -> GatewayRequest:
    """Activate an unused SIM for a subscriber with a pool number. aql answers later (two-step).
    `returning_subscriber_id`: the subscriber on record (a terminated SIM's) this activation is for
    again: a number resting for them is theirs to have back (its rest refuses anyone else)."""
    v = validators
    f = v.clean_all(imei=(v.clean_imei, imei), number=(v.clean_geographic_number, number),
                    name=(v.clean_name, name), address=(v.clean_address, address),
                    postcode=(v.clean_postcode, postcode), contact_number=(v.clean_contact_number, contact_number))
    with transaction.atomic():
        sim = locked_sim(sim_id)
        before = sim.snapshot()
        # The subscriber's details stay in Subscriber (erasable), not in the journal.
        request = _journal(sim=sim, command=Command.ACTIVATE, actor=actor,
                           params={"imei": f["imei"], "geo_nos": f["number"]})
        _hold_number(f["number"], request, returning_subscriber_id)
        sim.subscriber = Subscriber.objects.create(name=f["name"], address=f["address"], postcode=f["postcode"],
                                                   contact_number=f["contact_number"])
        sim.imei, sim.state = f["imei"], lifecycle.TABLE[Command.ACTIVATE].in_flight
        sim.save()
        outbox.sim_state_changed(sim=sim, was=before["state"], request=request, cause="command")
        event(sim=sim, actor=actor, request=request, action=SimAction.SENDING, before=before,
              # no personal data in the audit trail: it must survive the subscriber's erasure
              message=f"Activation sent with number {validators.phone_national(f['number'])}.")
    return send_and_record(request)


def _simple(command: Command, sim_id: int, actor: Actor, params: dict[str, Any] | None = None,
            reason: str | None = None, reason_words: str | None = None) -> GatewayRequest:
    """A command that names the SIM and its number, and changes nothing until aql succeeds. A suspend
    or a termination carries its reason (checked first: a bad one sends nothing)."""
    reason, reason_words = reasons.clean_reason(reason, reason_words, command=command)
    with transaction.atomic():
        sim = locked_sim(sim_id)
        number = sim.number.number if sim.number else None
        request = _journal(sim=sim, command=command, actor=actor, params={"geo_nos": number, **(params or {})},
                           reason=reason, reason_words=reason_words)
        event(sim=sim, actor=actor, request=request, action=SimAction.SENDING, before=sim.snapshot(),
              message=f"{command.label} sent.{reasons.why(reason)}")
    return send_and_record(request)


def sim_command(*, sim_id: int, actor: Actor, command: Command, reason: str | None = None,
                reason_words: str | None = None) -> GatewayRequest:
    """Give a SIM a command that needs nothing but the SIM (suspend, reactivate, terminate, the query):
    the command line sends each such row of the registry through this, a suspend or a termination
    with its reason."""
    if command == Command.QUERYICCID:
        return sim_query(sim_id=sim_id, actor=actor)
    return _simple(command, sim_id, actor, reason=reason, reason_words=reason_words)


def sim_suspend(*, sim_id: int, actor: Actor, reason: str | None = None,
                reason_words: str | None = None) -> GatewayRequest:
    """Suspend an active SIM (two-step), saying why (`sims.reasons`). The staff interfaces require a
    reason; without one (the system's own calls) the journal records none said, never a guessed one."""
    return _simple(Command.SUSPEND, sim_id, actor, reason=reason, reason_words=reason_words)


def sim_reactivate(*, sim_id: int, actor: Actor) -> GatewayRequest:
    """Reactivate a suspended SIM (two-step)."""
    return _simple(Command.REACTIVATE, sim_id, actor)


def sim_deactivate(*, sim_id: int, actor: Actor, reason: str | None = None,
                   reason_words: str | None = None) -> GatewayRequest:
    """Terminate a SIM for good (two-step), saying why, as a suspend does; on success its number returns
    to the pool."""
    return _simple(Command.DEACTIVATE, sim_id, actor, reason=reason, reason_words=reason_words)


def _services_command(command: Command, sim_id: int, actor: Actor, services: list[str],
                      then_remove: list[str] | None = None) -> GatewayRequest:
    names = validators.clean_all(services=(validators.clean_services, services))["services"]
    params = {"services": names, **({"then_remove": then_remove} if then_remove else {})}
    return _simple(command, sim_id, actor, params)


def sim_services_add(*, sim_id: int, actor: Actor, services: list[str]) -> GatewayRequest:
    """Switch services on for an active SIM (two-step)."""
    return _services_command(Command.ADDSERVICE, sim_id, actor, services)


def sim_services_remove(*, sim_id: int, actor: Actor, services: list[str]) -> GatewayRequest:
    """Switch services off for an active SIM (two-step)."""
    return _services_command(Command.REMOVESERVICE, sim_id, actor, services)


def sim_services_set(*, sim_id: int, actor: Actor, services: list[str], keep: Iterable[str] = ()) -> GatewayRequest:
    """Give an active SIM exactly these services (the end state staff ticked), but for those in `keep`,
    left as they are: what to add and what to remove is worked out here. A service not known (None)
    is added when wanted and removed when not (aql's add and remove are "make it so"), unless kept.
    aql changes services one way per command, so when both are needed the additions go first and the
    removals are sent once aql has done them. Refused, with nothing sent, when nothing would change."""
    wanted = set(services)
    if unknown := (wanted | set(keep)) - set(SERVICES):
        raise ValidationError({"services": f"Unknown service: {', '.join(sorted(unknown))}."})
    sim = Sim.objects.get(pk=sim_id)
    _refuse_unless_allowed(sim, Command.ADDSERVICE)  # (checked again under lock when sent)
    now = {name: on for name, on in sim.services.items() if name not in set(keep) - wanted}
    add = [n for n, on in now.items() if n in wanted and on is not True]
    remove = [n for n, on in now.items() if n not in wanted and on is not False]
    if not add and not remove:
        raise Refused("Nothing to change: the SIM has just these services now. Tick or untick one first.",
                      "services")
    if not add:
        return sim_services_remove(sim_id=sim_id, actor=actor, services=remove)
    return _services_command(Command.ADDSERVICE, sim_id, actor, add, then_remove=remove)


def _number_command(command: Command, sim_id: int, actor: Actor, number: str) -> GatewayRequest:
    new = validators.clean_all(number=(validators.clean_geographic_number, number))["number"]
    with transaction.atomic():
        sim = locked_sim(sim_id)
        old = sim.number.number if sim.number else None
        if new == old:
            raise Refused("This SIM already has that number.", "number")
        request = _journal(sim=sim, command=command, actor=actor,
                           params={"geo_nos": old, "new_geo_nos": new} if old else {"geo_nos": new})
        _hold_number(new, request, sim.subscriber_id)  # the SIM's subscriber may have their resting number back
        event(sim=sim, actor=actor, request=request, action=SimAction.SENDING, before=sim.snapshot(),
              message=f"{command.label} to {validators.phone_national(new)} sent.")
    return send_and_record(request)


def sim_number_assign(*, sim_id: int, actor: Actor, number: str) -> GatewayRequest:
    """Give an active SIM without a number one from the pool (one-step: settles at once)."""
    return _number_command(Command.ASSIGNGEO, sim_id, actor, number)


def sim_number_change(*, sim_id: int, actor: Actor, number: str) -> GatewayRequest:
    """Replace an active SIM's number with another from the pool (one-step); the old one is freed."""
    return _number_command(Command.CHANGEGEO, sim_id, actor, number)


def sim_query(*, sim_id: int, actor: Actor) -> GatewayRequest:
    """Ask aql for the SIM's live state (queryiccid) and bring our record in line with it."""
    with transaction.atomic():
        sim = locked_sim(sim_id)
        request = _journal(sim=sim, command=Command.QUERYICCID, actor=actor, params={})
    return send_and_record(request)


def subscribers_erase_expired(*, days: int) -> int:
    """Erase the personal details of every subscriber whose SIM was terminated more than `days`
    ago (the retention setting), as the system account would by hand. Returns how many."""
    cutoff = timezone.now() - timedelta(days=days)
    due = Sim.objects.filter(state=SimState.TERMINATED, terminated_at__lt=cutoff, subscriber__isnull=False)
    erased = 0
    for sim_id in due.values_list("pk", flat=True).iterator():
        try:
            subscriber_erase(sim_id=sim_id, actor=None)
            erased += 1
        except Refused:  # changed meanwhile
            continue
    return erased


def subscriber_update(*, subscriber_id: int, actor: Actor, name: str, address: str, postcode: str,
                      contact_number: str) -> Subscriber:
    """Correct a subscriber's details (Django admin): checked as an activation checks them, and
    recorded on the SIM's trail, without the details themselves."""
    v = validators
    f = v.clean_all(name=(v.clean_name, name), address=(v.clean_address, address),
                    postcode=(v.clean_postcode, postcode), contact_number=(v.clean_contact_number, contact_number))
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber_id)
        for field, value in f.items():
            setattr(subscriber, field, value)
        subscriber.save()
        sim = Sim.objects.filter(subscriber=subscriber).first()
        if sim is not None:
            event(sim=sim, actor=actor, action=SimAction.CHANGED, before=sim.snapshot(),
                  message="The subscriber's details were corrected.")
    return subscriber


def subscriber_fill(*, sim_id: int, actor: Actor, name: str, address: str, postcode: str,
                    contact_number: str) -> Sim:
    """Record the subscriber of a SIM in use whose subscriber is not known (adopted from aql, whose
    record has none): checked as an activation checks them, and recorded on the SIM's trail without
    the details themselves. Refused when the SIM has one (correct it in admin) or is not in use."""
    v = validators
    f = v.clean_all(name=(v.clean_name, name), address=(v.clean_address, address),
                    postcode=(v.clean_postcode, postcode), contact_number=(v.clean_contact_number, contact_number))
    with transaction.atomic():
        sim = locked_sim(sim_id)
        if why := selectors.subscriber_fill_refusal(sim):
            raise Refused(why)
        before = sim.snapshot()
        sim.subscriber = Subscriber.objects.create(**f)
        sim.save(update_fields=["subscriber", "updated_at"])
        event(sim=sim, actor=actor, action=SimAction.CHANGED, before=before,
              message="The subscriber's details were filled in: not known before (adopted from aql).")
    return sim


def subscriber_erase(*, sim_id: int, actor: Actor) -> Sim:
    """Erase the personal data kept for a terminated SIM's subscriber: the subscriber (name,
    address, postcode, contact number), the recipient of the order that posted the SIM, and
    Django admin's history of both, any kept file of activations with a row for it (erasure.py), and the
    words staff gave with a reason to stop its line, from its batches and schedules too (erasure.py).
    The SIM, its journal and its audit trail stay: they hold none."""
    uploads = erasure.uploads_holding(iccid=Sim.objects.values_list("iccid", flat=True).get(pk=sim_id))
    with transaction.atomic():
        sim = locked_sim(sim_id)
        if sim.state != SimState.TERMINATED:
            raise Refused("Only a terminated SIM's subscriber can be erased: the SIM is still in use.")
        # The order that posted it, and any it placed again, by the reverse link: sims never imports orders.
        orders, order = [], getattr(sim, "order", None)
        while order is not None:
            orders.append(order)
            order = order.replaces
        if sim.subscriber_id is None and all(o.name == ERASED for o in orders):
            raise Refused("This SIM has no personal details left to erase.")
        before = sim.snapshot()
        if sim.subscriber_id is not None:
            forget_admin_history(Subscriber, [sim.subscriber_id])
            Subscriber.objects.filter(pk=sim.subscriber_id).delete()  # the SIM's link is set to NULL
        if orders:
            type(orders[0]).objects.filter(pk__in=[o.pk for o in orders]).erase_recipients()
        erasure.uploads_forget(sim=sim, upload_ids=uploads)
        # The words staff gave with a reason to stop its line may name the subscriber: they go too, from
        # wherever they were given or copied (its batches, the schedules made with its own).
        erasure.reason_words_forget(sim=sim)
        sim.refresh_from_db()
        event(sim=sim, actor=actor, action=SimAction.ERASED, before=before,
              message="The subscriber's personal details were erased" + (", and the order's recipient." if orders
                                                                         else "."))
    return sim

