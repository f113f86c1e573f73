"""Why a line was stopped, on the staff pages: the suspend and terminate forms ask for a reason (and
words for "other") next to the field, the SIM page's "Lost" and "Stolen" buttons suspend at once and
offer the replacement when that page exists, batches and schedules keep it, the timeline says it and
the journal is filtered by it. Against the simulator: a refusal sends nothing."""

import pytest
from django.utils import timezone

from sims import services
from sims.lifecycle import RequestState, SimState
from sims.models import GatewayRequest, ScheduledAction
from tests.conftest import member_of

pytestmark = pytest.mark.django_db


def test_a_suspend_from_its_page_keeps_the_reason_and_words_and_the_timeline_says_why(agent, world, make_sim):
    sim = make_sim(1, number="44113000001")
    response = agent.post(f"/sims/{sim.iccid}/suspend/", {"reason": "other", "reason_words": "Shop  closing down"},
                          follow=True)
    assert "Suspend sent: aql is working on it." in response.text and world.fake.count("suspend") == 1
    request = GatewayRequest.objects.get(command="suspend")
    assert (request.reason, request.reason_words) == ("other", "Shop closing down")
    assert "Suspend sent. Why: other. “Shop closing down”" in response.text  # the timeline


@pytest.mark.parametrize(("form", "field", "error"), [
    ({}, "reason", "Say why the line is stopped: lost, stolen, customer request, unpaid, fraud suspected or other."),
    ({"reason": "bored"}, "reason", "Select a valid choice."),
    ({"reason": "other", "reason_words": "  "}, "reason_words", "Say in a few words why: the reason is \"other\"."),
    ({"reason": "lost", "reason_words": "x" * 201}, "reason_words", "at most 200 characters"),
])
def test_a_suspend_without_a_good_reason_says_so_by_the_field_and_sends_nothing(agent, world, make_sim, form, field,
                                                                                error):
    sim = make_sim(1, number="44113000001")
    response = agent.post(f"/sims/{sim.iccid}/suspend/", form)
    assert response.status_code == 200
    assert error.lower() in " ".join(response.context["form"].errors[field]).lower()
    assert world.fake.count("suspend") == 0 and not GatewayRequest.objects.exists()


def test_terminating_says_why_or_is_refused_by_the_field(agent, world, make_sim):
    sim = make_sim(1, number="44113000001")
    refused = agent.post(f"/sims/{sim.iccid}/deactivate/", {"confirm": sim.iccid})
    assert "Say why the line is stopped" in str(refused.context["form"].errors["reason"])
    assert world.fake.count("deactivate") == 0
    agent.post(f"/sims/{sim.iccid}/deactivate/", {"confirm": sim.iccid, "reason": "fraud_suspected"})
    assert GatewayRequest.objects.get(command="deactivate").reason == "fraud_suspected"
    assert "Terminate sent. Why: fraud suspected." in agent.get(f"/sims/{sim.iccid}/").text


def test_an_active_sims_page_offers_lost_or_stolen_which_suspends_at_once_with_that_reason(client, world, make_sim):
    sim = make_sim(1, number="44113000001")
    client.force_login(member_of("Customer service", "cs"))  # the suspend's own permission: the daily role's
    page = client.get(f"/sims/{sim.iccid}/").text
    assert "Lost: suspend now" in page and "Stolen: suspend now" in page
    response = client.post(f"/sims/{sim.iccid}/suspend/", {"reason": "stolen"}, follow=True)  # the button's post
    assert "Suspend sent: aql is working on it." in response.text and world.fake.count("suspend") == 1
    assert GatewayRequest.objects.get().reason == "stolen"
    assert f'<a href="/sims/{sim.iccid}/replace/">Replace this SIM…</a>' in response.text  # offered next
    assert "Lost: suspend now" not in client.get(f"/sims/{sim.iccid}/").text  # in flight: not again


def test_the_buttons_are_not_offered_to_an_observer_nor_for_a_suspended_sim(client, world, make_sim):
    active, suspended = make_sim(1, number="44113000001"), make_sim(2, SimState.SUSPENDED, "44113000002")
    client.force_login(member_of("Observer", "watcher"))
    assert "Lost: suspend now" not in client.get(f"/sims/{active.iccid}/").text
    assert client.post(f"/sims/{active.iccid}/suspend/", {"reason": "lost"}).status_code == 403
    client.force_login(member_of("Customer service", "cs"))
    assert "Lost: suspend now" not in client.get(f"/sims/{suspended.iccid}/").text
    assert world.fake.count("suspend") == 0


def test_lost_offers_the_replacement_next(agent, world, make_sim):
    lost, unpaid = make_sim(1, number="44113000001"), make_sim(2, number="44113000002")
    page = agent.post(f"/sims/{lost.iccid}/suspend/", {"reason": "lost"}, follow=True).text
    assert f'<a href="/sims/{lost.iccid}/replace/">Replace this SIM…</a>' in page
    assert page.index("Suspend sent") < page.index("Replace this SIM")  # the outcome first, then what is next
    page = agent.post(f"/sims/{unpaid.iccid}/suspend/", {"reason": "unpaid"}, follow=True).text
    assert f'<a href="/sims/{unpaid.iccid}/replace/">Replace this SIM…</a>' not in page  # stopped for another reason


