"""Keep the gateway password out of error pages and log lines.

Django already hides settings whose names contain PASS, but a traceback's local variables
(a request body being built, a client's attributes) are shown as they are. These two hooks
replace the password wherever it would be printed.
"""

import logging
from typing import Any

from django.conf import settings
from django.views.debug import SafeExceptionReporterFilter

from aql.redact import MASK
from aql.redact import redact as redact_secret


def _password() -> str:
    return getattr(settings, "AQL_PASSWORD", "") or ""


def redact(text: str) -> str:
    """The text with the gateway password masked, raw or URL-encoded."""
    return redact_secret(text, _password(), MASK)


class GatewayPasswordFilter(SafeExceptionReporterFilter):
    """Error pages: a frame variable whose printed form holds the password is masked whole."""

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> list[tuple[str, Any]]:
        password = _password()
        cleaned = []
        for name, value in super().get_traceback_frame_variables(request, tb_frame):
            if password and redact(repr(value)) != repr(value):
                value = MASK
            cleaned.append((name, value))
        return cleaned


class RedactGatewayPassword(logging.Filter):
    """Log lines: the rendered message never carries the password."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, dict):  # a structlog line: ops.logs.redact_event masks its every value
            return True
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:  # the traceback too, formatted once here
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True
