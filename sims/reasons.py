"""Why a line was stopped: the reason a suspend or a termination carries (the registry's rows with
`asks_why`), from every interface, kept on the journalled request.

The reason's code goes everywhere (the timeline, the CSV files, webhooks, the journal's filter);
the words staff type with it stay on our pages and exports only: they may hold a person's details,
so no webhook carries them and erasing the subscriber erases them.
"""

from django.core.exceptions import ValidationError
from django.db import models

from sims.lifecycle import TABLE, Command

WORDS_AT_MOST = 200  # characters of the words staff give with a reason
REASON_REQUIRED = "Say why the line is stopped: lost, stolen, customer request, unpaid, fraud suspected or other."


class StopReason(models.TextChoices):
    """Why a suspend or a termination was asked for: the journal's vocabulary (its filter, the CSV
    files, webhooks, the reports), staff's reasons and the one a procedure gives."""

    LOST = "lost", "Lost"
    STOLEN = "stolen", "Stolen"
    CUSTOMER_REQUEST = "customer_request", "Customer request"
    UNPAID = "unpaid", "Unpaid"
    FRAUD_SUSPECTED = "fraud_suspected", "Fraud suspected"
    OTHER = "other", "Other"
    # The old SIM's termination in a replacement (sims.services.replacement_steps) carries it. Never
    # staff's to choose (StaffReason leaves it out): it would claim a new SIM that nobody gave.
    REPLACED = "replaced", "Replaced by a new SIM"


BY_PROCEDURE = (StopReason.REPLACED,)  # set by a procedure only, never by a person
# The reasons a person may give, on every interface: the pages, batches, schedules, the CLI, the API.
StaffReason = models.TextChoices(
    "StaffReason", [(r.name, (r.value, r.label)) for r in StopReason if r not in BY_PROCEDURE])

# After a suspend for these, the next thing staff are offered is a new SIM with the same number.
REPLACE_AFTER = (StopReason.LOST, StopReason.STOLEN)


def asks_why(command: str) -> bool:
    """Whether the command carries a reason (its row in the registry says so)."""
    return TABLE[Command(command)].asks_why


def clean_reason(reason: str | None, words: str | None, *, command: str) -> tuple[str | None, str | None]:
    """The reason's code and the words given with it, checked: a code of staff's (not a procedure's),
    words for "other", not too many. No reason at all is None (not said: the journal's rows from
    before reasons were asked, and the system's own commands); the interfaces staff use ask for one
    (`REASON_REQUIRED`)."""
    words = " ".join((words or "").split()) or None  # one line, as typed
    if not reason:
        if words:
            raise ValidationError({"reason": REASON_REQUIRED})
        return None, None
    if not asks_why(command):
        raise ValidationError({"reason": f"{Command(command).label} carries no reason: only suspend and "
                                         "terminate do."})
    if reason in BY_PROCEDURE:
        raise ValidationError({"reason": f"“{StopReason(reason).label}” is given by a replacement only (Replace "
                                         f"this SIM…), never by hand. {REASON_REQUIRED}"})
    if reason not in StaffReason.values:
        raise ValidationError({"reason": f"{reason!r} is not a reason we know. {REASON_REQUIRED}"})
    if reason == StopReason.OTHER and not words:
        raise ValidationError({"reason_words": "Say in a few words why: the reason is \"other\"."})
    if words and len(words) > WORDS_AT_MOST:
        raise ValidationError({"reason_words": f"At most {WORDS_AT_MOST} characters ({len(words)} given)."})
    return reason, words


def require(command: str, reason: str | None) -> None:
    """Refuse a suspend or a termination that says no reason (the API's and the CLI's check; a
    form's field is required)."""
    if asks_why(command) and not reason:
        raise ValidationError({"reason": REASON_REQUIRED})


def said(reason: str) -> str:
    """A reason in the middle of a sentence: its label, lower-cased but for the names in it ("SIM")."""
    label = StopReason(reason).label
    return label[:1].lower() + label[1:]


def why(reason: str | None) -> str:
    """The reason as the timeline says it, after the command's words ("" when none was said)."""
    return f" Why: {said(reason)}." if reason else ""
