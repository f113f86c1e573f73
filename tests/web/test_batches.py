"""Batches from the staff site: ticked SIMs or all a search shows, confirmed on a page of their own,
followed on the batch's page, every row's outcome in a CSV; the same permissions as one SIM."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sims import services, tasks
from sims.lifecycle import SimState
from sims.models import Batch, GatewayRequest, RequestState, Sim
from tests.conftest import many_sims, member_of
from tests.web.test_pages import count_queries, more_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def four(world, make_sim):
    return [make_sim(1, number="44113000001"), make_sim(2, number="44113000002"),
            make_sim(3, number="44113000003"), make_sim(4, state=SimState.SUSPENDED, number="44113000004")]


def test_the_list_offers_a_batch_of_the_ticked_sims_or_of_all_it_shows(agent, four):
    page = agent.get("/sims/").text
    assert 'id="batch-form"' in page and f'name="sim" value="{four[0].pk}" form="batch-form"' in page
    assert "Every SIM this search and filter show" in page


def test_the_ticked_sims_are_confirmed_then_queued_and_followed_on_the_batchs_page(agent, world, four):
    ticked = {"command": "suspend", "reason": "unpaid",
              "scope": "ticked", "sim": [four[0].pk, four[3].pk], "next": "/sims/?state="}
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
    chosen = {"command": "suspend", "reason": "unpaid", "scope": "filter", "state": "active", "confirmed": "1"}
    agent.post("/batches/new/", chosen)
    assert Batch.objects.get().size == 3  # the three active ones, none other


@pytest.mark.parametrize(("form", "error"), [
    ({"command": "deactivate"}, "Type 2 (the number of SIMs) to terminate them for good."),
    ({"command": "deactivate", "reason": "unpaid", "confirm": "3"},
     "Type 2 (the number of SIMs) to terminate them for good."),
    ({"command": "addservice"}, "Choose at least one service."),
    ({"command": "suspend"}, "Say why the line is stopped: lost, stolen, customer request"),  # no reason
    ({"command": "deactivate", "reason": "other", "confirm": "2"}, "Say in a few words why"),
    ({"command": "suspend", "reason": "bored"}, "Select a valid choice."),
])
def test_a_batch_form_with_a_mistake_says_so_by_the_field_and_queues_nothing(agent, four, form, error):
    page = agent.post("/batches/new/", {"scope": "ticked", "sim": [four[0].pk, four[1].pk], "confirmed": "1", **form})
    assert page.status_code == 200 and error in page.text
    assert not Batch.objects.exists() and not GatewayRequest.objects.filter(state=RequestState.TO_SEND).exists()


def test_terminating_many_is_done_once_the_count_is_typed(agent, four):
    agent.post("/batches/new/", {"command": "deactivate", "reason": "unpaid",
                                 "scope": "ticked", "sim": [four[0].pk, four[1].pk],
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
    agent.post("/batches/new/", {"command": "deactivate", "reason": "unpaid",
                                 "scope": "ticked", "sim": [four[0].pk, four[3].pk],
                                 "confirmed": "1", "confirm": "2"})
    agent.post("/batches/new/", {"command": "reactivate", "scope": "ticked", "sim": [four[0].pk, four[1].pk],
                                 "confirmed": "1"})  # all not done: they are active...
    terminate, reactivate = Batch.objects.order_by("pk")
    Sim.objects.filter(pk=four[1].pk).update(state=SimState.SUSPENDED)  # ...and one is suspended since
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
    shown = agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                         "scope": "filter", "state": "active"})
    upto = shown.context["upto"]
    Sim.objects.filter(pk=four[3].pk).update(state=SimState.ACTIVE)  # shown as suspended; now active...
    new = Sim.objects.create(iccid="8944100000000000999", iccid_reversed="9990000000000001448", state="active")
    agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                 "scope": "filter", "state": "active", "upto": upto,
                                 "confirmed": "1"})
    chosen = set(Batch.objects.get().requests.values_list("sim_id", flat=True))
    assert new.pk not in chosen and four[0].pk in chosen  # added after it was shown: not in the batch


def test_an_observer_may_look_at_batches_but_not_start_one(client, world, four):
    client.force_login(member_of("Observer", "watcher"))
    assert 'id="batch-form"' not in client.get("/sims/").text
    assert client.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                         "sim": [four[0].pk]}).status_code == 403
    assert client.get("/batches/").status_code == 200 and not Batch.objects.exists()


def test_the_outcomes_csv_has_a_row_for_every_sim_in_words(agent, four):
    agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                 "scope": "ticked", "sim": [s.pk for s in four],
                                 "confirmed": "1"})
    batch = Batch.objects.get()
    response = agent.get(f"/batches/{batch.pk}/outcomes.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["iccid", "command", "state", "outcome", "aql_request_id", "reason"]
    assert sorted(r[0] for r in rows[1:]) == sorted(s.iccid for s in four)
    assert {r[5] for r in rows[1:]} == {"unpaid"}  # the batch's reason, on every SIM's request
    states = sorted(r[2] for r in rows[1:])
    assert states == ["Not done", "Waiting to be sent", "Waiting to be sent", "Waiting to be sent"]
    assert any("this one is suspended" in r[3] for r in rows[1:])


def test_trying_again_queues_only_what_did_not_go_through(agent, four):
    agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                 "scope": "ticked", "sim": [s.pk for s in four],
                                 "confirmed": "1"})
    first = Batch.objects.get()
    Sim.objects.filter(pk=four[3].pk).update(state=SimState.ACTIVE)  # not done: it was suspended; active since
    again = agent.post(f"/batches/{first.pk}/retry/", follow=True)
    assert "The 1 SIMs that did not go through are queued again." in again.text
    assert Batch.objects.exclude(pk=first.pk).get().size == 1


def test_a_batch_page_runs_the_same_queries_for_a_few_rows_and_many(agent, staff, four):
    agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid", "scope": "filter", "confirmed": "1"})
    batch = Batch.objects.get()
    urls = [f"/batches/{batch.pk}/", "/batches/"]
    few = {url: count_queries(agent, url) for url in urls}
    more_rows(four[0], staff, 300)
    agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid", "scope": "filter", "confirmed": "1"})
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
    agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                 "scope": "ticked", "sim": [four[0].pk, four[1].pk],
                                 "confirmed": "1"})
    batch = Batch.objects.get()
    assert "Cancel the 2 still waiting" in agent.get(f"/batches/{batch.pk}/").text
    page = agent.post(f"/batches/{batch.pk}/cancel/", follow=True).text
    assert "2 SIMs still waiting were not sent: cancelled." in page and "Cancel the" not in page
    tasks.poll_pass()
    assert world.fake.count("suspend") == 0


# --- a batch's SIMs on its page, and what the confirmation says before anything is queued ---------

def test_a_batchs_page_lists_its_sims_each_linked_with_its_outcome_in_words(agent, world, four):
    world.fake.force("suspend", [500])  # the first sent: aql's system failed part-way
    agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                 "scope": "ticked", "sim": [s.pk for s in four],
                                 "confirmed": "1"})
    batch = Batch.objects.get()
    tasks.poll_pass()
    page = agent.get(f"/batches/{batch.pk}/").text
    for sim in four:
        assert f'href="/sims/{sim.iccid}/"' in page
    assert "Suspend not done: Suspend needs a SIM that is active; this one is suspended." in page
    assert "Suspend: aql gave no clear answer." in page and "Suspend sent: aql is working on it." in page


@pytest.mark.parametrize("outcome", ["failed", "unknown", "in_progress", ""])
def test_a_batchs_page_narrows_its_sims_by_outcome(agent, world, four, outcome):
    world.fake.force("suspend", [500])
    agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                 "scope": "ticked", "sim": [s.pk for s in four],
                                 "confirmed": "1"})
    batch = Batch.objects.get()
    tasks.poll_pass()
    # The pipeline sends concurrently: which SIM met aql's failure is aql's order, read back here.
    unknown = batch.requests.get(state=RequestState.UNKNOWN).sim_id
    shown = {
        "failed": {four[3].pk},  # not done: it was suspended already
        "unknown": {unknown},  # aql's system failed part-way: not "failed"
        "in_progress": {s.pk for s in four[:3]} - {unknown},
        "": {s.pk for s in four},
    }[outcome]
    page = agent.get(f"/batches/{batch.pk}/", {"outcome": outcome}).text
    assert {s.pk for s in four if f'href="/sims/{s.iccid}/"' in page} == shown


def test_a_batchs_sims_are_paged_by_key(agent, staff, world):
    sims = many_sims(60)
    agent.post("/batches/new/", {"command": "queryiccid", "scope": "filter", "state": "active", "confirmed": "1"})
    batch = Batch.objects.get()
    first = agent.get(f"/batches/{batch.pk}/")
    assert sims[49].iccid in first.text and sims[50].iccid not in first.text
    second = agent.get(f"/batches/{batch.pk}/", {"cursor": first.context["page"].next}).text
    assert sims[50].iccid in second and sims[59].iccid in second and sims[0].iccid not in second


def test_the_confirmation_says_how_many_can_take_it_now_and_what_becomes_of_the_others(agent, staff, four):
    services.sim_suspend(sim_id=four[2].pk, actor=staff)  # in flight
    page = agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                        "scope": "ticked", "sim": [s.pk for s in four],
                                        "next": "/sims/"}).text
    assert "2 of the 4 can take it now" in page
    assert "1 is in a state suspend cannot run from" in page and "1 has another command in progress." in page
    assert "Nothing is queued before you confirm." in page and not Batch.objects.exists()
    every = agent.post("/batches/new/", {"command": "queryiccid", "scope": "filter", "next": "/sims/"}).text
    assert "All 10 can take it now" in every


def test_try_again_is_offered_only_for_the_sims_that_could_go_through_now(agent, world, four):
    world.fake.force("suspend", [63003])  # not on our account: aql would refuse it the same way
    world.fake.force("suspend", [500])  # not known: aql may still be doing it
    agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                 "scope": "ticked", "sim": [s.pk for s in four],
                                 "confirmed": "1"})
    batch = Batch.objects.get()
    tasks.poll_pass()
    page = agent.get(f"/batches/{batch.pk}/").text
    assert "Try again" not in page  # refused for good, or suspended already: neither would go through
    assert "2 that did not go through would not now, so they are not tried again" in page
    Sim.objects.filter(pk=four[3].pk).update(state=SimState.ACTIVE)  # reactivated meanwhile
    page = agent.get(f"/batches/{batch.pk}/").text
    assert "Try again the 1 that could go through now" in page and "The other 1 that did not go through" in page


def test_a_batchs_page_and_its_confirmation_run_the_same_queries_for_10_sims_and_1000(agent, staff, world):
    def measure(sims: list[Sim]) -> list[int]:
        Sim.objects.filter(pk=sims[0].pk).update(state=SimState.SUSPENDED)  # one not done: try again is weighed
        batch = services.batch_start(sim_ids=[s.pk for s in sims], command="suspend", actor=staff)
        assert batch.size == len(sims)
        pages = [count_queries(agent, f"/batches/{batch.pk}/{query}")
                 for query in ("", "?outcome=waiting", "?outcome=failed")]
        with CaptureQueriesContext(connection) as captured:
            assert agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid",
                                                "scope": "filter"}).status_code == 200
        Sim.objects.update(state=SimState.TERMINATED)  # out of the next filter
        return [*pages, len(captured)]

    at_ten = measure(many_sims(10))
    assert measure(many_sims(1000, start=200_000)) == at_ten
