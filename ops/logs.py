"""Structured logs (structlog): one JSON object a line in production, readable lines in development.

Every line, ours and Django's and django-q2's alike (the standard library's records go through
the same processors), carries what is bound in the context where it was written: the journal
request (`gateway_request`), the SIM (`iccid`) and the acting user (`user`). Never the gateway
password (masked in every value, as `common.redaction` does for plain lines), and never a
subscriber's or recipient's details: no log call of ours passes them, and `said` keeps aql's
reply bodies (which may echo a recipient) out of the words about a failure.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from aql.http import GatewayError, GatewayReplyUnreadable
from common.redaction import redact

SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,  # what `about` and the web middleware bound
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _redacted(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return value


def redact_event(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """A processor: the gateway password masked in every value of the line, the traceback included."""
    return {key: _redacted(value) for key, value in event.items()}


def drop_django_objects(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """A processor for the standard library's records: Django hands its access and error lines the
    request itself as an extra (`request`: runserver's socket, or the HttpRequest) and runserver its
    own clock (`server_time`). The message says which request and the line has its time; printed,
    they would be an object's repr (`<socket.socket fd=4 ...>`)."""
    event.pop("server_time", None)
    if not isinstance(event.get("request"), str):
        event.pop("request", None)
    return event


def structured_formatter(*, style: str = "console") -> logging.Formatter:
    """The formatter LOGGING names (`"()"`): called when Django configures logging, it also sets
    structlog up, so both kinds of logger end in the same processors and renderer. `style` is
    "json" (one object a line) or "console"."""
    structlog.configure(
        processors=[*SHARED, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: Any = (structlog.processors.JSONRenderer() if style == "json"
                     else structlog.dev.ConsoleRenderer(colors=False))
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*SHARED, structlog.stdlib.ExtraAdder(), drop_django_objects],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,  # the traceback as text, so it is masked too
                    redact_event, renderer],
    )


@contextmanager
def about(*, gateway_request: int | None = None, iccid: str | None = None, user: str | None = None) -> Iterator[None]:
    """Every line logged inside the block (in this thread, and in threads that copy its context)
    names this journal request, SIM and acting user."""
    ids = {key: value for key, value in
           {"gateway_request": gateway_request, "iccid": iccid, "user": user}.items() if value is not None}
    with structlog.contextvars.bound_contextvars(**ids):
        yield


def said(exc: GatewayError) -> str:
    """What went wrong with a call, in words fit for a log line: an unreadable reply's reason without
    its body (a despatch reply can echo the recipient's name and address)."""
    if isinstance(exc, GatewayReplyUnreadable):
        return f"aql's reply could not be read: {exc.reason}"
    return str(exc)
