"""A read writes nothing: every page, htmx fragment, CSV and API GET, seen again by a signed-in person a
moment later, runs no INSERT, UPDATE or DELETE (on SQLite a write takes the one lock the worker needs).
The first view may (a session renewed, a cache filled): the second is what every later click costs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.common.test_roles import EXPECTED, places, users  # noqa: F401 (fixtures)
from tests.conftest import site_urls

WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
READS = sorted(name for name, (method, codes) in EXPECTED.items() if method == "GET" and codes[3] == 200)


def writes(client, url: str, **headers: str) -> list[str]:
    with CaptureQueriesContext(connection) as seen:
        response = client.get(url, **headers)
        b"".join(response.streaming_content) if response.streaming else response.content  # a CSV is made as read
    return [q["sql"] for q in seen if q["sql"].lstrip().split()[0].upper() in WRITES]


@pytest.mark.django_db
def test_every_page_seen_again_writes_nothing(client, users, places):  # noqa: F811
    """One world for every page (the world takes seconds to make: not once a page)."""
    client.force_login(users["Supervisor"])
    wrote = {}
    for name in READS:
        pattern = site_urls()[name]
        url = reverse(name, kwargs={k: places[k] for k in pattern.pattern.converters})
        writes(client, url)
        again = writes(client, url) + writes(client, url, HTTP_HX_REQUEST="true")  # and the pages' own refreshes
        if again:
            wrote[url] = again
    assert len(READS) > 30 and wrote == {}


@pytest.mark.django_db
def test_the_apis_reads_write_nothing(client, staff, world, make_sim):
    from api import keys

    make_sim(1, number="44113000001")
    _, key = keys.key_create(name="reader", role="Supervisor", owner=staff, actor=staff)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    for url in ("/api/v1/sims", "/api/v1/sims/89440000000000000001", "/api/v1/requests", "/api/v1/stock",
                "/api/v1/orders", "/api/v1/numbers"):
        writes(client, url, **auth)
        # The one write left: the key's rate counter, in the cache every process shares (the database's
        # table unless CACHE_URL names Redis: api/throttle.py). Nothing else.
        assert [w for w in writes(client, url, **auth) if ":throttle_" not in w] == [], url
