"""Batches from the staff site: ticked SIMs or all a search shows, confirmed on a page of their own,
followed on the batch's page, every row's outcome in a CSV; the same permissions as one SIM."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sims import tasks
from sims.lifecycle import SimState
from sims.models import Batch, GatewayRequest, RequestState, Sim
from tests.conftest import member_of
from tests.web.test_pages import count_queries, more_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def four(world, make_sim):
    return [make_sim(1, number="44113000001"), make_sim(2, number="44113000002"),
            make_sim(3, number="44113000003"), make_sim(4, state=SimState.SUSPENDED, number="44113000004")]


def test_the_list_offers_a_batch_of_the_ticked_sims_or_of_all_it_shows(agent, four):
    page = agent.get("/sims/").text
    assert 'id="batch-form"' in page and f'name="sim" value="{four[0].pk}" form="batch-form"' in page
    assert "Every SIM this search and filter show" in page


def test_the_ticked_sims_are_confirmed_then_queued_and_followed_on_the_batchs_page(agent, world, four):
    ticked = {"command": "suspend", "scope": "ticked", "sim": [four[0].pk, four[3].pk], "next": "/sims/?state="}
    confirm = agent.post("/batches/new/", ticked)
    assert confirm.status_code == 200 and "Suspend: 2 SIMs" in confirm.text and not Batch.objects.exists()

    done = agent.post("/batches/new/", {**ticked, "confirmed": "1"}, follow=True)
    batch = Batch.objects.get()
    assert done.redirect_chain[-1][0] == f"/batches/{batch.pk}/" and "Suspend queued for 2 SIMs" in done.text
    assert "Waiting to be sent</dt><dd>1" in done.text and "Did not go through</dt><dd>1" in done.text
    assert "Suspend needs a SIM that is active; this one is suspended." in done.text  # why, in words
    assert 'hx-trigger="every 5s"' in done.text  # redraws itself while SIMs wait

    tasks.poll_pass()
    page = agent.get(f"/batches/{batch.pk}/").text
    assert "In progress at aql</dt><dd>1" in page and world.fake.count("suspend") == 1


def test_every_sim_the_filter_shows_goes_in_the_batch(agent, four):
    chosen = {"command": "suspend", "scope": "filter", "state": "active", "confirmed": "1"}
    agent.post("/batches/new/", chosen)
    assert Batch.objects.get().size == 3  # the three active ones, none other


@pytest.mark.parametrize(("form", "error"), [
    ({"command": "deactivate"}, "Type 2 (the number of SIMs) to terminate them for good."),
    ({"command": "deactivate", "confirm": "3"}, "Type 2 (the number of SIMs) to terminate them for good."),
    ({"command": "addservice"}, "Choose at least one service."),
])
def test_a_batch_form_with_a_mistake_says_so_by_the_field_and_queues_nothing(agent, four, form, error):
    page = agent.post("/batches/new/", {"scope": "ticked", "sim": [four[0].pk, four[1].pk], "confirmed": "1", **form})
    assert page.status_code == 200 and error in page.text
    assert not Batch.objects.exists() and not GatewayRequest.objects.filter(state=RequestState.TO_SEND).exists()


def test_terminating_many_is_done_once_the_count_is_typed(agent, four):
    agent.post("/batches/new/", {"command": "deactivate", "scope": "ticked", "sim": [four[0].pk, four[1].pk],
                                 "confirmed": "1", "confirm": "2"})
    assert Batch.objects.get().command == "deactivate"


@pytest.mark.parametrize(("form", "message"), [
    ({"command": "suspend"}, "No SIMs chosen"),
    ({"command": "nonsense", "sim": ["1"]}, "Choose what to do with the SIMs."),
])
def test_a_batch_with_nothing_to_do_goes_back_to_the_list_saying_why(agent, four, form, message):
    page = agent.post("/batches/new/", {"scope": "ticked", "next": "/sims/?state=active", **form}, follow=True)
    assert page.redirect_chain[-1][0] == "/sims/?state=active" and message in page.text


def test_a_batch_is_retried_only_by_one_who_may_give_its_command_and_terminating_never_by_a_button(
        client, agent, world, four):
    agent.post("/batches/new/", {"command": "deactivate", "scope": "ticked", "sim": [four[0].pk, four[3].pk],
                                 "confirmed": "1", "confirm": "2"})
    agent.post("/batches/new/", {"command": "reactivate", "scope": "ticked", "sim": [four[0].pk, four[1].pk],
                                 "confirmed": "1"})  # all not done: they are active
    terminate, reactivate = Batch.objects.order_by("pk")
    page = agent.post(f"/batches/{terminate.pk}/retry/", follow=True).text  # a supervisor: not by a button
    assert "To terminate them again, choose the SIMs on the SIM list" in page
    client.force_login(member_of("Customer service", "casey"))  # may reactivate, may not terminate
    assert "Try again" not in client.get(f"/batches/{terminate.pk}/").text
    assert client.post(f"/batches/{terminate.pk}/retry/").status_code == 403
    assert client.post(f"/batches/{reactivate.pk}/retry/").status_code == 302
    assert Batch.objects.count() == 3  # only the reactivation was tried again
    observer = member_of("Observer", "olive")
    client.force_login(observer)
    assert client.post(f"/batches/{reactivate.pk}/retry/").status_code == 403


def test_every_sim_the_filter_showed_is_the_batch_and_none_added_after(agent, four):
    shown = agent.post("/batches/new/", {"command": "suspend", "scope": "filter", "state": "active"})
    upto = shown.context["upto"]
    Sim.objects.filter(pk=four[3].pk).update(state=SimState.ACTIVE)  # shown as suspended; now active...
    new = Sim.objects.create(iccid="8944100000000000999", iccid_reversed="9990000000000001448", state="active")
    agent.post("/batches/new/", {"command": "suspend", "scope": "filter", "state": "active", "upto": upto,
                                 "confirmed": "1"})
    chosen = set(Batch.objects.get().requests.values_list("sim_id", flat=True))
    assert new.pk not in chosen and four[0].pk in chosen  # added after it was shown: not in the batch


def test_an_observer_may_look_at_batches_but_not_start_one(client, world, four):
    client.force_login(member_of("Observer", "watcher"))
    assert 'id="batch-form"' not in client.get("/sims/").text
    assert client.post("/batches/new/", {"command": "suspend", "sim": [four[0].pk]}).status_code == 403
    assert client.get("/batches/").status_code == 200 and not Batch.objects.exists()


def test_the_outcomes_csv_has_a_row_for_every_sim_in_words(agent, four):
    agent.post("/batches/new/", {"command": "suspend", "scope": "ticked", "sim": [s.pk for s in four],
                                 "confirmed": "1"})
    batch = Batch.objects.get()
    response = agent.get(f"/batches/{batch.pk}/outcomes.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["iccid", "command", "state", "outcome", "aql_request_id"]
    assert sorted(r[0] for r in rows[1:]) == sorted(s.iccid for s in four)
    states = sorted(r[2] for r in rows[1:])
    assert states == ["Not done", "Waiting to be sent", "Waiting to be sent", "Waiting to be sent"]
    assert any("this one is suspended" in r[3] for r in rows[1:])


def test_trying_again_queues_only_what_did_not_go_through(agent, four):
    agent.post("/batches/new/", {"command": "suspend", "scope": "ticked", "sim": [s.pk for s in four],
                                 "confirmed": "1"})
    first = Batch.objects.get()
    again = agent.post(f"/batches/{first.pk}/retry/", follow=True)
    assert "The 1 SIMs that did not go through are queued again." in again.text
    assert Batch.objects.exclude(pk=first.pk).get().size == 1


def test_a_batch_page_runs_the_same_queries_for_a_few_rows_and_many(agent, staff, four):
    agent.post("/batches/new/", {"command": "suspend", "scope": "filter", "confirmed": "1"})
    batch = Batch.objects.get()
    urls = [f"/batches/{batch.pk}/", "/batches/"]
    few = {url: count_queries(agent, url) for url in urls}
    more_rows(four[0], staff, 300)
    agent.post("/batches/new/", {"command": "suspend", "scope": "filter", "confirmed": "1"})
    many = Batch.objects.latest("pk")
    assert many.requests.count() > 300
    assert {url.replace(str(batch.pk), str(many.pk)): n for url, n in few.items()} == {
        url: count_queries(agent, url) for url in [f"/batches/{many.pk}/", "/batches/"]}


def test_the_outcomes_csv_reads_what_each_query_found_with_the_rows(agent, world, four):
    def csv_queries(sims) -> int:
        agent.post("/batches/new/", {"command": "queryiccid", "scope": "ticked", "sim": [s.pk for s in sims],
                                     "confirmed": "1"})
        tasks.poll_pass()
        batch = Batch.objects.latest("pk")
        with CaptureQueriesContext(connection) as captured:
            body = b"".join(agent.get(f"/batches/{batch.pk}/outcomes.csv").streaming_content).decode()
        assert "Asked aql" in body or "aql's record" in body
        return len(captured)

    assert csv_queries(four[:1]) == csv_queries(four)


def test_the_sims_still_waiting_are_cancelled_from_the_batchs_page(agent, world, four):
    agent.post("/batches/new/", {"command": "suspend", "scope": "ticked", "sim": [four[0].pk, four[1].pk],
                                 "confirmed": "1"})
    batch = Batch.objects.get()
    assert "Cancel the 2 still waiting" in agent.get(f"/batches/{batch.pk}/").text
    page = agent.post(f"/batches/{batch.pk}/cancel/", follow=True).text
    assert "2 SIMs still waiting were not sent: cancelled." in page and "Cancel the" not in page
    tasks.poll_pass()
    assert world.fake.count("suspend") == 0
