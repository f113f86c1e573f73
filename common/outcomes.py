"""An outcome in words: what each interface says when an action has run.

Each domain entity has one function that turns its result into an `Outcome` (for a gateway
request `sims.outcomes.request_outcome`, for an order `orders.outcomes.order_outcome`); the
pages, admin and the CLI only render it: a message at its level, or a line and an exit code.
"""

from dataclasses import dataclass

from django.contrib import messages

from common.errors import EXIT_DONE, EXIT_REFUSED, EXIT_UNKNOWN


@dataclass(frozen=True)
class Outcome:
    level: int  # a django.contrib.messages level
    text: str
    exit_code: int = EXIT_DONE

    @classmethod
    def done(cls, text: str) -> "Outcome":
        return cls(messages.SUCCESS, text)

    @classmethod
    def info(cls, text: str) -> "Outcome":
        return cls(messages.INFO, text)

    @classmethod
    def refused(cls, text: str) -> "Outcome":
        return cls(messages.ERROR, text, EXIT_REFUSED)

    @classmethod
    def unknown(cls, text: str) -> "Outcome":
        return cls(messages.WARNING, text, EXIT_UNKNOWN)

    @classmethod
    def waiting(cls, text: str) -> "Outcome":
        """Not done and not refused: something is still to come (a draft awaiting stock)."""
        return cls(messages.WARNING, text, EXIT_REFUSED)
