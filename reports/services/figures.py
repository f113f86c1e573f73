"""One day's figures for each report, counted from the records: the journal (GatewayRequest), the SIMs'
trails (SimEvent), replacements and aql's stock levels. Each function reads the rows of one day, through
the indexes on their times, so a day costs the same however long the journal is. The worker keeps them
as roll-ups (reports.services.rollup); the reports never count the journal themselves."""

import math
from collections import Counter
from datetime import datetime

from django.db.models import OuterRef, Subquery

from common.roles import SYSTEM_USERNAME
from orders.models import Product, StockLevel
from sims.lifecycle import Command, RequestState, SimAction
from sims.models import GatewayRequest, Replacement, SimEvent
from sims.models_replacements import ReplacementState
from sims.reasons import StopReason

Figures = dict[str, int]

LINE_COMMANDS = (Command.ACTIVATE, Command.REACTIVATE, Command.SUSPEND, Command.DEACTIVATE)
REASONED = (Command.SUSPEND, Command.DEACTIVATE)
NOT_SAID = "not_said"  # a stop whose reason nobody gave (before reasons were asked, or the system's)
REPLACED_END = f"{Command.DEACTIVATE}:{StopReason.REPLACED}"  # an old SIM terminated by its replacement
SPEED_STATES = (RequestState.SUCCESS, RequestState.FAILED)  # aql carried it out, or its network refused it
SETTLED = (RequestState.SUCCESS, RequestState.FAILED, RequestState.REJECTED, RequestState.NOT_SENT)  # by index
WAIT_FIRST = 30 * 60  # the spec: wait 30 minutes before the first checkstatus


def lines(start: datetime, end: datetime) -> Figures:
    """Lines begun, stopped, started again and ended that day (succeeded then), stops by reason, and
    replacements finished. A replacement's own activation and termination are one replacement, not a
    line gained and one lost; its termination is counted apart, as a stop whose reason is "replaced"."""
    done = (GatewayRequest.objects.filter(state=RequestState.SUCCESS, settled_at__gte=start, settled_at__lt=end,
                                          command__in=LINE_COMMANDS, replacement_step__isnull=True)
            .order_by().values_list("command", "reason"))
    found: Counter[str] = Counter()
    for command, reason in done:
        found[f"{command}:{reason or NOT_SAID}" if command in REASONED else command] += 1
    replaced = Replacement.objects.filter(state=ReplacementState.DONE, finished_at__gte=start,
                                          finished_at__lt=end).count()
    if replaced:
        found["replace"] = replaced
    # A replacement's termination of the old SIM, for the reasons report only (the lines report counts
    # the replacement, once): its reason is "replaced", also for those journalled before it had one.
    ended = GatewayRequest.objects.filter(state=RequestState.SUCCESS, settled_at__gte=start, settled_at__lt=end,
                                          command=Command.DEACTIVATE, replacement_step__isnull=False).count()
    if ended:
        found[REPLACED_END] = ended
    return dict(found)


def refusals(start: datetime, end: datetime) -> Figures:
    """aql's refusals that day, by code: at once (rejected) or after acceptance (failed). A refusal that
    came with no code counts under "none"."""
    found: Counter[str] = Counter()
    for codes in (GatewayRequest.objects.filter(state__in=(RequestState.REJECTED, RequestState.FAILED),
                                                settled_at__gte=start, settled_at__lt=end)
                  .order_by().values_list("codes", flat=True)):
        for code in sorted(set(codes or [])) or ["none"]:
            found[str(code)] += 1
    return dict(found)


