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
    """Why a suspend or a termination was asked for."""

    LOST = "lost", "Lost"
    STOLEN = "stolen", "Stolen"
    CUSTOMER_REQUEST = "customer_request", "Customer request"
    UNPAID = "unpaid", "Unpaid"
    FRAUD_SUSPECTED = "fraud_suspected", "Fraud suspected"
    OTHER = "other", "Other"


# After a suspend for these, the next thing staff are offered is a new SIM with the same number.
REPLACE_AFTER = (StopReason.LOST, StopReason.STOLEN)


def asks_why(command: str) -> bool:
    """Whether the command carries a reason (its row in the registry says so)."""
    return TABLE[Command(command)].asks_why


def clean_reason(reason: str | None, words: str | None, *, command: str) -> tuple[str | None, str | None]:
    """The reason's code and the words given with it, checked: a code of ours, words for "other", not
    too many. No reason at all is None (not said: the journal's rows from before reasons were asked,
    and the system's own commands); the interfaces staff use ask for one (`REASON_REQUIRED`)."""
    words = " ".join((words or "").split()) or None  # one line, as typed
    if not reason:
        if words:
            raise ValidationError({"reason": REASON_REQUIRED})
        return None, None
    if not asks_why(command):
        raise ValidationError({"reason": f"{Command(command).label} carries no reason: only suspend and "
                                         "terminate do."})
    if reason not in StopReason.values:
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


def why(reason: str | None) -> str:
    """The reason as the timeline says it, after the command's words ("" when none was said)."""
    return f" Why: {StopReason(reason).label.lower()}." if reason else ""
