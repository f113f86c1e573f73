"""The SIM lifecycle and the journal's, each in one table.

`TABLE`: the one registry of gateway commands. A row says which states a command may run from,
who may give it, how it is sent from what the journal holds, whether aql answers at once or
later (two-step), what the SIM shows while it is in flight, what success changes (state,
services, number), how aql's record shows that it happened, whether it can be given to many
SIMs at once (a batch) or scheduled, and the names the command line and the API give it. The
CLI, the API's choices, batches, schedules, the worker and the benchmark's seed read it.
Failure restores the state the request recorded before it was sent.

`RequestStep`: every way a journalled request changes state, from which states to which.

Everything that changes a SIM's or a request's state reads these tables; nothing here touches
the database, so the rules are tested on their own.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from aql.usim import SERVICES, IccidState, IccidStatus, UsimClient
from common.transitions import Transition


class SimState(models.TextChoices):
    """aql's iccidstate."""

    @property
    def colour(self) -> str:
        """Its badge's colour (NetBox's ChoiceSet idea, without the metaclass)."""
        return STATE_COLOURS[self]

    UNUSED = "unused", "Unused"
    PENDING = "pending", "Activating"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


STATE_COLOURS = {SimState.UNUSED: "grey", SimState.PENDING: "blue", SimState.ACTIVE: "green",
                 SimState.SUSPENDED: "amber", SimState.TERMINATED: "red"}


class Command(models.TextChoices):
    """aql's commands that change a SIM, and the query."""

    @property
    def two_step(self) -> bool:
        """aql answers with a request id, and the outcome comes later (checkstatus)."""
        return TABLE[self].two_step

    ACTIVATE = "activate", "Activate"
    DEACTIVATE = "deactivate", "Terminate"
    SUSPEND = "suspend", "Suspend"
    REACTIVATE = "reactivate", "Reactivate"
    ADDSERVICE = "addservice", "Add services"
    REMOVESERVICE = "removeservice", "Remove services"
    ASSIGNGEO = "assigngeo", "Assign number"
    CHANGEGEO = "changegeo", "Change number"
    QUERYICCID = "queryiccid", "Ask the gateway"


# What aql switches on at activation. The spec does not say; queryiccid reports only
# int_roaming, int_call and premium, so we record the basic four as the simulator does.
ACTIVATION_SERVICES = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")

Params = dict  # what the journal recorded as sent
Services = Callable[[Params], dict[str, bool]]  # a command's services after success: name -> on
Seen = Callable[[IccidStatus, Params], bool | None]  # does aql's record show it happened? None: cannot tell
# How it goes on the wire: (the client, the SIM read with its subscriber, what the journal holds) -> aql's answer.
# From the journal alone, so the worker can send any journalled request later (a batch, a schedule, a file).
Send = Callable[[UsimClient, Any, Params], Any]
PROVISION, TERMINATE = "sims.provision_sim", "sims.terminate_sim"  # the permissions the roles migration gives out


def _no_services(params: Params) -> dict[str, bool]:
    return {}


def _never_seen(status: IccidStatus, params: Params) -> bool | None:
    return False  # a read: nothing to recover


@dataclass(frozen=True)
class Move:
    """One row of the registry: a command's rule, how it is sent, its effects and its names."""

    allowed_from: frozenset[SimState]
    send: Send  # how the worker (or a form at once) sends it from the journal's row
    cli: str  # its words after `manage.py sim` (the ICCID follows)
    api: str  # its name in the API's choices (batches, schedules) and the journal
    two_step: bool = False  # aql answers with a request id; the outcome comes later (checkstatus)
    batch: bool = False  # may be given to many SIMs at once
    schedule: bool = False  # may be scheduled for a time to come
    in_flight: SimState | None = None  # what the SIM shows while aql works on it
    on_success: SimState | None = None  # the state success leads to (None: unchanged)
    needs_number: bool | None = None  # True: the SIM must have a number; False: must have none
    services: Services = field(default=_no_services)  # services set on success
    frees_number: bool = False  # on success the number goes back to the pool
    takes_number: bool = False  # a number is held for the SIM while aql works, and is its own on success
    brings_subscriber: bool = False  # undone, the subscriber and handset it brought go too
    seen: Seen = field(default=_never_seen)
    permission: str = PROVISION  # who may send it
    asks_why: bool = False  # staff say why (sims.reasons.StopReason), kept on the journalled request


