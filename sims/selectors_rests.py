"""Whether a pool number may be given to a SIM now, in staff's words: the one check every way of
giving out a number asks (an activation from the page, the API or the CLI, a file of activations,
assigning or changing a number). A number freed from a subscriber's SIM rests (NUMBER_REST_DAYS):
refused to anyone new, never to the subscriber it rests for (their old number back)."""

from datetime import datetime

from django.utils import timezone
from django.utils.dateformat import format as date_format

from common.errors import Refused
from common.validators import phone_national
from sims.models import GeographicNumber

NOT_IN_POOL = "That number is not in our pool: add it under Numbers first."
IN_USE = "That number is already in use by another SIM."


def day(at: datetime) -> str:
    """A date as staff read it: 4 March 2027 (local time)."""
    return date_format(timezone.localtime(at), "j F Y")


def is_resting(geo: GeographicNumber, now: datetime | None = None) -> bool:
    """Resting now: its rest is not over (one over and not yet cleared by the worker is not)."""
    return geo.rests_until is not None and geo.rests_until > (now or timezone.now())


def rest_words(geo: GeographicNumber) -> str:
    """Why a resting number is not given to someone new, with until when, in staff's words."""
    since = geo.rests_since or geo.rests_until
    days = (geo.rests_until - since).days if since and geo.rests_until else 0
    return (f"{phone_national(geo.number)} is resting until {day(geo.rests_until)} (it was another subscriber's "
            f"until {day(since)}): numbers rest {days} days before going to someone new.")


def number_resting_detail(*, number: str) -> GeographicNumber | None:
    """A pool number, written in aql's form (a URL's), with the SIM of the subscriber it rests for."""
    return GeographicNumber.objects.select_related("rests_for__sim").filter(number=number).first()


def number_refusal(*, geo: GeographicNumber | None, for_subscriber_id: int | None = None,
                   in_use: bool | None = None) -> Refused | None:
    """Why this pool number (None: not in the pool) may not go to a SIM now, as the refusal to raise
    next to the number's field; None when it may. A rest does not refuse the subscriber it rests for
    (`for_subscriber_id`: the subscriber the number would go to, when they are already on record).
    `in_use`: whether it is on a SIM or held, when the caller has read it for many numbers at once."""
    if geo is None:
        return Refused(NOT_IN_POOL, "number")
    if in_use is None:
        in_use = GeographicNumber.objects.in_use().filter(pk=geo.pk).exists()
    if in_use:
        return Refused(IN_USE, "number")
    if is_resting(geo) and not (for_subscriber_id is not None and geo.rests_for_id == for_subscriber_id):
        return Refused(rest_words(geo), "number", code="number-resting")
    return None
