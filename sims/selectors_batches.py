"""Reads of a batch's SIMs: its rows a page at a time by outcome, how many of the chosen SIMs can
take a command now (before a batch is made), and which of its failures could go through if sent
again. Each is a fixed number of queries whatever the batch holds."""

from collections.abc import Iterable

from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet, Value

from aql import codes as aql_codes
from common.paging import Page, seek
from sims.lifecycle import FAILURES, IN_FLIGHT, TABLE, Command, RequestState
from sims.models import Batch, GatewayRequest, Sim
from sims.selectors import with_latest_message

# The outcome filter of a batch's page: its name in the URL (batch_progress's) -> (the words staff
# read, the states). A request whose outcome is not known is its own group: neither failed nor done.
BATCH_OUTCOMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "waiting": ("Waiting to be sent", (RequestState.TO_SEND,)),
    "in_progress": ("In progress at aql", (RequestState.SENDING, RequestState.PENDING)),
    "succeeded": ("Succeeded", (RequestState.SUCCESS,)),
    "failed": ("Did not go through", FAILURES),
    "unknown": ("Outcome unknown", (RequestState.UNKNOWN,)),
}

# aql's refusals after which the same command may pass another time: about the SIM's state at aql
# (judged instead by its state in our record now), congestion, our account's password (put right by
# an administrator), the network's own refusal. Every other documented refusal means the request or
# the SIM is wrong at aql: sent again, it is refused the same way (aql.codes.Retry.NO).
MAY_PASS_AGAIN = frozenset({401, 63017, 63026, 63027, 63033})


def batch_rows_page(*, batch: Batch, outcome: str = "", cursor: str = "") -> Page:
    """One page of a batch's SIMs in the order they were queued, each request with its SIM and what
    a query found; narrowed to one of BATCH_OUTCOMES. Seeks on the (batch, state) index."""
    rows = with_latest_message(batch.requests.all())
    if outcome in BATCH_OUTCOMES:
        rows = rows.filter(state__in=BATCH_OUTCOMES[outcome][1])
    return seek(rows, ("pk",), cursor)


def _busy(command: Command, sim: str = "pk") -> Exists | Value:
    """The SIM (`sim`: the path to its id from the row asked of) has a command in flight, which keeps
    `command` from it: the one-per-SIM index answers it. A query runs beside one (lifecycle.refusal)."""
    if command == Command.QUERYICCID:
        return Value(False, output_field=BooleanField())
    return Exists(GatewayRequest.objects.filter(sim=OuterRef(sim), state__in=IN_FLIGHT)
                  .exclude(command=Command.QUERYICCID))


def _can_take(command: Command, sim: str = "") -> Q:
    """The lifecycle's own rule as a condition on a SIM (`sim`: the path to it): its state allows the
    command and it has (or has not) the number the command needs. A command in flight is asked apart."""
    move = TABLE[command]
    q = Q(**{f"{sim}state__in": list(move.allowed_from)})
    if move.needs_number is not None:
        q &= Q(**{f"{sim}number__isnull": not move.needs_number})
    return q


def sims_can_take(*, sims: QuerySet[Sim], command: Command) -> dict[str, int]:
    """Of these SIMs, how many can take `command` now (lifecycle.refusal would give no reason), how
    many have another command in flight, and how many are in a state (or lack the number) the
    command cannot run from. One query."""
    found = sims.order_by().alias(has_one=_busy(command)).aggregate(
        total=Count("pk"), busy=Count("pk", filter=Q(has_one=True)),
        ready=Count("pk", filter=_can_take(command) & Q(has_one=False)))
    return {"ready": found["ready"], "busy": found["busy"],
            "cannot": found["total"] - found["ready"] - found["busy"]}


def may_pass_again(codes: Iterable[int]) -> bool:
    """Whether aql's answer leaves a chance that the same command passes another time."""
    return all(code in MAY_PASS_AGAIN or code not in aql_codes.USIM_CODES
               or aql_codes.usim(code).retry != aql_codes.Retry.NO for code in codes)


def batch_retryable(*, batch: Batch) -> list[tuple[int, str]]:
    """The SIMs whose request in this batch did not go through and that could if sent again now:
    the SIM can take the command (state, number, nothing in flight) and aql's answer, if any, was
    not one it would give again. A request whose outcome is not known is never among them: aql may
    still be doing it. Each SIM's id and ICCID. One query; the codes are judged here, a row at a time."""
    command = Command(batch.command)
    rows = (batch.requests.filter(state__in=FAILURES).filter(_can_take(command, "sim__"))
            .alias(busy=_busy(command, "sim")).filter(busy=False)
            .order_by("pk").values_list("sim_id", "sim__iccid", "codes"))
    return [(sim_id, iccid) for sim_id, iccid, codes in rows if may_pass_again(codes or [])]
