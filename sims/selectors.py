"""Reads shared by pages, admin and the CLI."""

import math
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.text import capfirst

from aql.usim import SERVICES
from common.paging import Page, seek
from common.roles import SYSTEM_USERNAME
from common.validators import uk_number_prefix
from ops.selftest import Held
from sims.lifecycle import FAILURES, IN_FLIGHT, Command, RequestState, SimAction, SimState, refusal
from sims.models import (
    STAFF,
    SYSTEM,
    Batch,
    GatewayRequest,
    GeographicNumber,
    ScheduledAction,
    Sim,
    SimEvent,
    SimStateCount,
)
from sims.search import digit_prefix_q, sim_search_q


def sim_detail(*, iccid: str) -> Sim:
    """A SIM with everything its page shows beside it (its despatch order too: a query less)."""
    return Sim.objects.select_related("number", "subscriber", "order").get(iccid=iccid)


def sim_in_flight(*, sim: Sim) -> GatewayRequest | None:
    """The command aql is working on for this SIM, if any."""
    return sim.requests.filter(state__in=IN_FLIGHT).exclude(command=Command.QUERYICCID).first()


def sim_schedulable(*, sim: Sim) -> bool:
    """May a suspend or reactivate be scheduled for this SIM: could one run in its state now (what is in
    flight aside: it will end)? The SIM page offers "later" only then."""
    return any(refusal(command=c, state=sim.state, has_number=sim.number_id is not None, in_flight=None) is None
               for c in ScheduledAction.COMMANDS)


def sim_last_command(*, sim: Sim) -> GatewayRequest | None:
    """The command last sent for this SIM, a query aside: once nothing is in flight, the one its page was following."""
    return sim.requests.exclude(command=Command.QUERYICCID).order_by("-created_at", "-pk").first()


def commands_in_flight(*, sims: Iterable[Sim | int]) -> dict[int, str]:
    """For each of these SIMs (or their ids) that has one, the command aql is working on, by SIM id:
    one query for a chunk of a batch or a file (sim_in_flight's question, many at once)."""
    return dict(GatewayRequest.objects.filter(sim__in=list(sims), state__in=IN_FLIGHT)
                .exclude(command=Command.QUERYICCID).values_list("sim_id", "command"))


def sims(*, search: str = "", by_person: bool = True) -> QuerySet[Sim]:
    qs = Sim.objects.select_related("number", "subscriber")
    return qs.filter(sim_search_q(search, by_person=by_person)) if search else qs


# sort -> the keys, the last unique: each pair is an index, so any page is a seek on it
SIM_SORTS = {"updated": ("-updated_at", "-pk"), "iccid": ("iccid",), "state": ("state", "pk")}


def sim_sort(sort: str, service: str = "") -> str:
    """The sort a list is drawn in. Filtered by a service, it is by last change whatever was asked:
    each service within a state has an index in that order only (and the rare ones on their own),
    and in any other a rare pair, say unused SIMs with outgoing SMS, would walk a hundred thousand
    SIMs to find none."""
    return "updated" if service or sort not in SIM_SORTS else sort


def _label_in_flight(page: Page) -> Page:
    for sim in page.rows:
        sim.in_flight_label = Command(sim.in_flight_command).label if sim.in_flight_command else ""
    return page


def _in_flight_command() -> Subquery:
    return Subquery(GatewayRequest.objects.filter(sim=OuterRef("pk"), state__in=IN_FLIGHT)
                    .exclude(command=Command.QUERYICCID).values("command")[:1])


def sims_filtered(*, search: str = "", by_person: bool = True, state: str = "", service: str = "") -> QuerySet[Sim]:
    """The SIMs the list's search and filters show (its pages, or a batch of them all)."""
    qs = sims(search=search, by_person=by_person)
    if state and search:
        # The search's own index finds the few; the state then sorts them out. Written so no index
        # serves it: SQLite would otherwise walk every SIM in the state in date order to find them.
        qs = qs.alias(state_as_text=Concat("state", Value(""))).filter(state_as_text=state)
    elif state:
        qs = qs.filter(state=state)
    if service in SERVICES:
        qs = qs.filter(**{service: True})
    return qs


# What the SIM list's rows show (sims/templatetags/rows.py), and its sorts' keys: reading and making
# whole SIMs, numbers and subscribers was a third of the page.
LIST_COLUMNS = ("iccid", "state", "updated_at", "number__number", "subscriber__name", "subscriber__postcode")


def sim_page(*, search: str = "", by_person: bool = True, state: str = "", service: str = "", sort: str = "updated",
             cursor: str = "", columns: tuple[str, ...] = ()) -> Page:
    """One page of the SIM list (the one `cursor` names; the first without), in `sim_sort`'s order,
    whole SIMs or only `columns` of them. No COUNT(*), no OFFSET."""
    qs = sims_filtered(search=search, by_person=by_person, state=state, service=service)
    qs = qs.annotate(in_flight_command=_in_flight_command())
    if columns:
        qs = qs.only(*columns)
    return _label_in_flight(seek(qs, SIM_SORTS[sim_sort(sort, service)], cursor))


