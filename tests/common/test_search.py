"""Finding by part of a name through the trigram index, kept in step with every change; admin
lists that search through indexes only and page no deeper than they count."""

import pytest
from django.contrib.admin.sites import site
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.admin import LongList
from common.models import AuditEvent
from common.search import contains_q
from orders.models import DespatchOrder, StockLevel
from sims.models import GatewayRequest, GeographicNumber, Sim, SimEvent, Subscriber
from sims.search import _person_q
from tests.conftest import activation, many_sims, member_of

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


def test_a_part_across_words_or_with_quotes_is_found_as_typed_and_nothing_else(db):
    for name in ("Mary O'Neil", 'Jo "Dot" Smith', "Anne-Marie Dupont", "Anne Marie"):
        Subscriber.objects.create(name=name, address="1 Road", postcode="LS1 1AA", contact_number="4411")
    assert found("o'ne") == {"Mary O'Neil"}
    assert found('"dot"') == {'Jo "Dot" Smith'} and found('o "d') == {'Jo "Dot" Smith'}
    assert found("ne-ma") == {"Anne-Marie Dupont"} and found("anne marie") == {"Anne Marie"}
    assert found("marie-dup") == set() and found("nne ma") == {"Anne Marie"}
    assert found('" OR "') == set()  # the term is a phrase, never FTS5's query language


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


# --- the SIM list's search by a subscriber's name and postcode -------------------------------------

PEOPLE = {"Gary Wilson": "G41 5ZF", "Ann Smith": "G41 5ZF", "Ivy Wilson": "G42 1AB", "Joe Wilson": "G4 1AA",
          "Sam Wilson": "G41 2AB"}


def subscribed(people: dict[str, str] = PEOPLE) -> dict[str, str]:
    """A SIM for each of these people (name: postcode): the ICCIDs, by name."""
    sims = many_sims(len(people))
    for sim, (name, postcode) in zip(sims, people.items(), strict=True):
        Subscriber.objects.filter(pk=sim.subscriber_id).update(name=name, postcode=postcode)
    return {name: sim.iccid for sim, name in zip(sims, people, strict=True)}


def listed(client, term: str) -> set[str]:
    page = client.get("/sims/", {"q": term})
    return {sim.subscriber.name for sim in page.context["sims"]}


def test_a_name_and_a_postcode_together_find_that_persons_sim(client, staff, world):
    subscribed()
    client.force_login(staff)
    for term in ("Wilson G41 5ZF", "wilson g415zf", "G41 5ZF Wilson", "gary wilson  G41 5ZF"):
        assert listed(client, term) == {"Gary Wilson"}, term
    assert listed(client, "Smith G41 5ZF") == {"Ann Smith"}
    assert listed(client, "Wilson G42 1AB") == {"Ivy Wilson"}
    assert listed(client, "Lovelace G41 5ZF") == set()
    assert listed(client, "Wilson G41") == {"Gary Wilson", "Sam Wilson"}  # a name in a district


def test_the_first_half_of_a_postcode_finds_its_district_and_no_other(client, staff, world):
    subscribed()
    client.force_login(staff)
    assert listed(client, "G41") == listed(client, "g41") == {"Gary Wilson", "Ann Smith", "Sam Wilson"}
    assert listed(client, "G4") == {"Joe Wilson"}  # G4 is a district of its own, not the start of G41
    assert listed(client, "G41 5") == {"Gary Wilson", "Ann Smith"}  # a sector
    assert listed(client, "G41 5ZF") == {"Gary Wilson", "Ann Smith"}


def test_a_postcode_district_of_two_characters_is_searched_not_refused_as_too_short(client, staff, world):
    subscribed({"Eve Adams": "E1 6AN", "Al Bury": "E16 1AA"})
    client.force_login(staff)
    page = client.get("/sims/", {"q": "E1"})
    assert {sim.subscriber.name for sim in page.context["sims"]} == {"Eve Adams"}
    assert "Type at least" not in page.text
    hint = client.get("/sims/", {"q": "Ad"}).text
    assert "Type at least 3 letters of a name, or a postcode&#x27;s first half (G41)." in hint


