"""Numbers that rest before reuse. A number freed from a subscriber's SIM (terminated, or moved to
another number) is not given to anyone new for NUMBER_REST_DAYS, so its callers never reach a
stranger; the subscriber it rests for may have it back meanwhile (`selectors_rests.number_refusal`).

A rest starts in the transaction of the outcome that freed the number (`answers.apply_success`, a
difference found at aql), ends when the worker's ten-minute pass finds it over, or early when a
Supervisor ends it with a reason (recorded in the audit trail).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common import validators
from common.actors import Actor, recorded
from common.errors import Refused
from common.models import AuditAction, AuditEvent
from sims.models import GatewayRequest, GeographicNumber, Replacement, Sim
from sims.models_adoptions import AdoptionRow
from sims.selectors_rests import NOT_IN_POOL, day

REASON_AT_MOST = 500
NO_REST = {"rests_since": None, "rests_until": None, "rests_for": None}
LIVE_AT_AQL = (AdoptionRow.Said.ACTIVE, AdoptionRow.Said.SUSPENDED)


def _someones(sim: Sim) -> bool:
    """Whether the number the SIM had was someone's, called by people: the SIM had a subscriber, or was
    adopted in use at aql (its subscriber not known to us, but it had one)."""
    return sim.subscriber_id is not None or AdoptionRow.objects.filter(sim=sim, said__in=LIVE_AT_AQL).exists()


def _stood_in(number: GeographicNumber, request: GatewayRequest | None) -> bool:
    """Whether the number was a stand-in of the replacement whose step `request` is: on a SIM for a
    moment while the kept number moved, never a subscriber's to be called on (docs/REPLACEMENT.md)."""
    return request is not None and Replacement.objects.filter(steps__request=request).filter(
        Q(new_stand_in=number) | Q(old_stand_in=number)).exists()


def number_rest_start(*, number: GeographicNumber | None, sim: Sim, request: GatewayRequest | None = None) -> None:
    """`number` has just left `sim` (in the transaction that records it): it rests for the SIM's
    subscriber, if it was someone's (`_someones`), unless resting is off (NUMBER_REST_DAYS=0) or it
    only stood in for a replacement's step (`_stood_in`)."""
    days = settings.NUMBER_REST_DAYS
    if number is None or days <= 0 or not _someones(sim) or _stood_in(number, request):
        return
    now = timezone.now()
    GeographicNumber.objects.filter(pk=number.pk).update(  # update(): on_sim is the database triggers' to keep
        rests_since=now, rests_until=now + timedelta(days=days), rests_for=sim.subscriber_id)


def number_rest_end(*, number: str, actor: Actor, reason: str) -> GeographicNumber:
    """End a number's rest early (a Supervisor), saying why: it is free for anyone at once. The reason
    goes in the audit trail with who ended it and the rest it cut short."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise Refused("Say why the rest ends early: the audit trail keeps it.", "reason")
    if len(reason) > REASON_AT_MOST:
        raise Refused(f"At most {REASON_AT_MOST} characters ({len(reason)} given).", "reason")
    typed = validators.clean_all(number=(validators.clean_geographic_number, number))["number"]
    with transaction.atomic():
        geo = GeographicNumber.objects.select_for_update().filter(number=typed).first()
        if geo is None:
            raise Refused(NOT_IN_POOL, "number")
        shown = validators.phone_national(geo.number)
        if geo.rests_until is None:
            raise Refused(f"{shown} is not resting: there is no rest to end.", "number", code="number-not-resting")
        until = day(geo.rests_until)
        GeographicNumber.objects.filter(pk=geo.pk).update(**NO_REST)
        AuditEvent.objects.create(actor=recorded(actor), action=AuditAction.NUMBER_REST_ENDED,
                                  subject=f"number {shown}",
                                  message=f"The rest of {shown} (until {until}) was ended early: {reason}")
    geo.refresh_from_db()
    return geo


def number_rests_end_due() -> int:
    """Free the numbers whose rest is over (the worker's ten-minute pass; a few rows: the resting
    numbers' own index). Returns how many."""
    over = GeographicNumber.objects.filter(rests_until__isnull=False, rests_until__lte=timezone.now())
    return over.update(**NO_REST)
