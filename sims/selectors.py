"""Reads shared by pages, admin and the CLI."""

from contextlib import suppress

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from sims.lifecycle import Command
from sims.models import IN_FLIGHT, GatewayRequest, Sim
from sims.validators import clean_geographic_number


def sim_search_q(term: str) -> Q:
    """Find SIMs by ICCID (whole or its last digits), geographic number, subscriber name or postcode.

    Digits search the reversed ICCID by prefix, which the index serves, so "ends with"
    never scans every SIM.
    """
    term = term.strip()
    digits = term.replace(" ", "")
    if digits.lstrip("+").isdigit():
        q = Q(iccid_reversed__startswith=digits[::-1])
        with suppress(ValidationError):  # a phone number too? then match it exactly
            q |= Q(number__number=clean_geographic_number(digits))
        return q
    return Q(subscriber__name__icontains=term) | Q(subscriber__postcode__iexact=term) | Q(
        subscriber__postcode__istartswith=term.upper())


def sim_detail(*, iccid: str) -> Sim:
    """A SIM with everything its page shows beside it."""
    return Sim.objects.select_related("number", "subscriber").get(iccid=iccid)


def sim_in_flight(*, sim: Sim) -> GatewayRequest | None:
    """The command aql is working on for this SIM, if any."""
    return sim.requests.filter(state__in=IN_FLIGHT).exclude(command=Command.QUERYICCID).first()


def sims(*, search: str = "") -> QuerySet[Sim]:
    qs = Sim.objects.select_related("number", "subscriber")
    return qs.filter(sim_search_q(search)) if search else qs