def _live(status: IccidStatus, params: Params) -> bool | None:
    return status.state in (IccidState.ACTIVE, IccidState.SUSPENDED)


def _in_state(state: SimState) -> Seen:
    return lambda status, params: status.state == state


def _has_new_number(status: IccidStatus, params: Params) -> bool | None:
    return status.geo_nos == params.get("new_geo_nos", params["geo_nos"])


def _named(on: bool) -> Services:
    return lambda params: dict.fromkeys(params["services"], on)


def _shows_services(on: bool) -> Seen:
    def seen(status: IccidStatus, params: Params) -> bool | None:
        visible = {"int_roaming": status.int_roaming, "int_calling": status.int_call}
        shown = [visible[name] for name in params["services"] if visible.get(name) is not None]
        if len(shown) < len(params["services"]):
            return None  # queryiccid shows only roaming and international calls
        return all(value == on for value in shown)
    return seen


def _activate(c: UsimClient, sim: Any, p: Params) -> Any:
    s = sim.subscriber  # the subscriber's details stay in Subscriber (erasable), not in the journal
    return c.activate(iccid=sim.iccid, imei=p["imei"], geo_nos=p["geo_nos"], subname=s.name, subaddress=s.address,
                      subpostcode=s.postcode, subcontactno=s.contact_number)


_ALL = frozenset(SimState)
TABLE: dict[Command, Move] = {
    Command.ACTIVATE: Move(
        allowed_from=frozenset({SimState.UNUSED}), send=_activate, cli="activate", api="activate", two_step=True,
        in_flight=SimState.PENDING, on_success=SimState.ACTIVE, brings_subscriber=True, takes_number=True,
        services=lambda p: dict.fromkeys(ACTIVATION_SERVICES, True), seen=_live),
    Command.SUSPEND: Move(
        allowed_from=frozenset({SimState.ACTIVE}), cli="suspend", api="suspend", two_step=True,
        send=lambda c, sim, p: c.suspend(iccid=sim.iccid, geo_nos=p["geo_nos"]), batch=True, schedule=True,
        asks_why=True, on_success=SimState.SUSPENDED, needs_number=True, seen=_in_state(SimState.SUSPENDED)),
    Command.REACTIVATE: Move(
        allowed_from=frozenset({SimState.SUSPENDED}), cli="reactivate", api="reactivate", two_step=True,
        send=lambda c, sim, p: c.reactivate(iccid=sim.iccid, geo_nos=p["geo_nos"]), batch=True, schedule=True,
        on_success=SimState.ACTIVE, needs_number=True, seen=_in_state(SimState.ACTIVE)),
    Command.DEACTIVATE: Move(
        allowed_from=frozenset({SimState.ACTIVE, SimState.SUSPENDED}), cli="deactivate", api="deactivate",
        send=lambda c, sim, p: c.deactivate(iccid=sim.iccid, geo_nos=p["geo_nos"]), two_step=True, batch=True,
        asks_why=True, permission=TERMINATE, on_success=SimState.TERMINATED, needs_number=True, frees_number=True,
        services=lambda p: dict.fromkeys(SERVICES, False), seen=_in_state(SimState.TERMINATED)),
    Command.ADDSERVICE: Move(
        allowed_from=frozenset({SimState.ACTIVE}), cli="services --add", api="addservice", two_step=True,
        send=lambda c, sim, p: c.addservice(iccid=sim.iccid, geo_nos=p["geo_nos"], services=p["services"]),
        batch=True, needs_number=True, services=_named(True), seen=_shows_services(True)),
    Command.REMOVESERVICE: Move(
        allowed_from=frozenset({SimState.ACTIVE}), cli="services --remove", api="removeservice", two_step=True,
        send=lambda c, sim, p: c.removeservice(iccid=sim.iccid, geo_nos=p["geo_nos"], services=p["services"]),
        batch=True, needs_number=True, services=_named(False), seen=_shows_services(False)),
    Command.ASSIGNGEO: Move(
        allowed_from=frozenset({SimState.ACTIVE}), cli="number --assign", api="assigngeo",
        send=lambda c, sim, p: c.assigngeo(iccid=sim.iccid, geo_nos=p["geo_nos"]),
        needs_number=False, takes_number=True, seen=_has_new_number),
    Command.CHANGEGEO: Move(
        allowed_from=frozenset({SimState.ACTIVE}), cli="number --change", api="changegeo",
        send=lambda c, sim, p: c.changegeo(iccid=sim.iccid, geo_nos=p["geo_nos"], new_geo_nos=p["new_geo_nos"]),
        needs_number=True, takes_number=True, seen=_has_new_number),
    Command.QUERYICCID: Move(
        allowed_from=_ALL, cli="query", api="queryiccid", send=lambda c, sim, p: c.queryiccid(iccid=sim.iccid),
        batch=True),
}
TWO_STEP = frozenset(c for c, row in TABLE.items() if row.two_step)
BATCHED = tuple(c for c, row in TABLE.items() if row.batch)  # what a batch may give
SCHEDULED = tuple(c for c, row in TABLE.items() if row.schedule)  # what may be scheduled
BATCH_NAMES = tuple(TABLE[c].api for c in BATCHED)  # the API's choices (Literal[BATCH_NAMES])
SCHEDULE_NAMES = tuple(TABLE[c].api for c in SCHEDULED)


