"""What aql cannot show, on the staff pages: a SIM adopted from aql (found in use there by a query)
has its calls and texts and its subscriber "not known" in words, its services changed without
guessing, and its subscriber filled in through a checked form."""

import csv
import io
import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sims import services
from sims.models import Sim, SimEvent, Subscriber
from tests.conftest import iccid, many_sims, member_of

pytestmark = pytest.mark.django_db

VOICE_AND_SMS = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")
PERSON = {"name": "Grace Hopper", "address": "1 Navy Yard\nLeeds", "postcode": "ls1 1aa",
          "contact_number": "0113 320 3040"}


@pytest.fixture
def agent(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def adopted(world, staff) -> Sim:
    """A SIM we held unused that aql has in use (calls, texts and roaming on), brought in line by a query."""
    sim = Sim.objects.get(iccid=iccid(3))
    world.fake.put_sim(sim.iccid, state="active", geo_nos="44113000007", services=("int_roaming", *VOICE_AND_SMS))
    services.sim_query(sim_id=sim.pk, actor=staff)
    return Sim.objects.get(pk=sim.pk)


def addservice_and_removeservice(world) -> list[tuple[str, list[str]]]:
    return [(call.command, sorted(k[len("service["):-1] for k in call.params if k.startswith("service[")))
            for call in world.fake.calls if call.command in ("addservice", "removeservice")]


def test_the_sim_page_says_calls_and_texts_and_the_subscriber_are_not_known_never_off(agent, adopted):
    page = agent.get(f"/sims/{adopted.iccid}/").text
    assert '<dd id="service-states">International roaming</dd>' in page
    assert ('<dd id="services-not-known">Outgoing calls, Incoming calls, Outgoing SMS, Incoming SMS: not known '
            "(adopted from aql, whose record does not show them).") in page
    assert re.search(r"<dt>Subscriber</dt><dd>not known \(adopted from aql, whose record has none\):\s*"
                     rf'<a href="/sims/{adopted.iccid}/subscriber/">fill in the subscriber…</a>', page)


def test_the_services_form_leaves_what_is_not_known_as_it_is_unless_told(agent, world, adopted):
    page = agent.get(f"/sims/{adopted.iccid}/").text
    assert 'name="set_mo_voice" value="leave" id="id_set_mo_voice_0" checked' in page
    assert 'value="int_roaming" aria-describedby="services-help" checked' in page
    agent.post(f"/sims/{adopted.iccid}/services/", {"services": ["int_roaming", "int_calling"]})
    assert addservice_and_removeservice(world) == [("addservice", ["int_calling"])]


def test_a_service_not_known_can_be_switched_off(agent, world, adopted):
    leave = {f"set_{name}": "leave" for name in ("mo_voice", "mt_voice", "mt_sms")}
    agent.post(f"/sims/{adopted.iccid}/services/", {"services": ["int_roaming"], "set_mo_sms": "off", **leave})
    assert addservice_and_removeservice(world) == [("removeservice", ["mo_sms"])]


def test_the_sim_csv_maps_each_service_to_true_false_or_null(agent, adopted):
    response = agent.get("/sims.csv?state=active")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert json.loads(rows[0]["services"]) == {"int_roaming": True, "int_calling": False,
                                               **dict.fromkeys(VOICE_AND_SMS)}


# --- the subscriber, filled in -------------------------------------------------------------------

def test_a_bad_postcode_is_refused_at_its_field_and_nothing_is_recorded(agent, adopted):
    response = agent.post(f"/sims/{adopted.iccid}/subscriber/", {**PERSON, "postcode": "NOWHERE"})
    assert response.status_code == 200
    assert 'id="id_postcode_error">Enter a UK postcode, like LS10 1JQ.' in response.text
    assert 'value="Grace Hopper"' in response.text
    assert not Subscriber.objects.exists() and Sim.objects.get(pk=adopted.pk).subscriber is None


def test_the_subscriber_filled_in_is_on_the_sim_and_in_its_trail_without_the_details(agent, staff, adopted):
    response = agent.post(f"/sims/{adopted.iccid}/subscriber/", PERSON, follow=True)
    assert "The subscriber&#x27;s details were recorded." in response.text
    sim = Sim.objects.select_related("subscriber").get(pk=adopted.pk)
    assert (sim.subscriber.name, sim.subscriber.postcode, sim.subscriber.contact_number) == (
        "Grace Hopper", "LS1 1AA", "441133203040")
    event = sim.events.first()
    assert (event.action, event.actor) == ("changed", staff)
    assert event.message == "The subscriber's details were filled in: not known before (adopted from aql)."
    assert "Grace" not in str(list(SimEvent.objects.values()))
    page = agent.get(f"/sims/{adopted.iccid}/").text
    assert "<dt>Subscriber</dt><dd>Grace Hopper</dd>" in page and "whose record has none" not in page
    again = agent.post(f"/sims/{adopted.iccid}/subscriber/", PERSON)
    assert "This SIM&#x27;s subscriber is on record already" in again.text and Subscriber.objects.count() == 1


def test_an_unused_sims_subscriber_cannot_be_filled_in(agent, world):
    page = agent.get(f"/sims/{iccid(0)}/subscriber/").text
    assert "Only a SIM in use has a subscriber to fill in." in page and "<form" not in page.split("<h1")[1]


def test_only_one_who_may_activate_may_fill_in_a_subscriber(client, adopted, django_user_model):
    client.force_login(member_of("Observer", "watcher", django_user_model))
    assert "fill in the subscriber" not in client.get(f"/sims/{adopted.iccid}/").text
    assert client.post(f"/sims/{adopted.iccid}/subscriber/", PERSON).status_code == 403
    assert not Subscriber.objects.exists()


def count_queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_adopted_sims_pages_run_the_same_queries_for_10_and_1000_sims(agent, adopted):
    urls = [f"/sims/{adopted.iccid}/", f"/sims/{adopted.iccid}/subscriber/", "/sims/?state=active"]
    at_ten = {url: count_queries(agent, url) for url in urls}
    many_sims(990)
    Sim.objects.filter(iccid__gte=iccid(100_000)).update(**dict.fromkeys(VOICE_AND_SMS))  # adopted, all of them
    assert Sim.objects.count() == 1000
    assert {url: count_queries(agent, url) for url in urls} == at_ten
