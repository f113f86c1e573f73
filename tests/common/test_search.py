"""Finding by part of a name through the trigram index, kept in step with every change; admin
lists that search through indexes only and page no deeper than they count."""

import pytest
from django.contrib.admin.sites import site

from common.admin import LongList
from common.models import AuditEvent
from common.search import contains_q
from orders.models import DespatchOrder, StockLevel
from sims.models import GatewayRequest, GeographicNumber, Sim, SimEvent, Subscriber
from tests.conftest import activation, many_sims

pytestmark = pytest.mark.django_db


def found(term: str) -> set[str]:
    return set(Subscriber.objects.filter(contains_q(Subscriber, "name", term)).values_list("name", flat=True))


def test_part_of_a_name_in_any_case_finds_it_and_the_index_keeps_up_with_changes(db):
    ada = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA", contact_number="4411")
    Subscriber.objects.create(name="Charles Babbage", address="2 Road", postcode="LS1 1AB", contact_number="4411")
    assert found("lovel") == found("LOVELACE") == {"Ada Lovelace"}
    assert found("ag") == set()  # two letters: too short for the index (the page says to type more)
    ada.name = "Ada King"
    ada.save()
    assert found("lovel") == set() and found("king") == {"Ada King"}
    ada.delete()
    assert found("king") == set() and found("babb") == {"Charles Babbage"}


def test_the_admin_searches_by_whole_values_and_names_not_by_scanning(admin_client, world, make_sim, staff):
    from sims import services

    sim = make_sim(2, state="unused")
    request = services.sim_activate(sim_id=sim.pk, actor=staff, **activation())
    assert request.aql_id
    journal = admin_client.get("/admin/sims/gatewayrequest/", {"q": str(request.aql_id)}).text
    assert f"/admin/sims/gatewayrequest/{request.pk}/change/" in journal
    assert "0 results" in admin_client.get("/admin/sims/gatewayrequest/", {"q": "Ada"}).text
    by_iccid = admin_client.get("/admin/sims/gatewayrequest/", {"q": sim.iccid})
    assert f"/admin/sims/gatewayrequest/{request.pk}/change/" in by_iccid.text
    assert "JOIN" not in str(by_iccid.context["cl"].queryset.query).split("ORDER BY")[0].split("WHERE")[1]
    assert admin_client.get("/admin/sims/gatewayrequest/", {"q": "9" * 20}).status_code == 200  # no BIGINT
    events = admin_client.get("/admin/sims/simevent/", {"q": sim.iccid[:10] + " " + sim.iccid[10:]}).text
    assert sim.iccid in events
    people = admin_client.get("/admin/sims/subscriber/", {"q": "lovel"}).text
    assert "Ada Lovelace" in people
    assert "Ada Lovelace" in admin_client.get("/admin/sims/subscriber/", {"q": "ls10 1jq"}).text


def test_an_admin_list_pages_no_deeper_than_it_counts_and_says_so(admin_client, world, monkeypatch):
    monkeypatch.setattr("common.admin.ADMIN_ROWS_AT_MOST", 5)
    many_sims(8)
    page = admin_client.get("/admin/sims/sim/").text
    assert "This list shows its first 5 rows: narrow it with the search or the filters" in page
    narrowed = admin_client.get("/admin/sims/sim/", {"state__exact": "terminated"}).text
    assert "This list shows its first" not in narrowed


def test_every_admin_list_of_what_grows_with_the_sims_is_a_long_list():
    for model in (Sim, Subscriber, GeographicNumber, GatewayRequest, SimEvent, DespatchOrder, StockLevel, AuditEvent):
        assert isinstance(site._registry[model], LongList), model


def test_admin_lists_sort_only_by_columns_an_index_serves(admin_client, world):
    page = admin_client.get("/admin/sims/sim/").text
    assert "sortable column-iccid" in page and "sortable column-updated_at" in page  # walks of an index
    for column in ("state_badge", "number_shown", "subscriber"):  # would sort every SIM: not offered
        assert f"column-{column}" in page and f"sortable column-{column}" not in page
    for index in range(1, 7):  # a sort typed into the URL on any column: only the offered ones apply
        ordering = " ".join(map(str, admin_client.get("/admin/sims/sim/", {"o": str(index)}).context["cl"]
                                .queryset.query.order_by))
        assert "state" not in ordering and "number" not in ordering and "subscriber" not in ordering, index
