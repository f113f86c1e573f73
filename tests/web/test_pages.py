"""The staff pages through Django's test client, against the simulator: behind login, fixed queries,
forms that keep what was typed and put every error (ours or aql's) next to its field."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from common.models import Heartbeat
from orders import services as order_services
from orders.models import DespatchOrder
from sims import services, tasks
from sims.lifecycle import SimState
from sims.models import GatewayRequest, RequestState, Sim, SimEvent, Subscriber
from tests.conftest import activation, iccid, many_sims, totp_code

pytestmark = pytest.mark.django_db

PAGES = ["/", "/sims/", "/requests/", "/numbers/", "/orders/", "/stock/", "/orders/new/"]


@pytest.mark.parametrize("url", [*PAGES, f"/sims/{iccid(1)}/", f"/sims/{iccid(1)}/activate/"])
def test_every_page_asks_for_sign_in_first(client, world, url):
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/login/?next=")


def test_signing_in_leads_to_the_dashboard_after_the_second_factor(client, staff):
    response = client.post("/login/", {"username": "agent", "password": "pw-agent-123"}, follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/2fa/authenticate/"  # a Supervisor: a code next
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(staff)}, follow=True)
    assert response.redirect_chain[-1][0] == "/" and b"Dashboard" in response.content


# --- a fixed number of queries, whatever the number of rows -------------------------------------

def some_of_everything(staff, make_sim) -> Sim:
    """A SIM with history and a request in flight, an order and stock snapshots."""
    sim = make_sim(1, number="44113000001")
    Sim.objects.filter(pk=sim.pk).update(subscriber=Subscriber.objects.create(
        name="Customer Zero", address="1 Road", postcode="LS1 1AA", contact_number="447700900123"))  # found by name
    services.sim_query(sim_id=sim.pk, actor=staff)
    services.sim_suspend(sim_id=sim.pk, actor=staff)
    order_services.order_despatch(actor=staff, name="Jo Bloggs", company="", address="1 Road", postcode="LS1 1AA",
                                  contact_no="07700900123")
    order_services.stock_refresh()
    order_services.stock_refresh()
    return sim


def more_rows(sim: Sim, staff, count: int) -> None:
    """`count` more SIMs with numbers and subscribers, each with a request, and as many more events on `sim`."""
    new = many_sims(count)
    GatewayRequest.objects.bulk_create(
        GatewayRequest(sim=s, command="queryiccid", state=RequestState.SUCCESS, state_before=SimState.UNUSED,
                       actor=staff) for s in new)
    SimEvent.objects.bulk_create(SimEvent(sim=sim, actor=staff, action="queried", message="x") for _ in new)


def count_queries(client, url: str) -> int:
    cache.clear()  # admin and the numbers page keep some counts: measure the cold path
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_each_page_runs_the_same_queries_for_10_and_1000_sims(world, staff, make_sim, agent):
    sim = some_of_everything(staff, make_sim)
    urls = [*PAGES, f"/sims/{sim.iccid}/", "/sims/?q=Customer", "/sims/?q=0002&state=active",
            "/requests/?show=in_flight", "/numbers/?show=available", "/numbers/?show=resting",
            f"/sims/{iccid(0)}/activate/"]
    at_ten = {url: count_queries(agent, url) for url in urls}
    assert Sim.objects.count() == 10
    more_rows(sim, staff, 990)
    assert Sim.objects.count() == 1000
    assert {url: count_queries(agent, url) for url in urls} == at_ten


# --- finding a SIM -------------------------------------------------------------------------------

def test_a_sim_is_found_by_the_last_digits_of_its_iccid(agent, world):
    page = agent.get("/sims/", {"q": iccid(7)[-4:]}).text
    assert iccid(7) in page and iccid(6) not in page


def test_a_sim_is_found_by_subscriber_name_postcode_or_number(agent, world, staff):
    request = services.sim_activate(sim_id=Sim.objects.get(iccid=iccid(3)).pk, actor=staff, **activation())
    world.fake.advance(world.fake.faults.settle_after)
    services.request_poll(request_id=request.pk)
    for term in ("lovelace", "LS10 1JQ", "0113000005"):
        page = agent.get("/sims/", {"q": term}).text
        assert iccid(3) in page and iccid(4) not in page, term


def test_the_list_filters_by_state_and_service(agent, world, make_sim):
    make_sim(1, number="44113000001", services=("int_roaming",))
    make_sim(2, state=SimState.SUSPENDED, number="44113000002")
    assert iccid(1) in agent.get("/sims/", {"service": "int_roaming"}).text
    assert iccid(2) not in agent.get("/sims/", {"service": "int_roaming"}).text
    page = agent.get("/sims/", {"state": "suspended"}).text
    assert iccid(2) in page and iccid(1) not in page


# --- a SIM's page ---------------------------------------------------------------------------------

def test_the_sim_page_offers_only_what_its_state_allows(agent, world, make_sim):
    active = agent.get(f"/sims/{make_sim(1, number='44113000001').iccid}/").text
    assert "Suspend…</a>" in active and "Terminate…" in active and "Activate…" not in active
    unused = agent.get(f"/sims/{iccid(0)}/").text
    assert "Activate…" in unused and "Suspend…</a>" not in unused


def test_activate_with_a_bad_postcode_shows_the_error_at_the_field_keeps_the_input_and_sends_nothing(agent, world):
    response = agent.post(f"/sims/{iccid(0)}/activate/", activation(postcode="NOWHERE"))
    assert response.status_code == 200
    assert 'id="id_postcode_error">Enter a UK postcode, like LS10 1JQ.' in response.text
    assert 'value="Ada Lovelace"' in response.text and 'value="NOWHERE"' in response.text
    assert world.fake.count("activate") == 0


def test_a_code_from_aql_is_shown_in_words_next_to_its_field(agent, world):
    world.fake.put_sim(iccid(9), state="active", geo_nos="44113000005")  # aql says the number is taken
    response = agent.post(f"/sims/{iccid(0)}/activate/", activation())
    assert response.status_code == 200
    assert ('id="id_number_error">That geographic number is already in use by another SIM. (aql code 63204)'
            in response.text)
    assert Sim.objects.get(iccid=iccid(0)).state == SimState.UNUSED


def test_activating_shows_the_sim_pending_then_active_after_the_worker(agent, world):
    response = agent.post(f"/sims/{iccid(0)}/activate/", activation(), follow=True)
    assert "Activate sent: aql is working on it." in response.text and "Activating" in response.text
    assert 'hx-trigger="every 5s"' in response.text  # updates by itself while in flight
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.update(next_poll_at=timezone.now())
    agent.post(f"/requests/{GatewayRequest.objects.get().pk}/check/")
    page = agent.get(f"/sims/{iccid(0)}/").text
    assert "badge-green" in page and "0113 000 005" in page and "every 5s" not in page


def test_a_button_the_state_forbids_changes_nothing_and_says_why(agent, world):
    response = agent.post(f"/sims/{iccid(0)}/suspend/", {"reason": "lost"}, follow=True)
    assert "Suspend needs a SIM that is active; this one is unused." in response.text
    assert world.fake.count("suspend") == 0


def test_terminating_needs_the_iccid_typed(agent, world, make_sim):
    sim = make_sim(1, number="44113000001")
    response = agent.post(f"/sims/{sim.iccid}/deactivate/", {"reason": "unpaid", "confirm": "1234"})
    assert response.status_code == 200 and "That is not this SIM&#x27;s ICCID." in response.text
    assert world.fake.count("deactivate") == 0
    agent.post(f"/sims/{sim.iccid}/deactivate/", {"reason": "unpaid", "confirm": sim.iccid})
    assert world.fake.count("deactivate") == 1


def test_services_are_ticked_as_they_are_and_an_unchanged_form_sends_nothing(agent, world, make_sim):
    sim = make_sim(1, number="44113000001")
    page = agent.get(f"/sims/{sim.iccid}/").text
    assert 'value="mo_voice" aria-describedby="services-help" checked' in page
    assert 'value="int_roaming" aria-describedby="services-help">' in page
    now = {"services": ["mo_voice", "mt_voice", "mo_sms", "mt_sms"]}
    response = agent.post(f"/sims/{sim.iccid}/services/", now)
    assert response.status_code == 200 and 'id="id_services_error">Nothing to change' in response.text
    world.fake.faults.unsupported_services = frozenset({"int_roaming"})
    response = agent.post(f"/sims/{sim.iccid}/services/", {"services": [*now["services"], "int_roaming"]})
    assert "The network does not offer that service yet. (aql code 63032)" in response.text
    assert world.fake.count("addservice") == 1 and world.fake.count("removeservice") == 0


def test_while_services_change_each_says_on_off_or_changing(agent, world, make_sim):
    sim = make_sim(1, number="44113000001", services=("mo_voice", "mt_voice"))
    agent.post(f"/sims/{sim.iccid}/services/", {"services": ["mo_voice", "int_roaming"]})
    live = agent.get(f"/sims/{sim.iccid}/").text
    assert ('id="service-states">International roaming (<em>turning on</em>), Outgoing calls, '
            'Incoming calls (<em>turning off next</em>)</dd>') in live


def test_a_number_outside_the_pool_is_refused_at_the_field(agent, world, make_sim):
    sim = make_sim(1)
    response = agent.post(f"/sims/{sim.iccid}/number/", {"number": "0113 496 0999"})
    assert 'id="id_number_error">That number is not in our pool' in response.text
    agent.post(f"/sims/{sim.iccid}/number/", {"number": "0113000009"})
    assert Sim.objects.get(pk=sim.pk).number.number == "44113000009"


def test_a_settled_request_redraws_the_whole_sim_not_just_its_state(agent, world):
    response = agent.post(f"/sims/{iccid(0)}/activate/", activation(), follow=True)
    assert 'hx-select="#sim-page"' in response.text and "Number</dt><dd class=\"mono\">none" in response.text
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.update(next_poll_at=timezone.now())
    tasks.poll_pass()
    page = agent.get(f"/sims/{iccid(0)}/", HTTP_HX_REQUEST="true").text  # the page's own poll
    sim_page = page[page.index('<div id="sim-page"'):]
    assert "badge-green" in sim_page  # the state
    assert sim_page.count("0113 000 005") >= 2  # the number, in the state box and the subscriber box
    assert "Suspend…</a>" in sim_page  # what can be done now
    assert "Activate done." in sim_page  # the timeline
    assert "every 5s" not in sim_page  # and it stops asking


def test_an_unknown_iccid_is_a_404(agent, world):
    assert agent.get("/sims/1111111111999999999/").status_code == 404


# --- requests, numbers, orders, dashboard ------------------------------------------------------

def test_the_journal_filters_and_shows_codes_in_words(agent, world, make_sim, staff):
    sim = make_sim(1, number="44113000001")
    world.fake.force("suspend", [63027])
    services.sim_suspend(sim_id=sim.pk, actor=staff)
    page = agent.get("/requests/", {"show": "failed"}).text
    assert "The network is congested and nothing was done. Try again in 5 minutes. (aql code 63027)" in page
    assert "Suspend" not in journal_rows(agent, show="in_flight")


def test_numbers_are_listed_and_added_in_bulk(agent, world):
    response = agent.post("/numbers/", {"numbers": "0113 496 0000\n0113 496 0001"}, follow=True)
    assert "2 numbers added to the pool." in response.text
    response = agent.post("/numbers/", {"numbers": "0113 496 0002\nnot-a-number"})
    assert "Not a UK landline number: not-a-number." in response.text
    assert "0113 496 0000" in agent.get("/numbers/", {"show": "available", "q": "4411349"}).text


def test_an_order_placed_on_the_page_becomes_a_sim(agent, world):
    response = agent.post("/orders/new/", {"name": "Jo Bloggs", "company": "", "address": "1 Road\nLeeds",
                                           "postcode": "ls1 1aa", "contact_no": "07700 900123"}, follow=True)
    order = DespatchOrder.objects.get()
    assert f"Order {order.order_ref}: processing." in response.text
    assert 'hx-select="#order-page"' in response.text  # follows itself while aql has it
    world.fake.advance(world.fake.faults.despatch_after)
    page = agent.post(f"/orders/{order.order_ref}/refresh/", follow=True).text
    order.refresh_from_db()
    assert f'href="/sims/{order.iccid}/"' in page and 'hx-select="#order-page"' not in page
    assert f'href="/orders/{order.order_ref}/"' in agent.get(f"/sims/{order.iccid}/").text


def test_an_order_form_with_bad_input_keeps_it_and_says_what_is_wrong(agent, world):
    response = agent.post("/orders/new/", {"name": "", "address": "1 Road", "postcode": "?", "contact_no": "1"})
    assert response.status_code == 200
    for message in ("This field is required.", "Enter a UK postcode", "Enter a UK phone number"):
        assert message in response.text
    assert not DespatchOrder.objects.exists() and world.fake.count("despatch") == 0


def test_the_dashboard_warns_loudly_when_no_worker_has_polled(agent, world):
    assert "The worker is not running." in agent.get("/").text
    Heartbeat.objects.create(name="poll", at=timezone.now() - timedelta(seconds=30))
    page = agent.get("/").text
    assert "The worker is not running." not in page and "Worker running" in page
    Heartbeat.objects.filter(name="poll").update(at=timezone.now() - timedelta(minutes=10))
    assert "The worker is not running." in agent.get("/").text


def test_the_dashboard_links_each_figure_to_its_list(agent, world, make_sim, staff):
    services.sim_suspend(sim_id=make_sim(1, number="44113000001").pk, actor=staff)
    order_services.stock_refresh()
    page = agent.get("/").text
    for link in ('/sims/?state=active', '/requests/?who=all&amp;show=in_flight',
                 '/requests/?who=all&amp;show=attention',
                 '/orders/?state=open', 'href="/stock/"'):
        assert link in page
    assert "AQL-123" in page and "<svg" not in page  # one snapshot: no line to draw yet
    order_services.stock_refresh()
    assert "<polyline" in agent.get("/").text


def test_an_unknown_outcome_is_settled_from_the_journal_on_aqls_record_and_a_confirmation(
        agent, world, make_sim, staff, settings):
    from ops import gateway

    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    world.fake.faults.hang_rate, world.fake.faults.hang_seconds = 1.0, 1.0
    request = services.sim_suspend(sim_id=make_sim(1, number="44113000001").pk, actor=staff)
    world.fake.faults.hang_rate = 0
    sim_page = agent.get(f"/sims/{request.sim.iccid}/").text
    assert "aql may still be doing this; sending it again could do it twice." in sim_page
    page = agent.get("/requests/", {"show": "unknown"}).text
    assert f"/requests/{request.pk}/resolve/" in page
    settle = agent.get(f"/requests/{request.pk}/resolve/").text
    assert "aql has not been asked about this SIM since the request was sent." in settle
    assert 'name="happened"' not in settle  # no decision without aql's record
    settle = agent.post(f"/requests/{request.pk}/ask-aql/", follow=True).text
    assert "<dt>State</dt><dd>active</dd>" in settle and 'name="happened"' in settle
    response = agent.post(f"/requests/{request.pk}/resolve/", {"happened": "no"})
    assert response.status_code == 200 and "Tick this to confirm" in response.text  # not confirmed: nothing changes
    assert GatewayRequest.objects.get(pk=request.pk).state == RequestState.UNKNOWN
    response = agent.post(f"/requests/{request.pk}/resolve/", {"happened": "no", "confirm": "on"}, follow=True)
    assert "Suspend: not done." in response.text
    assert GatewayRequest.objects.get(pk=request.pk).state == RequestState.NOT_SENT
    assert world.fake.count("suspend") == 1


def test_a_terminated_sims_subscriber_is_erased_from_its_page(agent, world, make_sim, staff):
    from sims.models import Subscriber

    sim = make_sim(1, state=SimState.TERMINATED)
    sim.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900123")
    sim.save()
    assert "Erase the subscriber" in agent.get(f"/sims/{sim.iccid}/").text
    page = agent.post(f"/sims/{sim.iccid}/erase-subscriber/", follow=True).text
    assert "personal details were erased" in page and "Ada Lovelace" not in page


def test_the_dashboard_says_how_long_a_full_drift_pass_takes(agent, world, settings):
    settings.AQL_DRIFT_PER_HOUR = 5  # ten SIMs in the world: two hours
    cache.clear()  # counts cached by an earlier test are of another world
    page = agent.get("/").text
    assert "Every live SIM is compared with aql once every 2 hours, at 5 SIMs an hour" in page
    settings.AQL_DRIFT_PER_HOUR = 0
    cache.clear()
    assert "Comparing SIMs with aql (drift) is switched off." in agent.get("/").text


def test_suspending_is_confirmed_on_a_page_of_its_own_first(agent, world, make_sim):
    sim = make_sim(1, number="44113000001")
    page = agent.get(f"/sims/{sim.iccid}/suspend/").text
    assert "Suspend SIM" in page and "Suspend this SIM" in page and world.fake.count("suspend") == 0
    response = agent.post(f"/sims/{sim.iccid}/suspend/", {"reason": "customer_request"}, follow=True)
    assert "Suspend sent: aql is working on it." in response.text and world.fake.count("suspend") == 1


def journal_rows(agent, **query: str) -> str:
    """The requests page's rows (its filters name every command too)."""
    page = agent.get("/requests/", query).text
    return page[page.index('<div id="request-rows"'):]


