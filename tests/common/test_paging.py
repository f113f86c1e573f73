"""Paging by seeking: every row once, in order, forwards and back, ties in the sort key included,
and page N costs what page 1 does."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.paging import PAGE_SIZE, seek
from sims.models import Sim
from sims.selectors import SIM_SORTS
from tests.conftest import many_sims

pytestmark = pytest.mark.django_db


@pytest.fixture
def sims(world) -> list[Sim]:
    made = many_sims(PAGE_SIZE * 3 + 7)
    now = timezone.now()
    for n, sim in enumerate(made):  # whole runs of SIMs changed at the same microsecond: ties to break by id
        Sim.objects.filter(pk=sim.pk).update(updated_at=now - timedelta(seconds=n // 20),
                                             state=("active", "suspended", "unused")[n % 3])
    return made


@pytest.mark.parametrize("sort", SIM_SORTS)
def test_walking_forwards_then_back_shows_every_row_once_in_order(sims, sort):
    qs, order = Sim.objects.all(), SIM_SORTS[sort]
    expected = list(qs.order_by(*order).values_list("pk", flat=True))
    pages, page = [], seek(qs, order)
    while True:
        pages.append([s.pk for s in page.rows])
        if not page.next:
            break
        page = seek(qs, order, page.next)
    assert [pk for rows in pages for pk in rows] == expected
    assert all(len(rows) == PAGE_SIZE for rows in pages[:-1])

    for rows in reversed(pages[:-1]):  # and back, page by page, to the first
        page = seek(qs, order, page.previous)
        assert [s.pk for s in page.rows] == rows
    assert page.previous == ""


def test_a_page_deep_in_the_list_costs_what_the_first_does_and_sorts_ids_alone(sims):
    qs, order = Sim.objects.select_related("number"), SIM_SORTS["updated"]
    with CaptureQueriesContext(connection) as first:
        page = seek(qs, order)
    for _ in range(2):
        page = seek(qs, order, page.next)
    with CaptureQueriesContext(connection) as deep:
        seek(qs, order, page.next)
    assert len(first) == 2  # the page's ids from the index, then those rows
    # deep: the ids a range of the index at a time (the rest of this updated_at, then the older), then the rows
    assert len(deep) == 3
    assert all("OFFSET" not in q["sql"].upper() and "JOIN" not in q["sql"].upper() for q in deep[:2])
    assert "JOIN" in deep[2]["sql"].upper() and "ORDER BY" not in deep[2]["sql"].upper()


def test_a_page_within_a_state_is_one_range_of_the_index(sims):
    """By state, the next page is the rest of this state after this id: an equality and one bound,
    which both databases seek to (not state >= X, which walks every SIM in the states before)."""
    Sim.objects.filter(pk__in=[sim.pk for sim in sims[:PAGE_SIZE * 2 + 10]]).update(state="active")
    qs, order = Sim.objects.all(), SIM_SORTS["state"]
    page = seek(qs, order)
    with CaptureQueriesContext(connection) as deep:
        seek(qs, order, page.next)
    assert len(deep) == 2
    sql = deep[0]["sql"]
    assert '"state" = ' in sql and ">=" not in sql and " OR " not in sql.upper()
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute(f"EXPLAIN QUERY PLAN {sql}")
            assert "(state=? AND id>?)" in " ".join(str(row[-1]) for row in c.fetchall())


@pytest.mark.parametrize("token", ["", "nonsense", "W3RydWUsWzFdXQ", "W3RydWUsWyJ4IiwxXV0"])
def test_a_token_that_is_not_ours_gives_the_first_page(sims, token):
    first = seek(Sim.objects.all(), SIM_SORTS["updated"])
    assert seek(Sim.objects.all(), SIM_SORTS["updated"], token).rows == first.rows


@pytest.mark.parametrize("values", [["x", float("inf")], ["9999-12-31T23:59:59-23:00", 1], [1.5, 2], [True, 1],
                                    ["0001-01-01T00:00:00+01:00", 1], [None, 1], ["2026-01-01T00:00:00", 1]])
def test_a_typed_token_whose_values_no_database_takes_gives_the_first_page(sims, values):
    import base64
    import json

    token = base64.urlsafe_b64encode(json.dumps([True, values]).encode()).decode()
    first = seek(Sim.objects.all(), SIM_SORTS["updated"])
    assert seek(Sim.objects.all(), SIM_SORTS["updated"], token).rows == first.rows