NUMBER_VIEWS = ("available", "assigned", "resting")
REQUEST_VIEWS = {
    "in_flight": Q(phase="in_flight"),  # the phase, not the states: its partial indexes serve SQLite too
    "failed": Q(phase="failed"),
    "attention": Q(needs_attention=True),
    "unknown": Q(state=RequestState.UNKNOWN),
}


WHO = {"staff": STAFF, "system": SYSTEM, "all": Q()}
# What the journal's rows show (sims/templatetags/rows.py), not the whole request and SIM.
JOURNAL_COLUMNS = ("created_at", "state", "reason", "command", "needs_attention", "codes", "aql_id", "why_not_sent",
                   "actor_name", "sim__iccid")


def request_page(*, cursor: str = "", **filters: Any) -> Page:
    """One page of the journal, newest first: by default what staff asked (the system's own checks
    are one click away), narrowed by kind, person, command, outcome and day."""
    return seek(requests_filtered(**filters).only(*JOURNAL_COLUMNS), ("-created_at", "-pk"), cursor)


def requests_filtered(*, show: str = "", who: str = "staff", person: str = "", command: str = "", state: str = "",
                      since: date | None = None, reason: str = "") -> QuerySet[GatewayRequest]:
    """The journal as its page's filters narrow it (its pages, or its CSV)."""
    qs = GatewayRequest.objects.select_related("sim").filter(WHO.get(who, Q()))
    if show in REQUEST_VIEWS:
        qs = qs.filter(REQUEST_VIEWS[show])
    if person:  # one of the staff goes through the staff's person index; "system" is who=system's
        qs = qs.filter(SYSTEM if person == SYSTEM_USERNAME else STAFF & Q(actor_name=person))
    if command:
        qs = qs.filter(command=command)
    if state:
        qs = qs.filter(state=state)
    if reason:  # why a line was stopped: the index of the rows with a reason
        qs = qs.filter(reason=reason)
    if since:
        qs = qs.filter(created_at__gte=datetime.combine(since, time.min, tzinfo=timezone.get_current_timezone()))
    return qs


def sim_timeline(*, sim: Sim, limit: int = 100) -> list[SimEvent]:
    """The SIM's audit trail, newest first: what its page shows of each line (who by name, and the
    words given with the request's reason), not the whole person and request."""
    return list(sim.events.select_related("request").only("sim", "at", "actor_name", "action", "message",
                                                         "request__reason_words").order_by("-at", "-id")[:limit])


def number_page(*, show: str = "", search: str = "", cursor: str = "") -> Page:
    qs = GeographicNumber.objects.select_related("sim", "held_by")
    if show == "available":
        qs = qs.available()
    elif show == "assigned":
        qs = qs.filter(sim__isnull=False)
    elif show == "resting":  # freed from a subscriber's SIM, not yet anyone else's: their own small index
        qs = qs.resting()
    if search:
        qs = qs.filter(number_starts_q(search))
    return seek(qs, ("number",), cursor)


def number_starts_q(typed: str) -> Q:
    """Numbers that start as typed, however typed: numbers are kept in aql's form, so "0113 49" or
    "+44 (0)113 49" is asked as the index range of "4411349"; what cannot start a UK number finds none."""
    prefix = uk_number_prefix(typed)
    return digit_prefix_q("number", prefix) if prefix else Q(pk__in=[])


def state_counts() -> dict[str, int]:
    """SIMs per state, as the database keeps them (SimStateCount): a few rows, whatever the SIMs."""
    found = dict(SimStateCount.objects.values_list("state", "count"))
    return {state: found.get(state, 0) for state in SimState}


def sims_held() -> Held:
    """How many SIMs we hold (the kept counts: a few rows) and the first recorded, for the selftest to
    ask aql about and the go-live checklist to count (ops reads them through `ops.selftest.held`)."""
    first = Sim.objects.order_by("pk").values_list("iccid", flat=True).first()
    return Held(sum(state_counts().values()), first)


def free_numbers(*, typed: str = "", limit: int = 8) -> list[str]:
    """The first few numbers free to give out that start as typed (any UK way of writing one), in
    number order: a range on the free numbers' own small index, however big the pool."""
    free = GeographicNumber.objects.available()
    free = free.filter(number_starts_q(typed)) if typed else free
    return list(free.order_by("number").values_list("number", flat=True)[:limit])


