"""The domain error, and how any refusal reads in words and as an exit code.

A refusal is anything that stops an action before it changes a thing: our own rules
(`Refused`), bad input (Django's `ValidationError`) or the gateway (`aql.http`'s errors).
Each interface turns one into its own form (a message, a form error, an exit code) through
the handlers in `common.web`, `common.admin` and `common.cli`, which all read these two
functions, so a refusal says the same everywhere.
"""

from django.core.exceptions import ValidationError

from aql.http import GatewayError, GatewayRejected

EXIT_DONE = 0  # done, or accepted by aql
EXIT_REFUSED = 1  # refused (by us or by aql) or failed, with the reason
EXIT_UNKNOWN = 3  # aql gave no clear answer: it will be checked, not resent


class Refused(Exception):
    """An action our rules do not allow now, with why in staff's words and, where it is about
    one input, the field it concerns. `code` is a stable name for machines (the API's problem
    details carry it: `sim-busy`, `aql-63027`), set where an integrator must tell the case apart;
    the words may change, the code does not."""

    def __init__(self, message: str, field: str | None = None, *, code: str | None = None) -> None:
        self.message = message
        self.field = field
        self.code = code
        super().__init__(message)


REFUSALS = (Refused, ValidationError, GatewayError)


def validation_text(exc: ValidationError) -> str:
    """A ValidationError's messages, each with its field when it has one."""
    if hasattr(exc, "error_dict"):
        return "\n".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
    return " ".join(exc.messages)


def refusal_text(exc: Exception) -> str:
    """A refusal in words, never a bare code."""
    if isinstance(exc, Refused):
        return exc.message
    if isinstance(exc, ValidationError):
        return validation_text(exc)
    if isinstance(exc, GatewayRejected):
        return "aql refused: " + "; ".join(str(code) for code in exc.codes)
    return f"No clear answer from aql: {exc}"


def refusal_exit_code(exc: Exception) -> int:
    """1 for a refusal; 3 when aql did not answer clearly (it may have acted: no answer, an
    unreadable one, or a code such as 500 that leaves it open)."""
    if isinstance(exc, GatewayRejected):
        return EXIT_UNKNOWN if any(code.uncertain for code in exc.codes) else EXIT_REFUSED
    return EXIT_UNKNOWN if isinstance(exc, GatewayError) else EXIT_REFUSED
