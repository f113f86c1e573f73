"""The journal's views and the dashboard's lists walk an index made for them, newest (or oldest)
first, and stop at the page: never a sort of every failure, nor a walk of every system request
(or of every order) to find their few. Read from each database's own plan (PostgreSQL told not
to scan the table, as it would for the few rows of a test)."""

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from sims.models import GatewayRequest
from sims.selectors import requests_filtered

pytestmark = pytest.mark.django_db


def plan(qs: QuerySet) -> str:
    sql, params = qs.query.sql_with_params()
    return plan_sql(sql, params)


def plan_sql(sql: str, params: tuple = ()) -> str:
    with connection.cursor() as c:
        if connection.vendor == "postgresql":
            c.execute("SET LOCAL enable_seqscan = off")
            c.execute("SET LOCAL enable_bitmapscan = off")
            c.execute(f"EXPLAIN {sql}", params)
        else:
            c.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(str(row[-1]) for row in c.fetchall())


def page_ids(qs: QuerySet) -> QuerySet:
    return qs.order_by("-created_at", "-pk").values_list("pk", flat=True)[:51]  # as common.paging asks


@pytest.fixture
def journal_as_it_grows() -> None:
    """On PostgreSQL, a journal shaped like a real one (mostly settled staff's, a few in flight or failed,
    fewer of them the system's), its statistics read: an empty table's plan is a tie PostgreSQL breaks
    by whatever statistics earlier tests left, and it has chosen a sort of another index's rows."""
    if connection.vendor != "postgresql":
        return
    from common.roles import SYSTEM_USERNAME
    from sims.lifecycle import Command, RequestState
    from tests.conftest import many_sims

    sims = many_sims(40)
    rows = [GatewayRequest(sim=sims[0], command=Command.QUERYICCID, state=RequestState.SUCCESS, actor_name="agent")
            for _ in range(3000)]
    for n, sim in enumerate(sims[1:]):  # one in flight a SIM, and a failure each; every fourth the system's
        who = SYSTEM_USERNAME if n % 4 == 0 else "agent"
        rows += [GatewayRequest(sim=sim, command=Command.SUSPEND, state=RequestState.PENDING, actor_name=who),
                 GatewayRequest(sim=sim, command=Command.REACTIVATE, state=RequestState.FAILED, actor_name=who)]
    GatewayRequest.objects.bulk_create(rows)
    with connection.cursor() as c:
        c.execute("ANALYZE sims_gatewayrequest")


@pytest.mark.usefixtures("journal_as_it_grows")
@pytest.mark.parametrize(("show", "who", "index"), [
    ("failed", "system", "request_system_failed"),
    ("in_flight", "system", "request_system_in_flight"),
    ("failed", "all", "request_failed"),
    ("in_flight", "all", "request_in_flight"),
])
def test_a_journal_view_walks_its_own_index(show, who, index):
    found = plan(page_ids(requests_filtered(show=show, who=who)))
    assert index in found
    assert "TEMP B-TREE" not in found and "Sort" not in found


def test_the_oldest_in_flight_needing_a_person_walk_their_own_index():
    qs = GatewayRequest.objects.filter(phase="in_flight", needs_attention=True).order_by("created_at", "pk")
    found = plan(qs.values_list("pk", flat=True)[:8])
    # SQLite may as well walk all in flight by date (the few needing a person come early): no sort either way.
    assert "request_attention_open" in found or (connection.vendor == "sqlite" and "request_in_flight" in found)
    assert "TEMP B-TREE" not in found and "Sort" not in found


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite cannot match a bound IN list to a partial index")
def test_the_oldest_open_orders_walk_their_own_index():
    from orders import selectors

    with CaptureQueriesContext(connection) as captured:
        selectors.open_orders()
    found = plan_sql(captured.captured_queries[-1]["sql"])
    assert "order_open_oldest" in found and "Sort" not in found


def test_the_phase_follows_the_state():
    """The database keeps it: a request's phase is in flight, failed, or neither, as its state is."""
    from sims.lifecycle import FAILURES, IN_FLIGHT, RequestState
    from tests.conftest import many_sims

    sims = many_sims(len(RequestState))
    for sim, state in zip(sims, RequestState, strict=True):
        GatewayRequest.objects.create(sim=sim, command="suspend", state=state, state_before="active")
    phases = dict(GatewayRequest.objects.values_list("state", "phase"))
    expected = {s.value: "in_flight" if s in IN_FLIGHT else "failed" if s in FAILURES else "" for s in RequestState}
    assert phases == expected