def test_the_journal_shows_staff_actions_first_and_narrows_by_person_command_outcome_and_day(agent, world, make_sim,
                                                                                            staff):
    sim = make_sim(1, number="44113000001")
    services.sim_suspend(sim_id=sim.pk, actor=staff)
    services.sim_query(sim_id=make_sim(2).pk, actor=None)  # the system's own check
    staff_view = journal_rows(agent)
    assert "Suspend" in staff_view and "Ask the gateway" not in staff_view
    assert "Ask the gateway" in journal_rows(agent, who="system")
    assert "Suspend" not in journal_rows(agent, who="all", command="queryiccid")
    assert "Suspend" not in journal_rows(agent, person="someone-else")
    assert "Suspend" in journal_rows(agent, person="agent", state="pending")
    by_system = journal_rows(agent, who="all", person="system")  # the system is a "person" too
    assert "Ask the gateway" in by_system and "Suspend" not in by_system
    assert "Suspend" not in journal_rows(agent, since="2999-01-01")
    assert agent.get("/requests/", {"since": "not a date", "command": "nonsense", "who": "x"}).status_code == 200


def test_the_dashboard_says_starting_not_stopped_while_a_fresh_worker_waits_for_its_first_pass(agent, world):
    from django_q.signals import post_spawn

    Heartbeat.objects.create(name="poll", at=timezone.now() - timedelta(hours=5))  # yesterday's worker
    post_spawn.send(sender="django_q", proc_name="Process-1")  # what django-q2 sends as a worker starts
    page = agent.get("/").text
    assert "The worker is starting" in page and "The worker is not running." not in page
    assert 'hx-trigger="every 15s"' in page  # it turns to running on its own
    Heartbeat.objects.filter(name="start").update(at=timezone.now() - timedelta(minutes=5))
    assert "The worker is not running." in agent.get("/").text  # started long ago and never polled
    Heartbeat.objects.filter(name="poll").update(at=timezone.now())
    assert "Worker running" in agent.get("/").text