def requests_overview(*, rows: int = 8) -> dict:
    """What the dashboard shows of the journal: how many in flight, the oldest of them, those that
    need a person, and the failures of the last day."""
    in_flight = GatewayRequest.objects.filter(phase="in_flight")
    oldest, since = ("created_at", "pk"), timezone.now() - timedelta(days=1)
    # What the lines show, not the whole request and SIM: reading and making two dozen whole rows
    # was a third of the dashboard's time. Each list is one query: the phase's index gives the rows in
    # order (tests/site/test_plans.py), so there is no sort for ids first to spare.
    shown = ("command", "state", "created_at", "codes", "sim__iccid")
    lines = in_flight.select_related("sim").only(*shown).order_by(*oldest)
    return {
        "in_flight_count": in_flight.count(),
        "oldest_in_flight": list(lines[:rows]),
        "attention": list(lines.filter(needs_attention=True)[:rows]),
        "recent_failures": list(GatewayRequest.objects.filter(state__in=FAILURES, settled_at__gte=since)
                                .select_related("sim").only(*shown).order_by("-settled_at")[:rows]),
    }


def _live(counts: dict[str, int]) -> int:
    return sum(n for state, n in counts.items() if state != SimState.TERMINATED)


def drift_per_hour(*, counts: dict[str, int]) -> int:
    """How many SIMs the drift sweep compares with aql an hour: AQL_DRIFT_PER_HOUR if set, else
    enough to compare every live SIM within AQL_DRIFT_FULL_PASS_HOURS. 0: switched off."""
    if settings.AQL_DRIFT_PER_HOUR is not None:
        return max(settings.AQL_DRIFT_PER_HOUR, 0)
    hours = settings.AQL_DRIFT_FULL_PASS_HOURS
    return math.ceil(_live(counts) / hours) if hours > 0 else 0


def drift_full_pass(*, counts: dict[str, int]) -> timedelta | None:
    """How long the drift sweep takes to compare every live SIM with aql, from SIMs counted by
    state (None when the sweep is switched off)."""
    per_hour = drift_per_hour(counts=counts)
    return timedelta(hours=_live(counts) / per_hour) if per_hour > 0 else None


SERVICE_LABELS = {name: capfirst(Sim._meta.get_field(name).verbose_name) for name in SERVICES}
NOT_KNOWN = "not known"  # a service aql's record cannot show, found on a SIM live at aql (adopted from it)
SERVICE_WORDS = {True: "on", False: "off", None: f"{NOT_KNOWN} (adopted from aql)"}  # one service, in words


def subscriber_not_known(sim: Sim) -> bool:
    """In use at aql with no subscriber on record: adopted from aql, whose record has no subscriber
    either, until staff fill it in (a SIM we activate always has one; an unused one has none yet)."""
    return sim.state in (SimState.ACTIVE, SimState.SUSPENDED) and sim.subscriber_id is None


def subscriber_fill_refusal(sim: Sim) -> str | None:
    """Why the SIM's subscriber cannot be filled in, in staff's words; None when it can."""
    if subscriber_not_known(sim):
        return None
    if sim.subscriber_id:
        return "This SIM's subscriber is on record already: an administrator can correct the details."
    return "Only a SIM in use has a subscriber to fill in."


def services_said(services: dict[str, bool | None]) -> str:
    """A SIM's services in words: those on, then those not known (adopted from aql). Worked out once for
    each set (3^6 at most): admin's SIM list says it on every row."""
    return _said(tuple(services.items()))


@cache
def _said(services: tuple[tuple[str, bool | None], ...]) -> str:
    on = ", ".join(SERVICE_LABELS[name] for name, value in services if value)
    unknown = ", ".join(SERVICE_LABELS[name] for name, value in services if value is None)
    if not unknown:
        return on or "none"
    return f"{on or 'none known'}; {NOT_KNOWN} (adopted from aql): {unknown}"


def service_states(*, sim: Sim, in_flight: GatewayRequest | None) -> list[tuple[str, str, str]]:
    """Each service by name with where it stands: on, off, not known (NOT_KNOWN: voice and SMS of a
    SIM found live at aql), or changing while aql works on it (turning on, turning off, or turning off
    next when a change needs both commands)."""
    changing: dict[str, str] = {}
    if in_flight and in_flight.command in (Command.ADDSERVICE, Command.REMOVESERVICE):
        turning = "turning on" if in_flight.command == Command.ADDSERVICE else "turning off"
        if in_flight.state == RequestState.TO_SEND:  # journalled, the worker sends it in a moment
            turning += " next"
        if in_flight.state == RequestState.UNKNOWN:  # aql may never have had it: not "turning" anything
            turning = "changing, outcome not known yet"
        changing = {**dict.fromkeys(in_flight.params.get("then_remove", []), "turning off next"),
                    **dict.fromkeys(in_flight.params.get("services", []), turning)}
    return [(name, label, changing.get(name, {True: "on", False: "off", None: NOT_KNOWN}[getattr(sim, name)]))
            for name, label in SERVICE_LABELS.items()]


