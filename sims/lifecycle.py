"""The SIM lifecycle in one table: which command may run in which state, what the SIM shows
while it is in flight, and what success changes. Failure restores the state the request
recorded before it was sent. Everything that changes a SIM's state reads this table.
"""

from dataclasses import dataclass

from django.db import models


class SimState(models.TextChoices):
    """aql's iccidstate."""

    UNUSED = "unused", "Unused"
    PENDING = "pending", "Activating"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


STATE_COLOURS = {
    SimState.UNUSED: "grey",
    SimState.PENDING: "blue",
    SimState.ACTIVE: "green",
    SimState.SUSPENDED: "amber",
    SimState.TERMINATED: "red",
}


class Command(models.TextChoices):
    ACTIVATE = "activate", "Activate"
    DEACTIVATE = "deactivate", "Terminate"
    SUSPEND = "suspend", "Suspend"
    REACTIVATE = "reactivate", "Reactivate"
    ADDSERVICE = "addservice", "Add services"
    REMOVESERVICE = "removeservice", "Remove services"
    ASSIGNGEO = "assigngeo", "Assign number"
    CHANGEGEO = "changegeo", "Change number"
    QUERYICCID = "queryiccid", "Ask the gateway"


TWO_STEP = frozenset({Command.ACTIVATE, Command.DEACTIVATE, Command.SUSPEND, Command.REACTIVATE,
                      Command.ADDSERVICE, Command.REMOVESERVICE})

# What aql switches on at activation. The spec does not say; queryiccid reports only
# int_roaming, int_call and premium, so we record the basic four as the simulator does.
ACTIVATION_SERVICES = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")


@dataclass(frozen=True)
class Move:
    """One row of the table."""

    allowed_from: frozenset[SimState]
    in_flight: SimState | None = None  # what the SIM shows while aql works on it
    on_success: SimState | None = None  # the state success leads to (None: unchanged)
    needs_number: bool | None = None  # True: the SIM must have a number; False: must have none


_ALL = frozenset(SimState)
TABLE: dict[Command, Move] = {
    Command.ACTIVATE: Move(frozenset({SimState.UNUSED}), SimState.PENDING, SimState.ACTIVE),
    Command.SUSPEND: Move(frozenset({SimState.ACTIVE}), on_success=SimState.SUSPENDED, needs_number=True),
    Command.REACTIVATE: Move(frozenset({SimState.SUSPENDED}), on_success=SimState.ACTIVE, needs_number=True),
    Command.DEACTIVATE: Move(frozenset({SimState.ACTIVE, SimState.SUSPENDED}), on_success=SimState.TERMINATED,
                             needs_number=True),
    Command.ADDSERVICE: Move(frozenset({SimState.ACTIVE}), needs_number=True),
    Command.REMOVESERVICE: Move(frozenset({SimState.ACTIVE}), needs_number=True),
    Command.ASSIGNGEO: Move(frozenset({SimState.ACTIVE}), needs_number=False),
    Command.CHANGEGEO: Move(frozenset({SimState.ACTIVE}), needs_number=True),
    Command.QUERYICCID: Move(_ALL),
}


class CommandNotAllowed(Exception):
    """The domain error: a command refused before anything is sent, with why and which field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(message)


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