def test_the_sim_list_pages_on_by_its_next_and_previous_links_keeping_the_filters(agent, world, staff):
    import html
    import re

    many_sims(60)
    first = agent.get("/sims/", {"state": "active", "sort": "iccid"}).text
    assert "← Previous" not in first
    following = html.unescape(re.search(r'href="(\?[^"]*cursor=[^"]*)" rel="next"', first)[1])
    assert "state=active" in following and "sort=iccid" in following
    second = agent.get("/sims/" + following).text
    shown = set(re.findall(r">(\d{19,20})</a>", first))
    assert shown and not shown & set(re.findall(r">(\d{19,20})</a>", second))  # new rows, none repeated
    back = html.unescape(re.search(r'href="(\?[^"]*cursor=[^"]*)" rel="prev"', second)[1])
    assert set(re.findall(r">(\d{19,20})</a>", agent.get("/sims/" + back).text)) == shown


def test_with_a_service_chosen_the_sim_list_is_by_last_change_and_says_so(agent, world):
    from sims.models import Sim

    sims = many_sims(3)
    Sim.objects.filter(pk=sims[0].pk).update(mo_sms=True, updated_at=timezone.now() - timedelta(days=1))
    Sim.objects.filter(pk=sims[2].pk).update(mo_sms=True, updated_at=timezone.now())
    page = agent.get("/sims/", {"service": "mo_sms", "sort": "iccid"}).text
    assert "With a service chosen, SIMs are listed by last change." in page
    assert page.index(sims[2].iccid) < page.index(sims[0].iccid)  # newest change first, not by ICCID
    assert sims[1].iccid not in page
    assert "listed by last change" not in agent.get("/sims/", {"sort": "iccid"}).text