def batch_progress(batch: Batch) -> dict[str, int]:
    """Where a batch's SIMs stand: waiting to be sent, in progress at aql, succeeded, failed (failed,
    refused or not done), outcome unknown; and how many need a person."""
    return batches_progress([batch.pk])[batch.pk]


def batch_finished(batch: Batch, progress: dict[str, int]) -> bool:
    """Whether a batch has finished: all its file queued, none of its SIMs waiting, at aql or unknown."""
    return not (batch.params.get("queueing") or progress["waiting"] or progress["in_progress"]
                or progress["unknown"])


def batches_progress(batch_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """`batch_progress` of many batches in one query (a page of them)."""
    ids = list(batch_ids)
    rows = (GatewayRequest.objects.filter(batch_id__in=ids).order_by().values("batch_id", "state")
            .annotate(n=Count("pk"), attention=Count("pk", filter=Q(needs_attention=True))))
    counts: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    attention = dict.fromkeys(ids, 0)
    for row in rows:
        counts[row["batch_id"]][row["state"]] = row["n"]
        attention[row["batch_id"]] += row["attention"]
    return {pk: _stages(c) | {"attention": attention[pk]} for pk, c in counts.items()}


def _stages(counts: dict[str, int]) -> dict[str, int]:
    return {"waiting": counts.get(RequestState.TO_SEND, 0),
            "in_progress": counts.get(RequestState.SENDING, 0) + counts.get(RequestState.PENDING, 0),
            "succeeded": counts.get(RequestState.SUCCESS, 0),
            "failed": sum(counts.get(state, 0) for state in FAILURES),
            "unknown": counts.get(RequestState.UNKNOWN, 0)}


def batches_open_progress() -> dict[int, dict[str, int]]:
    """Each batch with a request still in flight, by id, with where its SIMs stand (as
    batch_progress, without attention): two queries on the request_in_batch index (batch, state)."""
    in_flight = GatewayRequest.objects.filter(batch__isnull=False, state__in=IN_FLIGHT)
    open_ids = list(in_flight.order_by().values_list("batch_id", flat=True).distinct())
    return {pk: {stage: n for stage, n in progress.items() if stage != "attention"}
            for pk, progress in batches_progress(open_ids).items()}


def journal_figures() -> dict[str, Any]:
    """The journal's figures for metrics: requests in flight by state, when the oldest of them was
    made, how many need a person, and differences from aql found in the last day. Each a count or a
    first row on an index (request_due, request_in_flight, request_attention, sim_event_action_recent)."""
    in_flight = GatewayRequest.objects.filter(state__in=IN_FLIGHT)
    by_state = dict(in_flight.order_by().values_list("state").annotate(n=Count("pk")))
    return {
        "in_flight": {state: by_state.get(state, 0) for state in IN_FLIGHT},
        "oldest_in_flight": in_flight.order_by("created_at", "pk").values_list("created_at", flat=True).first(),
        "attention": in_flight.filter(needs_attention=True).count(),
        "drift_last_day": SimEvent.objects.filter(action=SimAction.DRIFT,
                                                  at__gte=timezone.now() - timedelta(days=1)).count(),
    }


def batch_page(*, cursor: str = "") -> Page:
    """One page of the batches, newest first."""
    return seek(Batch.objects.all(), ("-created_at", "-pk"), cursor)


def with_latest_message(requests: QuerySet[GatewayRequest]) -> QuerySet[GatewayRequest]:
    """Requests each with its SIM and its timeline's last line (what a query found), read with the
    rows, so a list of them says how each went in a fixed number of queries."""
    latest = SimEvent.objects.filter(request=OuterRef("pk")).order_by("-at", "-id").values("message")[:1]
    return requests.select_related("sim").annotate(latest_message=Subquery(latest))


def batch_rows(*, batch: Batch, failed_only: bool = False, limit: int | None = None) -> QuerySet[GatewayRequest]:
    """A batch's requests, each with its SIM, in the order the SIMs were queued."""
    rows = with_latest_message(batch.requests.all()).order_by("pk")
    rows = rows.filter(state__in=FAILURES) if failed_only else rows
    return rows[:limit] if limit else rows



def schedule_page(*, done: bool = False, cursor: str = "") -> Page:
    """Scheduled actions still to run, soonest first; or those that ran or were cancelled, newest first."""
    State = ScheduledAction.State
    if done:
        qs = ScheduledAction.objects.exclude(state=State.SCHEDULED)
        return seek(qs.select_related("sim", "request"), ("-due_at", "-pk"), cursor)
    return seek(ScheduledAction.objects.filter(state=State.SCHEDULED).select_related("sim"), ("due_at", "pk"), cursor)