def unknowns(start: datetime, end: datetime) -> Figures:
    """Outcomes that became unknown that day, and those settled that day by how: aql's record showed it
    happened or not (the worker's evidence), or a person settled it having seen that record."""
    were = SimEvent.objects.filter(action=SimAction.UNKNOWN, request_id__isnull=False)
    found: Counter[str] = Counter()
    became = were.filter(at__gte=start, at__lt=end).order_by().values_list("request_id", flat=True).distinct()
    if n := became.count():
        found["became"] = n
    by_hand = SimEvent.objects.filter(action=SimAction.SETTLED, request_id=OuterRef("pk"))
    settled = (GatewayRequest.objects.filter(state__in=SETTLED, settled_at__gte=start, settled_at__lt=end,
                                             pk__in=were.values("request_id"))
               .annotate(by_hand=Subquery(by_hand.values("pk")[:1])).order_by().values_list("state", "by_hand"))
    for state, hand in settled:
        how = "happened" if state == RequestState.SUCCESS else "not_happened"
        found[f"{'by_hand' if hand else 'evidence'}:{how}"] += 1
    return dict(found)


def _percentile(ordered: list[int], p: float) -> int:
    """The nearest-rank percentile of sorted values: a value that occurred, never one between."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def speed(start: datetime, end: datetime) -> Figures:
    """For each command carried out (or refused by aql's network) that day: how many, the median and the
    95th percentile of seconds from its sending to its final state, and how many took over the 30 minutes
    aql asks us to wait before the first check. Sent: when aql accepted it; a one-step command, when it
    was journalled (it is sent at once)."""
    accepted = SimEvent.objects.filter(request_id=OuterRef("pk"), action=SimAction.SENT).order_by("pk")
    rows = (GatewayRequest.objects.filter(state__in=SPEED_STATES, settled_at__gte=start, settled_at__lt=end)
            .exclude(command=Command.QUERYICCID)
            .annotate(sent_at=Subquery(accepted.values("at")[:1])).order_by()
            .values_list("command", "created_at", "sent_at", "settled_at"))
    took: dict[str, list[int]] = {}
    for command, created, sent, settled in rows:
        took.setdefault(command, []).append(max(0, round((settled - (sent or created)).total_seconds())))
    found: Figures = {}
    for command, seconds in took.items():
        seconds.sort()
        found |= {f"{command}:n": len(seconds), f"{command}:p50": _percentile(seconds, 50),
                  f"{command}:p95": _percentile(seconds, 95),
                  f"{command}:over": sum(1 for s in seconds if s > WAIT_FIRST)}
    return found


def activity(start: datetime, end: datetime) -> Figures:
    """Commands staff asked for that day, by person and interface ("name|web"): the journal's rows with a
    person behind them (the system's own checks are not staff's), through the interface their trail
    recorded first."""
    first = SimEvent.objects.filter(request_id=OuterRef("pk")).order_by("pk")
    rows = (GatewayRequest.objects.filter(created_at__gte=start, created_at__lt=end)
            .exclude(actor_name=SYSTEM_USERNAME)
            .annotate(interface=Subquery(first.values("interface")[:1])).order_by()
            .values_list("actor_name", "interface"))
    return dict(Counter(f"{name}|{interface or 'system'}" for name, interface in rows))


def stock(start: datetime, end: datetime) -> Figures:
    """Each product's stock at the day's end ("CODE:level", aql's last figure by then) and how many left
    stock that day ("CODE:used": the falls between aql's figures; a rise is stock added, not used). A
    product aql had not reported by then has no level: not known, not nought."""
    found: Figures = {}
    for product in Product.objects.order_by("code"):
        levels = StockLevel.objects.filter(product=product).order_by("checked_at", "pk")
        before = levels.filter(checked_at__lt=start).order_by("-checked_at", "-pk").values_list("quantity", flat=True)
        previous = before.first()
        day = list(levels.filter(checked_at__gte=start, checked_at__lt=end).values_list("quantity", flat=True))
        if previous is None and not day:
            continue
        used = 0
        for quantity in day:
            if previous is not None and quantity < previous:
                used += previous - quantity
            previous = quantity
        found[f"{product.code}:level"] = previous
        found[f"{product.code}:used"] = used
    return found


DERIVED = {"lines": lines, "refusals": refusals, "unknown": unknowns, "speed": speed, "activity": activity,
           "stock": stock}