def test_lost_refused_by_aql_offers_no_replacement(agent, world, make_sim):
    sim = make_sim(1, number="44113000001")
    world.fake.force("suspend", [63003])
    page = agent.post(f"/sims/{sim.iccid}/suspend/", {"reason": "lost"}, follow=True).text
    assert "63003" in page and f'<a href="/sims/{sim.iccid}/replace/">Replace this SIM…</a>' not in page


def test_a_batch_keeps_its_reason_on_each_sims_request_and_timeline(agent, world, make_sim):
    sims = [make_sim(n, number=f"4411300000{n}") for n in (1, 2)]
    agent.post("/batches/new/", {"command": "suspend", "reason": "unpaid", "scope": "ticked",
                                 "sim": [s.pk for s in sims], "confirmed": "1"})
    assert list(GatewayRequest.objects.values_list("reason", flat=True)) == ["unpaid", "unpaid"]
    assert "waiting to be sent (batch" in agent.get(f"/sims/{sims[0].iccid}/").text
    assert "Why: unpaid." in agent.get(f"/sims/{sims[0].iccid}/").text
    assert all("geo_nos" in r.params and "reason" not in r.params for r in GatewayRequest.objects.all())  # not sent


def test_a_scheduled_suspend_keeps_its_reason_and_the_request_it_makes_carries_it(agent, world, make_sim):
    sim = make_sim(1, number="44113000001")
    refused = agent.post(f"/sims/{sim.iccid}/schedule/", {"command": "suspend", "due_at": "2099-07-01T10:00"})
    assert "Say why the line is stopped" in str(refused.context["form"].errors["reason"])
    agent.post(f"/sims/{sim.iccid}/schedule/", {"command": "suspend", "due_at": "2099-07-01T10:00",
                                                "reason": "customer_request"})
    action = ScheduledAction.objects.get()
    assert action.reason == "customer_request"
    ScheduledAction.objects.filter(pk=action.pk).update(due_at=timezone.now())
    request = services.schedule_run(action_id=action.pk)
    assert (request.reason, request.state) == ("customer_request", RequestState.TO_SEND)
    assert "waiting to be sent. Why: customer request." in agent.get(f"/sims/{sim.iccid}/").text


def test_a_scheduled_reactivate_needs_no_reason(agent, world, make_sim):
    sim = make_sim(1, SimState.SUSPENDED, "44113000001")
    agent.post(f"/sims/{sim.iccid}/schedule/", {"command": "reactivate", "due_at": "2099-07-01T10:00",
                                                "reason": "lost"})  # a reason left on the form is not kept
    assert ScheduledAction.objects.get().reason is None


def test_the_journal_is_filtered_by_reason(agent, world, make_sim):
    lost, unpaid = make_sim(1, number="44113000001"), make_sim(2, number="44113000002")
    services.sim_suspend(sim_id=lost.pk, actor=None, reason="lost")
    services.sim_suspend(sim_id=unpaid.pk, actor=None, reason="unpaid")
    page = agent.get("/requests/?who=all&reason=lost").text
    assert lost.iccid in page and unpaid.iccid not in page and "why: lost" in page
    assert '<option value="lost" selected>' in page
    assert unpaid.iccid in agent.get("/requests/?who=all").text
    csv = b"".join(agent.get("/requests.csv?who=all&reason=unpaid").streaming_content).decode()
    assert unpaid.iccid in csv and lost.iccid not in csv


@pytest.mark.parametrize(("page", "form"), [
    ("/sims/{iccid}/suspend/", {}),
    ("/sims/{iccid}/deactivate/", {"confirm": "{iccid}"}),
    ("/sims/{iccid}/schedule/", {"command": "suspend", "due_at": "2099-07-01T10:00"}),
])
def test_staff_are_not_offered_replaced_and_a_post_of_it_is_refused_by_the_field(agent, world, make_sim, page, form):
    sim = make_sim(1, number="44113000001")
    url = page.format(iccid=sim.iccid)
    shown = agent.get(url).text
    assert '<option value="fraud_suspected"' in shown and 'value="replaced"' not in shown
    refused = agent.post(url, {k: v.format(iccid=sim.iccid) for k, v in form.items()} | {"reason": "replaced"})
    assert "Select a valid choice" in str(refused.context["form"].errors["reason"])
    assert not GatewayRequest.objects.exists() and not ScheduledAction.objects.exists()


def test_a_batch_of_terminations_does_not_offer_replaced(agent, world, make_sim):
    sim = make_sim(1, number="44113000001")
    form = {"command": "deactivate", "scope": "ticked", "sim": [sim.pk]}
    shown = agent.post("/batches/new/", form).text
    assert '<option value="fraud_suspected"' in shown and 'value="replaced"' not in shown
    refused = agent.post("/batches/new/", form | {"reason": "replaced", "confirmed": "1"})
    assert "Select a valid choice" in str(refused.context["form"].errors["reason"])
    assert not GatewayRequest.objects.exists()
