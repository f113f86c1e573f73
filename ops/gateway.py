"""The configured aql clients: one of each per process, so connections are reused. Every call
through them is counted and timed (ops.metrics) and logged, with the journal request, SIM and
user bound where it was made (ops.logs)."""

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from datetime import datetime
from functools import cache, wraps
from typing import Any, Generic, TypeVar

import structlog
from django.conf import settings
from django.utils import timezone

from aql.despatch import DespatchClient
from aql.http import GatewayRejected, GatewayReplyUnreadable, GatewaySession, GatewayUnreachable
from aql.usim import UsimClient
from ops import metrics
from ops.logs import said

C = TypeVar("C", UsimClient, DespatchClient)
logger = structlog.get_logger(__name__)
_answered: list[datetime] = []  # when aql last answered a call from this process (the worker's evidence)


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    if isinstance(exc, GatewayRejected):
        return "rejected"
    if isinstance(exc, GatewayUnreachable):
        return "unreachable"
    if isinstance(exc, GatewayReplyUnreadable):
        return "unreadable"
    return "error"


class Observed(Generic[C]):
    """A client whose every command (its public methods) is counted by outcome and error code,
    timed, and logged: a line a call, without the fields sent or aql's reply (personal details)."""

    def __init__(self, client: C) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._client, name)
        if name.startswith("_") or not callable(found):
            return found
        return self._observed(name, found)

    @staticmethod
    def _observed(command: str, call: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(call)
        def observed(*args: Any, **kwargs: Any) -> Any:
            started, failure = time.monotonic(), None
            try:
                with metrics.GATEWAY_IN_PROGRESS.track_inprogress():
                    return call(*args, **kwargs)
            except Exception as exc:
                failure = exc
                raise
            finally:
                seconds, outcome = time.monotonic() - started, _outcome(failure)
                metrics.GATEWAY_CALLS.labels(command, outcome).inc()
                metrics.GATEWAY_SECONDS.labels(command).observe(seconds)
                if isinstance(failure, GatewayRejected):
                    for number in failure.numbers:
                        metrics.GATEWAY_CODES.labels(command, str(number)).inc()
                if outcome in ("ok", "rejected"):  # aql answered: it is reachable
                    _answered[:] = [timezone.now()]
                logger.info("aql call", command=command, outcome=outcome, seconds=round(seconds, 3),
                            **({"why": said(failure)} if outcome in ("rejected", "unreachable", "unreadable")
                               else {}))

        return observed


def last_answer() -> datetime | None:
    """When aql last answered a call made by this process, if it has."""
    return _answered[0] if _answered else None

_in_use: dict[str, UsimClient | DespatchClient] = {}  # clients handed in by `using`
_gate: ContextVar[threading.BoundedSemaphore | None] = ContextVar("gate", default=None)


def _through_gate() -> AbstractContextManager:
    return _gate.get() or nullcontext()


@contextmanager
def at_most(calls: int) -> Iterator[None]:
    """Inside the block (and in threads that copy its context), at most `calls` calls to aql at once
    through the configured clients: each waits for a free place before it is made."""
    token = _gate.set(threading.BoundedSemaphore(calls))
    try:
        yield
    finally:
        _gate.reset(token)


def _session() -> GatewaySession:
    return GatewaySession(settings.AQL_TIMEOUT, gate=_through_gate)


@cache
def _configured_usim() -> UsimClient:
    return UsimClient(url=settings.AQL_USIM_URL, username=settings.AQL_USERNAME,
                      password=settings.AQL_PASSWORD, timeout=settings.AQL_TIMEOUT, session=_session())


@cache
def _configured_despatch() -> DespatchClient:
    return DespatchClient(url=settings.AQL_DESPATCH_URL, username=settings.AQL_USERNAME,
                          password=settings.AQL_PASSWORD, timeout=settings.AQL_TIMEOUT, session=_session())


def usim_client() -> UsimClient:
    """The USIM gateway client for the configured account, observed."""
    return Observed(_in_use.get("usim") or _configured_usim())  # type: ignore[return-value]


def despatch_client() -> DespatchClient:
    """The despatch endpoint client for the configured account, observed."""
    return Observed(_in_use.get("despatch") or _configured_despatch())  # type: ignore[return-value]


@contextmanager
def using(*, usim: UsimClient) -> Iterator[None]:
    """Send through a client built for the purpose inside the block (the demo's impatient one),
    rather than changing settings at run time. One thread: not for a web or worker process."""
    _in_use["usim"] = usim
    try:
        yield
    finally:
        _in_use.pop("usim", None)


def reset() -> None:
    """Forget the clients (after the settings change, as in tests)."""
    _configured_usim.cache_clear()
    _configured_despatch.cache_clear()
