"""The SIM list and the journal as CSV files: every row the filters show (not one page), in words,
matching the data; personal details only for those who may see them."""

import csv
import io
import json

import pytest

from common.validators import phone_national
from sims import services
from sims.lifecycle import SimState
from sims.models import GatewayRequest, Sim
from tests.conftest import iccid, many_sims, member_of

pytestmark = pytest.mark.django_db


def read(response) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8" and response.streaming
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_sim_csv_has_every_sim_the_filter_shows_as_the_list_shows_it(client, staff, world, make_sim):
    client.force_login(staff)
    make_sim(1, number="44113000001")
    many_sims(130)  # more than a page of the list, and than one page of the export
    Sim.objects.filter(iccid__in=[iccid(1), iccid(100_002)]).update(product_code="AQL-123", lot="B7")
    rows = read(client.get("/sims.csv?state=active"))
    active = Sim.objects.filter(state=SimState.ACTIVE).select_related("number", "subscriber").order_by("pk")
    assert [r["iccid"] for r in rows] == [s.iccid for s in active] and len(rows) == 131
    first, customer = rows[0], rows[1]
    assert first["state"] == "Active" and first["number"] == phone_national("44113000001")
    assert json.loads(first["services"]) == {"int_roaming": False, "int_calling": False, "mo_voice": True,
                                             "mt_voice": True, "mo_sms": True, "mt_sms": True}
    assert first["premium"] == "no"
    assert (customer["subscriber_name"], customer["subscriber_postcode"]) == ("Customer 0", "LS1 1AA")
    assert {r["product_code"] for r in rows} >= {"AQL-123", ""}
    assert len(read(client.get("/sims.csv?q=Customer 12"))) == 1 + 10  # a search, as the list's


def test_one_who_may_not_see_personal_details_gets_no_such_column(client, world):
    many_sims(2)
    client.force_login(member_of("Observer", "obs"))
    rows = read(client.get("/sims.csv"))
    assert len(rows) == 12 and "subscriber_name" not in rows[0] and "Customer" not in str(rows)


def test_the_journal_csv_has_every_request_the_filters_show_in_words(client, staff, world, make_sim):
    client.force_login(staff)
    sim = make_sim(1, number="44113000001")
    world.fake.force("suspend", [500])  # the answer lost
    services.sim_suspend(sim_id=sim.pk, actor=staff, reason="stolen")
    services.sim_query(sim_id=sim.pk, actor=staff)
    rows = read(client.get("/requests.csv?show=unknown"))
    request = GatewayRequest.objects.get(state="unknown")
    assert rows == [{"id": str(request.pk), "sent_at": rows[0]["sent_at"], "iccid": sim.iccid, "command": "Suspend",
                     "state": "Outcome unknown", "outcome": rows[0]["outcome"], "by": staff.username,
                     "aql_request_id": "", "batch": "", "settled_at": "", "reason": "stolen"}]
    assert "not resent" in rows[0]["outcome"] or "unknown" in rows[0]["outcome"].lower()
    assert len(read(client.get("/requests.csv"))) == 2
    client.force_login(member_of("Customer service", "cs"))
    assert client.get("/requests.csv").status_code == 200


def test_a_value_a_spreadsheet_would_run_as_a_formula_is_written_as_text(client, staff, world, make_sim):
    client.force_login(staff)
    Sim.objects.filter(pk=make_sim(1).pk).update(product_code="=HYPERLINK(1)", lot="@SUM(A:A)")
    first = read(client.get("/sims.csv?state=active"))[0]
    assert (first["product_code"], first["batch"]) == ("'=HYPERLINK(1)", "'@SUM(A:A)")


def test_the_journal_csv_runs_the_same_queries_for_a_few_rows_and_many(client, staff, world, make_sim):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff)
    sim = make_sim(1, number="44113000001")

    def queries() -> int:
        with CaptureQueriesContext(connection) as done:
            read(client.get("/requests.csv?who=all"))
        return len(done)

    services.sim_query(sim_id=sim.pk, actor=staff)
    few = queries()
    for _ in range(5):
        services.sim_query(sim_id=sim.pk, actor=staff)  # each says what it found, read with the rows
    assert queries() == few