# Commands that set services: adding one that is already on, or removing one already off, leaves it
# as it is (aql's add and remove are "make it so"), so sending the same change again is safe.
SENT_AGAIN_SAFELY = frozenset({Command.ADDSERVICE, Command.REMOVESERVICE})
# What aql's record (queryiccid) shows of a SIM's services: the rest it cannot show at all.
SHOWN_BY_QUERY = ("int_roaming", "int_calling")
# Voice and SMS: a SIM found live at aql without a command of ours that set them has them not known
# (None) until a change of services, an activation or a termination tells us.
NOT_SHOWN_BY_QUERY = tuple(name for name in SERVICES if name not in SHOWN_BY_QUERY)


def refusal(*, command: Command, state: str, has_number: bool, in_flight: str | None) -> str | None:
    """Why `command` cannot run now, in staff's words; None when it can."""
    move = TABLE[command]
    label = SimState(state).label.lower()
    if in_flight and command != Command.QUERYICCID:
        return f"{Command(in_flight).label} is still in progress for this SIM: wait for it to finish."
    if state not in move.allowed_from:
        if state == SimState.TERMINATED:
            return "This SIM is terminated: nothing more can be done with it."
        allowed = " or ".join(SimState(s).label.lower() for s in sorted(move.allowed_from))
        return f"{command.label} needs a SIM that is {allowed}; this one is {label}."
    if move.needs_number and not has_number:
        return "This SIM has no geographic number: assign one first."
    if move.needs_number is False and has_number:
        return "This SIM already has a geographic number: change it instead."
    return None


def allowed_commands(*, state: str, has_number: bool, in_flight: str | None) -> list[Command]:
    """The commands that can run now: the SIM page shows exactly these."""
    return [c for c in TABLE if refusal(command=c, state=state, has_number=has_number, in_flight=in_flight) is None]