def test_one_who_may_not_see_personal_details_finds_nobody_by_postcode(client, world, django_user_model):
    subscribed()
    client.force_login(member_of("Observer", "looker", django_user_model))
    assert list(client.get("/sims/", {"q": "G41"}).context["sims"]) == []
    assert list(client.get("/sims/", {"q": "Wilson G41 5ZF"}).context["sims"]) == []


def test_the_django_admin_finds_sims_by_name_and_postcode_too(admin_client, world):
    iccids = subscribed()
    page = admin_client.get("/admin/sims/sim/", {"q": "Wilson G41 5ZF"}).text
    assert iccids["Gary Wilson"] in page and iccids["Sam Wilson"] not in page
    district = admin_client.get("/admin/sims/sim/", {"q": "G41"}).text
    assert iccids["Sam Wilson"] in district and iccids["Joe Wilson"] not in district


def test_searches_by_postcode_run_the_same_queries_for_10_and_1000_sims(client, staff, world):
    subscribed()
    client.force_login(staff)
    terms = ("Wilson G41 5ZF", "G41", "G41 5", "Wilson G41")

    def queries() -> dict[str, int]:
        counted = {}
        for term in terms:
            with CaptureQueriesContext(connection) as captured:
                assert client.get("/sims/", {"q": term}).status_code == 200
            counted[term] = len(captured)
        return counted

    at_ten = queries()
    assert Sim.objects.count() == 15
    many_sims(985, start=200_000)
    assert queries() == at_ten


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan; PostgreSQL's is read in the benchmark")
def test_a_postcode_or_its_first_half_is_read_from_the_postcode_index_not_by_walking_people(world):
    for term in ("Wilson G41 5ZF", "G41", "G41 5"):
        plan = Subscriber.objects.filter(_person_q(term)).explain()
        assert "sims_subscriber_postcode" in plan and "SCAN" not in plan, (term, plan)


def test_a_search_matching_more_people_than_it_looks_at_says_the_list_is_not_all(client, staff, world, monkeypatch):
    monkeypatch.setattr("sims.search.NAME_MATCHES", 3)
    subscribed({f"Wilson {n}": "G41 5ZF" for n in range(4)} | {"Ann Smith": "G42 1AB"})
    client.force_login(staff)
    page = client.get("/sims/", {"q": "G41"})
    assert len(page.context["sims"]) == 3
    assert "More than 3 people match “G41”: the list shows the SIMs of 3 of them, not all." in page.text
    for within in ("G42", "Ann", "Smith G42 1AB"):  # within the limit: nothing said
        assert 'id="cut-short"' not in client.get("/sims/", {"q": within}).text, within


def test_a_name_matching_more_people_than_it_looks_at_says_so_and_the_index_reads_no_more(client, staff, world,
                                                                                         monkeypatch):
    monkeypatch.setattr("sims.search.NAME_MATCHES", 3)
    people = subscribed({f"{first} Wilson": "G41 5ZF" for first in ("Ann", "Bob", "Cy", "Di", "Ed")})
    client.force_login(staff)
    with CaptureQueriesContext(connection) as seen:
        page = client.get("/sims/", {"q": "wilson"})
    assert len(page.context["sims"]) == 3 and {sim.iccid for sim in page.context["sims"]} <= set(people.values())
    assert "More than 3 people match “wilson”: the list shows the SIMs of 3 of them, not all." in page.text
    if connection.vendor == "sqlite":  # the trigram index is asked for one more than the list looks at
        assert any("MATCH" in q["sql"] and "LIMIT 4)" in q["sql"] for q in seen.captured_queries), seen.captured_queries
    monkeypatch.setattr("sims.search.NAME_MATCHES", 5)  # all of them: nothing said
    assert len(client.get("/sims/", {"q": "wilson"}).context["sims"]) == 5
    assert 'id="cut-short"' not in client.get("/sims/", {"q": "wilson"}).text
