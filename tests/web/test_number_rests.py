"""Resting numbers on the staff pages: refused next to the number field with why and until when, shown
on the pool page (and its "resting" view) with a fixed number of queries, and a rest ended early from
there by a Supervisor, saying why."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.models import AuditAction, AuditEvent
from sims.models import GeographicNumber, Sim, Subscriber
from tests.conftest import POOL, activation, iccid, member_of
from tests.web.test_pages import count_queries

pytestmark = pytest.mark.django_db


def resting(values: list[str]) -> None:
    since = timezone.now() - timedelta(days=10)
    GeographicNumber.objects.filter(number__in=values).update(rests_since=since, rests_until=since + timedelta(days=90))


def test_a_typed_resting_number_is_refused_next_to_the_field_with_until_when(agent, world):
    resting([POOL[5]])
    page = agent.post(f"/sims/{iccid(3)}/activate/", activation(number="0113 000 005"))
    assert page.status_code == 200
    error = page.text.split('id="id_number_error">', 1)[1].split("</p>", 1)[0]
    assert error.startswith("0113 000 005 is resting until ") and "(it was another subscriber&#x27;s until " in error
    assert error.endswith("numbers rest 90 days before going to someone new.")
    assert Sim.objects.get(iccid=iccid(3)).state == "unused"


def test_the_number_search_does_not_offer_a_resting_number(agent, world):
    resting([POOL[5]])
    found = agent.get("/numbers/free/", {"number": "0113 000 00"}).text
    assert '<option value="0113 000 004">' in found and "0113 000 005" not in found


def test_the_pool_shows_a_resting_number_with_until_when_and_lists_the_resting_ones(agent, world):
    resting([POOL[5]])
    until = GeographicNumber.objects.get(number=POOL[5]).rests_until
    shown = f"resting until {timezone.localtime(until).day} {timezone.localtime(until):%B %Y}"
    assert shown in agent.get("/numbers/", {"q": "0113 000 005"}).text
    listed = agent.get("/numbers/", {"show": "resting"}).text
    assert "0113 000 005" in listed and "0113 000 004" not in listed and "End its rest" in listed
    assert "0113 000 005" not in agent.get("/numbers/", {"show": "available"}).text


def test_the_pool_pages_run_the_same_queries_for_10_resting_numbers_and_1000(agent, world):
    resting(POOL[:10])
    urls = ["/numbers/", "/numbers/?show=resting", "/numbers/?show=available", "/numbers/free/?number=0113"]
    at_ten = {url: count_queries(agent, url) for url in urls}
    people = Subscriber.objects.bulk_create(Subscriber(name=f"C {n}", address="1 Road", postcode="LS1 1AA",
                                                       contact_number="447700900123") for n in range(990))
    since = timezone.now()
    GeographicNumber.objects.bulk_create(
        GeographicNumber(number=str(441135000000 + n), rests_since=since, rests_until=since + timedelta(days=90),
                         rests_for=people[n]) for n in range(990))
    assert GeographicNumber.objects.resting().count() == 1000
    assert {url: count_queries(agent, url) for url in urls} == at_ten


def test_a_supervisor_ends_a_rest_from_the_pool_page_saying_why(agent, world):
    resting([POOL[5]])
    missing = agent.post(f"/numbers/{POOL[5]}/rest/end/", {"reason": ""})
    assert missing.status_code == 200
    assert ('<p class="error" id="id_reason_error">Say why the rest ends early: the audit trail keeps it.</p>'
            in missing.text)
    assert GeographicNumber.objects.get(number=POOL[5]).rests_until is not None
    done = agent.post(f"/numbers/{POOL[5]}/rest/end/", {"reason": "ported away"}, follow=True)
    assert "The rest of 0113 000 005 was ended: anyone may have it now." in done.text
    assert GeographicNumber.objects.get(number=POOL[5]).rests_until is None
    event = AuditEvent.objects.get(action=AuditAction.NUMBER_REST_ENDED)
    assert (event.actor_name, event.interface) == ("agent", "web") and event.message.endswith(": ported away")


def test_customer_service_can_neither_see_nor_use_the_end_rest_button(client, world):
    resting([POOL[5]])
    client.force_login(member_of("Customer service", "cs"))
    assert "End its rest" not in client.get("/numbers/", {"show": "resting"}).text
    assert client.post(f"/numbers/{POOL[5]}/rest/end/", {"reason": "because"}).status_code == 403
    assert GeographicNumber.objects.get(number=POOL[5]).rests_until is not None
