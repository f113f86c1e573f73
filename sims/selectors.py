"""Reads shared by pages, admin and the CLI."""

from contextlib import suppress

from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from aql.usim import SERVICES
from sims.lifecycle import Command, SimState
from sims.models import FAILURES, IN_FLIGHT, GatewayRequest, GeographicNumber, RequestState, Sim, SimEvent
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


SIM_SORTS = {"updated": "-updated_at", "iccid": "iccid", "state": "state"}
PAGE_SIZE = 50


def paginate(qs: QuerySet, page: int) -> tuple[list, bool]:
    """One page of rows and whether another follows: one query, no COUNT(*) over the table."""
    start = (max(page, 1) - 1) * PAGE_SIZE
    rows = list(qs[start:start + PAGE_SIZE + 1])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def _in_flight_command() -> Subquery:
    return Subquery(GatewayRequest.objects.filter(sim=OuterRef("pk"), state__in=IN_FLIGHT)
                    .exclude(command=Command.QUERYICCID).values("command")[:1])


def sim_page(*, search: str = "", state: str = "", service: str = "", sort: str = "updated",
             page: int = 1) -> tuple[list[Sim], bool]:
    """One page of the SIM list and whether there is another. No COUNT(*): a million rows make it slow."""
    qs = sims(search=search).annotate(in_flight_command=_in_flight_command())
    if state:
        qs = qs.filter(state=state)
    if service in SERVICES:
        qs = qs.filter(**{service: True})
    qs = qs.order_by(SIM_SORTS.get(sort, "-updated_at"), "pk")
    return paginate(qs, page)


REQUEST_VIEWS = {
    "in_flight": Q(state__in=IN_FLIGHT),
    "failed": Q(state__in=FAILURES),
    "attention": Q(needs_attention=True),
    "unknown": Q(state=RequestState.UNKNOWN),
}


def request_page(*, show: str = "", page: int = 1) -> tuple[list[GatewayRequest], bool]:
    """One page of the journal, newest first, optionally only one kind."""
    qs = GatewayRequest.objects.select_related("sim", "actor").order_by("-created_at", "-pk")
    if show in REQUEST_VIEWS:
        qs = qs.filter(REQUEST_VIEWS[show])
    return paginate(qs, page)


def sim_timeline(*, sim: Sim, limit: int = 100) -> list[SimEvent]:
    """The SIM's audit trail, newest first, with who did it and which request it concerned."""
    return list(sim.events.select_related("actor", "request").order_by("-at", "-id")[:limit])


def number_page(*, show: str = "", search: str = "", page: int = 1) -> tuple[list[GeographicNumber], bool]:
    qs = GeographicNumber.objects.select_related("sim", "held_by").order_by("number")
    if show == "available":
        qs = qs.filter(sim__isnull=True, held_by__isnull=True)
    elif show == "assigned":
        qs = qs.filter(sim__isnull=False)
    if search:
        with suppress(ValidationError):
            search = clean_geographic_number(search)
        qs = qs.filter(number__startswith=search)
    return paginate(qs, page)


def state_counts() -> dict[str, int]:
    """SIMs per state. A GROUP BY over every SIM: callers cache it (the dashboard does, for a minute)."""
    found = dict(Sim.objects.order_by().values_list("state").annotate(n=Count("pk")))
    return {state: found.get(state, 0) for state in SimState}
