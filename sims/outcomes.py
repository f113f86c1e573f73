"""A gateway request's outcome in words: the one place pages, admin and the CLI get them from."""

from aql import codes
from common.outcomes import Outcome
from sims.lifecycle import Command, RequestState
from sims.models import GatewayRequest

UNREAD = object()


def request_outcome(request: GatewayRequest) -> Outcome:
    """How a command went, codes in words."""
    label = request.get_command_display()
    match request.state:
        case RequestState.REJECTED:
            return Outcome.refused(f"{label} refused by aql: " + "; ".join(request.code_meanings))
        case RequestState.FAILED:
            return Outcome.refused(f"{label} failed: the network refused it.")
        case RequestState.NOT_SENT if request.why_not_sent:
            return Outcome.refused(f"{label} not done: {request.why_not_sent}")
        case RequestState.NOT_SENT:
            return Outcome.refused(f"{label}: not done.")
        case RequestState.UNKNOWN:
            return Outcome.unknown(f"{label}: aql gave no clear answer. aql may still be doing this; sending it "
                                   "again could do it twice. It will be checked with aql, not resent.")
        case RequestState.PENDING | RequestState.SENDING:
            return Outcome.done(f"{label} sent: aql is working on it.")
        case RequestState.TO_SEND:
            return Outcome.done(f"{label} waiting to be sent: the worker sends it in a moment.")
    text = f"{label}: done."
    if request.command == Command.QUERYICCID:  # a query says what it found (read with the rows, for a list)
        said = getattr(request, "latest_message", UNREAD)  # read with the rows (with_latest_message), or not
        if said is UNREAD:
            latest = request.events.order_by("-at", "-id").first()
            said = latest.message if latest else None
        text += f" {said}" if said else ""
    return Outcome.done(text)


# aql's request fields by wire name -> the same input in our forms and API
AQL_FIELDS = {"imei": "imei", "geo_nos": "number", "new_geo_nos": "number", "subname": "name",
              "subaddress": "address", "subpostcode": "postcode", "subcontactno": "contact_number",
              "services": "services"}


def code_errors(request: GatewayRequest) -> list[tuple[str | None, codes.Code]]:
    """Each code aql refused a request with, and the input it is about (our name for it), if any."""
    found = (codes.usim(number) for number in request.codes)
    return [(AQL_FIELDS.get(code.field or ""), code) for code in found]
