"""The API's rate limit: at most API_RATE calls per key, counted in the cache every process shares
(settings: CACHES["shared"], the database's cache table unless CACHE_URL names Redis), so
gunicorn's workers and several machines hold one limit between them, not one each."""

from math import ceil

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import router, transaction
from django.http import HttpRequest
from ninja.throttling import AuthRateThrottle


class KeyThrottle(AuthRateThrottle):
    """API_RATE per key, in fixed windows of the rate's period (a minute): one small counter a key
    and window, read and written once a call (ninja's own keeps every call's time, rewritten each
    call)."""

    def __init__(self) -> None:
        super().__init__(settings.API_RATE)
        self.wait_for = 0.0

    @property
    def shared(self):  # looked up each call: tests and settings may swap it
        return caches["shared"]

    def allow_request(self, request: HttpRequest) -> bool:
        now = self.timer()
        window_end = (now // self.duration + 1) * self.duration
        self.wait_for = window_end - now
        key = f"{self.get_cache_key(request)}:{int(window_end)}"
        return self._count(key, timeout=ceil(self.wait_for) + 1) <= self.num_requests

    def _count(self, key: str, *, timeout: int) -> int:
        """This call counted in, unless the window is full already: the count."""
        cache = self.shared
        if isinstance(cache, DatabaseCache):
            # Read and written in one transaction: on SQLite (IMMEDIATE) two processes take turns,
            # so no call is lost between them. (PostgreSQL's read committed may count two calls
            # at the same instant as one: Redis counts exactly.)
            with transaction.atomic(using=router.db_for_write(cache.cache_model_class)):
                count = cache.get(key, 0) + 1
                if count <= self.num_requests:
                    cache.set(key, count, timeout)
            return count
        cache.add(key, 0, timeout)  # Redis: add and incr are each atomic there
        return cache.incr(key)

    def wait(self) -> float:
        return self.wait_for