def test_a_search_of_fewer_than_four_digits_says_what_to_type_and_finds_nothing(agent, world):
    page = agent.get("/sims/", {"q": "05"}).text  # the last two digits of a tenth of every SIM
    assert "Type at least 4 digits: the last digits of an ICCID, or a whole phone number." in page
    assert iccid(5) not in page
    assert iccid(5) in agent.get("/sims/", {"q": iccid(5)[-4:]}).text


def test_by_default_drift_compares_every_live_sim_within_a_day_at_the_rate_that_takes(agent, world, settings):
    settings.AQL_DRIFT_PER_HOUR, settings.AQL_DRIFT_FULL_PASS_HOURS = None, 24
    many_sims(38)  # 48 live SIMs: two an hour
    assert "Every live SIM is compared with aql once every 24 hours, at 2 SIMs an hour" in agent.get("/").text
    settings.AQL_DRIFT_FULL_PASS_HOURS = 0
    assert "Comparing SIMs with aql (drift) is switched off." in agent.get("/").text


def test_a_services_change_whose_outcome_is_unknown_does_not_read_as_under_way(agent, world, make_sim):
    sim = make_sim(1, number="44113000001", services=("mo_voice",))
    GatewayRequest.objects.create(sim=sim, command="addservice", state=RequestState.UNKNOWN, state_before="active",
                                  params={"services": ["int_roaming"]})
    live = agent.get(f"/sims/{sim.iccid}/").text
    assert "International roaming (<em>changing, outcome not known yet</em>)" in live and "turning on" not in live
