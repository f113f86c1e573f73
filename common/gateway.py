"""The configured aql clients: one of each per process, so connections are reused."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from django.conf import settings

from aql.despatch import DespatchClient
from aql.usim import UsimClient

_in_use: dict[str, UsimClient | DespatchClient] = {}  # clients handed in by `using`


@cache
def _configured_usim() -> UsimClient:
    return UsimClient(url=settings.AQL_USIM_URL, username=settings.AQL_USERNAME,
                      password=settings.AQL_PASSWORD, timeout=settings.AQL_TIMEOUT)


@cache
def _configured_despatch() -> DespatchClient:
    return DespatchClient(url=settings.AQL_DESPATCH_URL, username=settings.AQL_USERNAME,
                          password=settings.AQL_PASSWORD, timeout=settings.AQL_TIMEOUT)


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