def took_effect(*, command: str, params: Params, status: IccidStatus) -> bool | None:
    """Does aql's record of the SIM show that the command happened? None: it cannot show it (yet)."""
    if status.state == IccidState.PENDING:
        return None  # an activation is under way at aql: wait for it to finish
    return TABLE[Command(command)].seen(status, params)


# --- the journal ---------------------------------------------------------------------------------

class SimAction(models.TextChoices):
    """What a SIM's own trail (SimEvent) records: a request's steps, and what else befell the SIM."""

    SENDING = "sending", "Sending"
    SENT = "sent", "Accepted by aql"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REFUSED = "refused", "Refused"
    UNKNOWN = "unknown", "Outcome unknown"
    NOT_SENT = "not_sent", "Not done"
    SETTLED = "settled", "Settled by hand"
    QUERIED = "queried", "Asked aql"
    DRIFT = "drift", "Differed from aql"
    ATTENTION = "attention", "Needs attention"
    ERASED = "erased", "Personal details erased"
    CHANGED = "changed", "Details changed"
    SCHEDULED = "scheduled", "Scheduled"


class RequestState(models.TextChoices):
    """Where a journalled request stands."""

    @property
    def colour(self) -> str:
        return REQUEST_COLOURS[self]

    TO_SEND = "to_send", "Waiting to be sent"  # journalled for the worker to send: certainly not sent yet
    SENDING = "sending", "Sending"  # journalled; aql's answer not yet recorded
    PENDING = "pending", "In progress"  # aql queued it; the worker polls checkstatus
    UNKNOWN = "unknown", "Outcome unknown"  # no answer to the send: reconcile with queryiccid
    SUCCESS = "success", "Succeeded"
    FAILED = "failed", "Failed"  # aql accepted it, then the network refused it
    REJECTED = "rejected", "Refused"  # aql refused it at once, with codes: nothing changed
    NOT_SENT = "not_sent", "Not done"  # the outcome was unknown, and aql shows it did not happen


REQUEST_COLOURS = {RequestState.TO_SEND: "blue",
                   RequestState.SENDING: "blue", RequestState.PENDING: "blue", RequestState.UNKNOWN: "amber",
                   RequestState.SUCCESS: "green", RequestState.FAILED: "red", RequestState.REJECTED: "red",
                   RequestState.NOT_SENT: "red"}
IN_FLIGHT = (RequestState.TO_SEND, RequestState.SENDING, RequestState.PENDING, RequestState.UNKNOWN)
FAILURES = (RequestState.FAILED, RequestState.REJECTED, RequestState.NOT_SENT)


def _step(name: str, source: set[RequestState], target: set[RequestState]) -> Transition:
    return Transition(name, frozenset(source), frozenset(target))


class RequestStep:
    """Every way a journalled request changes state."""

    S = RequestState
    # aql's reply to the send. A request the worker marked unknown meanwhile (a slow send
    # taken for lost) still takes it: it is the best evidence there is.
    ANSWER = _step("the answer to a send", {S.SENDING, S.UNKNOWN},
                   {S.PENDING, S.REJECTED, S.UNKNOWN, S.SUCCESS, S.FAILED})
    POLL = _step("checkstatus", {S.PENDING}, {S.SUCCESS, S.FAILED, S.UNKNOWN})
    RECONCILE = _step("a look at the SIM", {S.UNKNOWN}, {S.SUCCESS, S.NOT_SENT})  # and a lost query's answer
    LOST = _step("a send cut off", {S.SENDING}, {S.UNKNOWN})
    SEND = _step("the worker sending it", {S.TO_SEND}, {S.SENDING, S.NOT_SENT})  # or not: the SIM moved on
    RESOLVE = _step("settling by hand", {S.UNKNOWN}, {S.SUCCESS, S.NOT_SENT})
    # A change that sent twice leaves the SIM as sent once (services_resendable), sent again to make
    # the unknown certain: the same row waits to be sent, and the new send's outcome settles it.
    SEND_AGAIN = _step("sending it again", {S.UNKNOWN}, {S.TO_SEND})
