"""Django admin: search, read-only history, actions through the services, bulk numbers, fixed queries."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sims import services, tasks
from sims.lifecycle import SimState
from sims.models import Batch, GatewayRequest, GeographicNumber, Sim, SimEvent, Subscriber
from tests.conftest import POOL, iccid, many_sims

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    cache.clear()  # admin keeps list counts for a minute: measure the full page
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_sim_list_runs_the_same_queries_for_10_and_1000_sims(admin_client, world, make_sim):
    make_sim(1, number="44113000001")
    many_sims(2)  # so the search finds some at ten too (finding none, the rows' query is not needed)
    urls = ["/admin/sims/sim/", "/admin/sims/sim/?q=Customer", "/admin/sims/gatewayrequest/", "/admin/sims/simevent/",
            "/admin/sims/geographicnumber/", f"/admin/sims/sim/{Sim.objects.first().pk}/change/"]
    for url in urls:
        queries(admin_client, url)  # warm Django's own caches (content types) first
    at_ten = {url: queries(admin_client, url) for url in urls}
    many_sims(990, start=100_002)
    assert Sim.objects.count() >= 1000
    assert {url: queries(admin_client, url) for url in urls} == at_ten


def test_searching_by_the_last_digits_of_an_iccid_finds_the_sim(admin_client, world):
    response = admin_client.get("/admin/sims/sim/", {"q": iccid(7)[-5:]})
    assert iccid(7) in response.text and iccid(6) not in response.text


def test_searching_by_number_finds_its_sim(admin_client, world, make_sim):
    make_sim(3, number="44113000003")
    response = admin_client.get("/admin/sims/sim/", {"q": "0113000003"})
    assert iccid(3) in response.text and iccid(4) not in response.text


def test_the_journal_and_audit_trail_are_read_only(admin_client, world, make_sim, admin_user):
    sim = make_sim(1, number="44113000001")
    request = services.sim_suspend(sim_id=sim.pk, actor=admin_user)
    event = SimEvent.objects.first()
    assert admin_client.get(f"/admin/sims/gatewayrequest/{request.pk}/change/").status_code == 200
    assert admin_client.post(f"/admin/sims/gatewayrequest/{request.pk}/delete/").status_code == 403
    assert admin_client.post(f"/admin/sims/simevent/{event.pk}/delete/").status_code == 403
    assert admin_client.get("/admin/sims/gatewayrequest/add/").status_code == 403
    assert GatewayRequest.objects.count() == 1


def test_the_suspend_action_makes_a_batch_the_worker_sends_and_that_says_why_not_for_each(admin_client, world,
                                                                                         make_sim):
    active = make_sim(1, number="44113000001")
    unused = Sim.objects.get(iccid=iccid(2))
    response = admin_client.post("/admin/sims/sim/", {"action": "suspend", "_selected_action": [active.pk, unused.pk]},
                                 follow=True)
    batch = Batch.objects.get()
    assert f'Suspend queued for 2 SIMs as <a href="/batches/{batch.pk}/">batch {batch.pk}</a>' in response.text
    assert world.fake.count("suspend") == 0  # the worker sends them, AQL_MAX_CONCURRENCY at most
    tasks.poll_pass()
    assert world.fake.count("suspend") == 1
    assert batch.requests.get(sim=unused).why_not_sent == "Suspend needs a SIM that is active; this one is unused."


def test_the_query_action_brings_records_in_line_once_the_worker_has_asked(admin_client, world, make_sim):
    sim = make_sim(1, number="44113000001")
    world.fake.put_sim(sim.iccid, state="suspended", geo_nos="44113000001")
    admin_client.post("/admin/sims/sim/", {"action": "query_gateway", "_selected_action": [sim.pk]})
    tasks.poll_pass()
    assert Sim.objects.get(pk=sim.pk).state == SimState.SUSPENDED
    assert sim.events.filter(action="drift", message__contains="state was active, aql says suspended").exists()


def test_the_reactivate_action_makes_a_batch_too(admin_client, world, make_sim):
    sim = make_sim(2, state=SimState.SUSPENDED, number="44113000002")
    admin_client.post("/admin/sims/sim/", {"action": "reactivate", "_selected_action": [sim.pk]})
    tasks.poll_pass()
    assert Batch.objects.get().command == "reactivate" and world.fake.count("reactivate") == 1


def test_terminating_from_admin_goes_on_to_the_batch_page_which_asks_for_the_count(admin_client, world, make_sim):
    sims = [make_sim(n, SimState.ACTIVE, number=POOL[n]) for n in (1, 2)]
    step = admin_client.post("/admin/sims/sim/", {"action": "terminate", "_selected_action": [s.pk for s in sims]})
    assert 'action="/batches/new/"' in step.text and "for the count typed out" in step.text
    confirm = admin_client.post("/batches/new/", {"command": "deactivate", "reason": "unpaid", "scope": "ticked",
                                                  "sim": [s.pk for s in sims], "next": "/admin/sims/sim/"})
    assert confirm.status_code == 200 and not Batch.objects.exists()  # the staff site's page asks first
    assert "Type the number of SIMs to confirm" in confirm.text


def test_services_from_admin_go_on_to_the_batch_page_which_asks_which(admin_client, world, make_sim):
    sim = make_sim(1, SimState.ACTIVE, number=POOL[1])
    step = admin_client.post("/admin/sims/sim/", {"action": "add_services", "_selected_action": [sim.pk]})
    assert 'name="command" value="addservice"' in step.text and f'name="sim" value="{sim.pk}"' in step.text


def test_the_erase_action_says_what_the_sim_page_says_and_refuses_a_live_sim_in_words(admin_client, world, make_sim):
    ended = make_sim(1, state=SimState.TERMINATED)
    ended.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                                 contact_number="447700900123")
    ended.save()
    live = make_sim(2, number="44113000002")
    response = admin_client.post("/admin/sims/sim/", {"action": "erase_subscriber",
                                                      "_selected_action": [ended.pk, live.pk]}, follow=True)
    assert f"SIM {ended.iccid}: The subscriber&#x27;s personal details were erased." in response.text
    assert f"SIM {live.iccid}: Only a terminated SIM&#x27;s subscriber can be erased" in response.text
    assert not Subscriber.objects.exists()


def test_a_sim_state_cannot_be_edited_in_admin(admin_client, world):
    sim = Sim.objects.get(iccid=iccid(1))
    inlines = {f"{p}-{k}": "0" for p in ("requests", "events") for k in ("TOTAL_FORMS", "INITIAL_FORMS")}
    response = admin_client.post(f"/admin/sims/sim/{sim.pk}/change/",
                                 {"state": "active", "int_roaming": "on", **inlines})
    assert response.status_code == 302  # saved, without the fields it may not touch
    sim = Sim.objects.get(pk=sim.pk)
    assert (sim.state, sim.int_roaming) == (SimState.UNUSED, False)


def test_adding_a_sim_in_admin_checks_the_iccid(admin_client, db):
    response = admin_client.post("/admin/sims/sim/add/", {"iccid": "12345"})
    assert "An ICCID is the 19 or 20 digits" in response.text
    admin_client.post("/admin/sims/sim/add/", {"iccid": "8944 1234 5678 9012 3454"})
    assert Sim.objects.get().iccid_reversed == "45432109876543214498"


def test_numbers_are_added_in_bulk_from_a_pasted_list(admin_client, db):
    response = admin_client.post("/admin/sims/geographicnumber/bulk-add/",
                                 {"numbers": "0113 496 0000\n441134960001, 441134960002"}, follow=True)
    assert "3 numbers added to the pool." in response.text
    response = admin_client.post("/admin/sims/geographicnumber/bulk-add/", {"numbers": "441134960003\nnonsense"})
    assert "Not a UK landline number: nonsense." in response.text
    assert GeographicNumber.objects.count() == 3


def test_a_number_in_use_cannot_be_edited_or_deleted_in_admin(admin_client, world, make_sim):
    make_sim(1, number="44113000001")
    used = GeographicNumber.objects.get(number="44113000001")
    free = GeographicNumber.objects.get(number="44113000002")
    assert 'name="number"' not in admin_client.get(f"/admin/sims/geographicnumber/{used.pk}/change/").text
    assert admin_client.post(f"/admin/sims/geographicnumber/{used.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post(f"/admin/sims/geographicnumber/{free.pk}/delete/", {"post": "yes"}).status_code == 302


def test_a_sim_admin_page_shows_its_latest_requests_and_events(admin_client, world, make_sim, admin_user):
    sim = make_sim(1, number="44113000001")
    world.fake.force("suspend", [63027])
    services.sim_suspend(sim_id=sim.pk, actor=admin_user)
    page = admin_client.get(f"/admin/sims/sim/{sim.pk}/change/").text
    assert "The network is congested and nothing was done. Try again in 5 minutes. (aql code 63027)" in page
    assert "Suspend refused by aql" in page


def test_settling_by_hand_in_admin_goes_to_the_page_that_shows_aqls_record_first(admin_client, world, make_sim,
                                                                                settings):
    from ops import gateway
    from sims import services
    from sims.models import RequestState

    settings.AQL_TIMEOUT = 0.3
    gateway.reset()
    world.fake.faults.hang_rate, world.fake.faults.hang_seconds = 1.0, 1.0
    unknown = services.sim_suspend(sim_id=make_sim(1, number="44113000001").pk, actor=None)
    world.fake.faults.hang_rate = 0
    settled = services.sim_query(sim_id=make_sim(2).pk, actor=None)
    response = admin_client.post("/admin/sims/gatewayrequest/", {"action": "settle_by_hand",
                                                                 "_selected_action": [settled.pk]}, follow=True)
    assert "Choose one request whose outcome is unknown." in response.text
    response = admin_client.post("/admin/sims/gatewayrequest/", {"action": "settle_by_hand",
                                                                 "_selected_action": [unknown.pk]})
    assert response.status_code == 302 and response["Location"] == f"/requests/{unknown.pk}/resolve/"
    assert GatewayRequest.objects.get(pk=unknown.pk).state == RequestState.UNKNOWN  # nothing decided yet


def test_an_iccid_typed_into_the_admin_url_opens_that_sims_page(admin_client, world):
    sim = Sim.objects.get(iccid=iccid(3))
    page = admin_client.get(f"/admin/sims/sim/{sim.iccid}/change/")
    assert page.status_code == 200 and page.context["original"] == sim
    admin_client.post(f"/admin/sims/sim/{sim.iccid}/change/", {})  # a change through admin: a history entry
    history = admin_client.get(f"/admin/sims/sim/{sim.iccid}/history/", follow=True)
    assert history.redirect_chain == [(f"/admin/sims/sim/{sim.pk}/history/", 302)]
    assert history.context["object"] == sim and len(history.context["action_list"]) >= 1
    unknown = admin_client.get(f"/admin/sims/sim/{iccid(99)}/change/")  # not ours: the usual "doesn't exist"
    assert unknown.status_code == 302 and unknown["Location"] == "/admin/"
    assert admin_client.get(f"/admin/sims/sim/{sim.pk}/change/").context["original"] == sim  # ids still work


def test_a_number_that_has_been_on_a_sim_cannot_be_deleted_even_when_free(admin_client, world, make_sim, admin_user):
    sim = make_sim(1, number="44113000001")
    services.sim_number_change(sim_id=sim.pk, actor=admin_user, number="44113000002")
    was_used = GeographicNumber.objects.get(number="44113000001")
    assert not GeographicNumber.objects.in_use().filter(pk=was_used.pk).exists()  # free again, with a history
    assert admin_client.post(f"/admin/sims/geographicnumber/{was_used.pk}/delete/", {"post": "yes"}).status_code == 403
    assert "deletelink" not in admin_client.get(f"/admin/sims/geographicnumber/{was_used.pk}/change/").text
    never = GeographicNumber.objects.get(number="44113000009")
    assert "deletelink" in admin_client.get(f"/admin/sims/geographicnumber/{never.pk}/change/").text
    assert admin_client.post(f"/admin/sims/geographicnumber/{never.pk}/delete/", {"post": "yes"}).status_code == 302
    assert GeographicNumber.objects.filter(pk=was_used.pk).exists()
    assert not GeographicNumber.objects.filter(pk=never.pk).exists()


def test_the_journal_in_admin_shows_each_code_in_words_with_its_number(admin_client, world, make_sim, admin_user):
    sim = make_sim(1, number="44113000001")
    world.fake.force("suspend", [63027])
    request = services.sim_suspend(sim_id=sim.pk, actor=admin_user)
    in_words = "The network is congested and nothing was done. Try again in 5 minutes. (aql code 63027)"
    assert in_words in admin_client.get("/admin/sims/gatewayrequest/").text
    page = admin_client.get(f"/admin/sims/gatewayrequest/{request.pk}/change/").text
    assert in_words in page and "[63027]" not in page  # not the bare list kept in `codes`
    assert in_words in admin_client.get(f"/admin/sims/simevent/{sim.events.first().pk}/change/").text


def test_a_search_runs_once_and_its_last_page_is_no_offset(admin_client, world):
    """The admin's paginator reads the list's ids once: the count is theirs (not the search again)
    and page 3 is its own ids' rows (not an OFFSET walking the two pages before it)."""
    made = many_sims(120)
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get("/admin/sims/sim/", {"q": "Customer", "p": "3"})
    assert response.status_code == 200
    shown = {sim.iccid for sim in response.context["cl"].result_list}
    assert len(shown) == 20 and shown <= {sim.iccid for sim in made}
    searched = [q["sql"] for q in captured.captured_queries if "Customer" in q["sql"]]
    assert len(searched) == 1
    assert not any("OFFSET" in q["sql"].upper() for q in captured.captured_queries)