def test_the_dashboards_count_in_flight_is_read_from_the_index_alone():
    """Not the table's rows: 20,000 requests in flight at a million SIMs cost 42 ms from the table."""
    with CaptureQueriesContext(connection) as captured:
        GatewayRequest.objects.filter(phase="in_flight").count()
    assert captured[0]["sql"].replace("'", "").endswith('"phase" = in_flight')  # as Django asks it, the value bound:
    found = plan_sql('SELECT COUNT(*) FROM "sims_gatewayrequest" WHERE "phase" = %s', ("in_flight",))
    # SQLite: the phase searched in the index (it holds it), not checked on each row of the table
    assert "USING INDEX request_in_flight (phase=?)" in found or "Index Only Scan using request_in_flight" in found


@pytest.mark.parametrize("flag", ["mo_voice", "mt_voice", "mo_sms", "mt_sms"])
def test_admins_filter_on_a_service_not_known_walks_its_own_index(flag):
    """The few SIMs whose service aql has not told us: not a walk of every SIM by date to find them."""
    from sims.models import Sim

    qs = Sim.objects.filter(**{f"{flag}__isnull": True}).order_by("-updated_at", "-pk")
    found = plan(qs.values_list("pk", flat=True)[:2501])  # as admin's paginator asks (common.admin)
    assert f"sim_{flag}_not_known" in found
    assert "TEMP B-TREE" not in found and "Sort" not in found


# PostgreSQL chooses by its statistics: a test table's (a row or two, after the other tests) make a walk by date
# as cheap; at a million SIMs it walks these (docs/BENCHMARKS.md). SQLite has none, and chooses as it does live.
BY_STATISTICS = pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL plans by statistics a "
                                   "test table has not: checked at a million SIMs (docs/BENCHMARKS.md)")


@BY_STATISTICS
@pytest.mark.parametrize("flag", ["int_roaming", "int_calling", "mo_voice", "mt_voice", "mo_sms", "mt_sms", "premium"])
@pytest.mark.parametrize(("value", "index"), [(True, "sim_{}"), (False, "sim_no_{}")])
def test_admins_filter_yes_or_no_on_a_service_walks_its_own_index(flag, value, index):
    """Not a walk of every SIM by date checking each one's service (15-50 ms at a million SIMs)."""
    from sims.models import Sim

    qs = Sim.objects.filter(**{flag: value}).order_by("-updated_at", "-pk")
    found = plan(qs.values_list("pk", flat=True)[:2501])  # as admin's paginator asks (common.admin)
    assert index.format(flag) in found, found
    assert "TEMP B-TREE" not in found and "Sort" not in found


@BY_STATISTICS
def test_admins_search_of_the_audit_trail_by_username_walks_its_own_index():
    from common.models import AuditEvent

    found = plan(AuditEvent.objects.filter(actor_name="sam").order_by("-at", "-id").values_list("pk", flat=True)[:2501])
    assert "audit_actor_recent" in found and "TEMP B-TREE" not in found and "Sort" not in found


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the test's plans have bitmap scans off (above), which an "
                    "OR of indexes needs on PostgreSQL: at a million SIMs it is a BitmapOr (docs/BENCHMARKS.md)")
@pytest.mark.parametrize(("term", "index"), [("LS25 6UE", "order_postcode"), ("8944100000009996364", "order_iccid")])
def test_admins_search_of_orders_by_a_whole_postcode_or_iccid_reads_indexes_not_every_order(term, index, rf):
    from django.contrib import admin

    from orders.models import DespatchOrder

    model_admin = admin.site._registry[DespatchOrder]
    found, _ = model_admin.get_search_results(rf.get("/"), DespatchOrder.objects.all(), term)
    plan_found = plan(found.order_by("-created_at", "-pk").values_list("pk", flat=True)[:2501])
    assert "MULTI-INDEX OR" in plan_found and index in plan_found and "SCAN orders_despatchorder\n" not in plan_found


def test_admins_filter_of_low_stock_walks_its_own_index():
    from orders.models import StockLevel

    found = plan(StockLevel.objects.filter(low=True).order_by("-checked_at", "product__code", "-pk")
                 .values_list("pk", flat=True)[:2501])  # as admin's list asks, in the model's order
    assert "stock_low_recent" in found
