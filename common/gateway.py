"""The configured aql clients: one of each per process, so connections are reused."""

import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from functools import cache

from django.conf import settings

from aql.despatch import DespatchClient
from aql.http import GatewaySession
from aql.usim import UsimClient

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
    """The USIM gateway client for the configured account."""
    return _in_use.get("usim") or _configured_usim()  # type: ignore[return-value]


def despatch_client() -> DespatchClient:
    """The despatch endpoint client for the configured account."""
    return _in_use.get("despatch") or _configured_despatch()  # type: ignore[return-value]


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
