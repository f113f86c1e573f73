"""Every result code aql's two endpoints document, in words a customer-service agent understands.

Each code carries the request field it concerns (by its wire name, so a form can put the
message next to the right input) and whether and when it is worth trying again.
The USIM gateway and the despatch endpoint number their codes separately: look them up in
their own table.
"""

from dataclasses import dataclass
from enum import StrEnum


class Retry(StrEnum):
    """What to do after this code."""

    NO = "no"  # the request was wrong or not allowed: fix it first, a resend fails the same way
    LATER = "later"  # the gateway is busy: resend, but not before `retry_after` seconds
    BACKOFF = "backoff"  # the gateway failed: resend with a growing pause
    POLL_AGAIN = "poll_again"  # checkstatus only: the answer is not ready, ask again later


@dataclass(frozen=True)
class Code:
    """One documented result code."""

    code: int
    description: str  # aql's own words, from the spec's table
    message: str  # what we tell staff
    field: str | None = None  # the request field it concerns, by its wire name
    retry: Retry = Retry.NO
    retry_after: int | None = None  # seconds, where aql names a wait
    # In answer to a command: aql may have acted all the same (its system failed part-way), so
    # the outcome is unknown, to be checked, never resent. Every other refusal means "not done".
    uncertain: bool = False

    def __str__(self) -> str:
        """How staff see a code everywhere (pages, admin, messages, the CLI): the words first."""
        return f"{self.message} (aql code {self.code})"


def _table(*codes: Code) -> dict[int, Code]:
    return {c.code: c for c in codes}


USIM_OK = 200

USIM_CODES = _table(
    Code(200, "OK", "Done."),
    Code(400, "Bad request", "aql could not read the request. Tell support: this is a fault on our side."),
    Code(401, "Authentication error", "aql refused our account's username or password. Tell an administrator."),
    Code(500, "Internal system error", "aql's system failed, perhaps part-way: whether it acted is not known yet.",
         None, Retry.BACKOFF, uncertain=True),
    Code(600, "Invalid Command", "aql does not know that command. Tell support: this is a fault on our side."),
    Code(63001, "Invalid ICCID", "That is not a valid ICCID (19 or 20 digits).", "iccid"),
    Code(63003, "ICCID not on users account", "This SIM is not on our account at aql.", "iccid"),
    Code(63004, "Invalid or missing service parameter", "One of the services asked for is not a service aql knows.",
         "services"),
    Code(63007, "Invalid IMEI", "That IMEI is not valid: it should be the 15 digits shown by dialling *#06#.",
         "imei"),
    Code(63014, "Sim incorrectly configured. Cannot activate. Contact support.",
         "This SIM is configured wrongly at aql and cannot be activated. Contact aql support.", "iccid"),
    Code(63017, "ICCID not active", "This SIM is not active, so that cannot be done yet.", "iccid"),
    Code(63021, "Not owner of IMEI", "That handset (IMEI) belongs to another account.", "imei"),
    Code(63022, "Poll again later (only returned by checkstatus)",
         "aql has no answer yet for this request. It will be checked again later.", None, Retry.POLL_AGAIN),
    Code(63023, "No Services specified", "Choose at least one service.", "services"),
    Code(63024, "IMEI not blacklisted", "That handset (IMEI) is not blacklisted.", "imei"),
    Code(63025, "Invalid checkstatus id", "aql does not know that request id.", "id"),
    Code(63026, "Iccid is in an invalid state", "The SIM is not in a state that allows this right now.", "iccid"),
    Code(63027, "Network congested – Command not executed. We recommend waiting atleast 5 minutes before "
         "re-trying this request.", "The network is congested and nothing was done. Try again in 5 minutes.",
         None, Retry.LATER, 300),
    Code(63028, "Subscriber name is invalid", "Enter the subscriber's name as letters only.", "subname"),
    Code(63029, "Subscriber address is invalid", "Enter the subscriber's address.", "subaddress"),
    Code(63030, "Subscriber postcode is invalid", "Enter a valid UK postcode, like LS10 1JQ.", "subpostcode"),
    Code(63031, "Subscriber contact number is invalid",
         "Enter a contact phone number in international form, like 441133203040.", "subcontactno"),
    Code(63032, "Service(s) not yet supported", "The network does not offer that service yet.", "services"),
    Code(63033, "Request rejected by Network", "The network rejected this request."),
    Code(63034, "Invalid service for a data SIM", "A data-only SIM cannot have voice or SMS services.",
         "services"),
    Code(63201, "Invalid Landline number", "That geographic number is not valid or not on our account.",
         "geo_nos"),
    Code(63202, "No Landline assigned to iccid", "This SIM has no geographic number.", "geo_nos"),
    Code(63203, "Another number is already assigned to this iccid",
         "This SIM already has a geographic number: change it instead.", "geo_nos"),
    Code(63204, "Landline already in use", "That geographic number is already in use by another SIM.",
         "geo_nos"),
)

DESPATCH_OK = 0
DESPATCH_INSUFFICIENT_SIMS = 3
DESPATCH_UNDEFINED_ERROR = 9  # also the query's answer for an order_ref aql has no record of

DESPATCH_CODES = _table(
    Code(0, "Successful", "Done."),
    Code(1, "Authentication Error", "aql refused our account's username or password. Tell an administrator."),
    Code(2, "Missing parameters", "aql says a detail of the order is missing: check every field."),
    Code(3, "Insufficient SIMs on account", "There are not enough SIMs in stock on our account to despatch."),
    Code(8, "Unrecognised Command", "aql does not know that command. Tell support: this is a fault on our side."),
    Code(9, "Undefined error", "aql reported an error it does not name: whether it acted is not known yet.", None,
         Retry.BACKOFF, uncertain=True),
)


def lookup(table: dict[int, Code], code: int) -> Code:
    """The documented code, or a stand-in that still says which number aql sent."""
    found = table.get(code)
    if found is None:
        return Code(code, "Undocumented code", f"aql answered with a code it does not document ({code}).")
    return found


def usim(code: int) -> Code:
    """A USIM gateway code."""
    return lookup(USIM_CODES, code)


def despatch(code: int) -> Code:
    """A despatch endpoint code."""
    return lookup(DESPATCH_CODES, code)
