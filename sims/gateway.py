"""The configured aql clients: one of each per process, so connections are reused."""

from functools import cache

from django.conf import settings

from aql.despatch import DespatchClient
from aql.usim import UsimClient


@cache
def usim_client() -> UsimClient:
    """The USIM gateway client for the configured account."""
    return UsimClient(url=settings.AQL_USIM_URL, username=settings.AQL_USERNAME,
                      password=settings.AQL_PASSWORD, timeout=settings.AQL_TIMEOUT)


@cache
def despatch_client() -> DespatchClient:
    """The despatch endpoint client for the configured account."""
    return DespatchClient(url=settings.AQL_DESPATCH_URL, username=settings.AQL_USERNAME,
                          password=settings.AQL_PASSWORD, timeout=settings.AQL_TIMEOUT)


def reset() -> None:
    """Forget the clients (after the settings change, as in tests)."""
    usim_client.cache_clear()
    despatch_client.cache_clear()
