"""Suspends and reactivations for later from the staff site: from a SIM's page or for many from the
SIM list, listed soonest first, moved or cancelled until they run; the same permissions as now."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from sims.lifecycle import SimState
from sims.models import ScheduledAction
from tests.conftest import member_of

pytestmark = pytest.mark.django_db


def typed(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%dT%H:%M}"


def test_a_suspend_is_scheduled_from_the_sims_page_and_shown_there(agent, make_sim):
    sim = make_sim(1, number="44113000001")
    assert "Suspend or reactivate later…" in agent.get(f"/sims/{sim.iccid}/").text
    when = timezone.now() + timedelta(days=30)
    done = agent.post(f"/sims/{sim.iccid}/schedule/", {"command": "suspend", "reason": "unpaid",
                                                       "due_at": typed(when)}, follow=True)
    assert done.redirect_chain[-1][0] == f"/sims/{sim.iccid}/"
    assert "Suspend scheduled for " in done.text and "Scheduled: Suspend on " in done.text
    assert ScheduledAction.objects.get().sim == sim


@pytest.mark.parametrize("state", [SimState.UNUSED, SimState.PENDING])
def test_a_sim_that_can_be_neither_suspended_nor_reactivated_is_not_offered_it_later(agent, make_sim, state):
    sim = make_sim(1, state=state)
    page = agent.get(f"/sims/{sim.iccid}/").text
    assert "Suspend or reactivate later" not in page


def test_a_suspended_sim_is_offered_a_reactivate_later(agent, make_sim):
    sim = make_sim(1, state=SimState.SUSPENDED, number="44113000001")
    assert "Suspend or reactivate later…" in agent.get(f"/sims/{sim.iccid}/").text


@pytest.mark.parametrize("form, field, error", [
    ({"command": "suspend", "reason": "unpaid", "due_at": "2020-01-01T10:00"}, "due_at", "Choose a time to come"),
    ({"command": "suspend", "reason": "unpaid", "due_at": "next week"}, "due_at", "Enter a date and a time."),
    ({"command": "terminate", "due_at": "2099-01-01T10:00"}, "command", "Select a valid choice"),
    ({"command": "suspend", "due_at": "2099-01-01T10:00"}, "reason", "Say why the line is stopped"),
    ({"command": "suspend", "reason": "other", "due_at": "2099-01-01T10:00"}, "reason_words", "Say in a few words"),
])
def test_a_schedule_form_with_a_mistake_says_so_by_the_field(agent, make_sim, form, field, error):
    sim = make_sim(1, number="44113000001")
    response = agent.post(f"/sims/{sim.iccid}/schedule/", form)
    assert response.status_code == 200 and error in str(response.context["form"].errors[field])
    assert not ScheduledAction.objects.exists()


def test_many_sims_are_scheduled_from_the_list_then_moved_and_cancelled_from_the_schedule(agent, make_sim):
    sims = [make_sim(n, number=f"4411300000{n}") for n in (1, 2)]
    when = timezone.now() + timedelta(days=2)
    form = {"command": "suspend", "reason": "unpaid", "scope": "ticked", "sim": [s.pk for s in sims], "confirmed": "1",
            "due_at": typed(when)}
    done = agent.post("/batches/new/", form, follow=True)
    assert done.redirect_chain[-1][0] == "/scheduled/" and "Suspend scheduled for 2 SIMs." in done.text
    assert all(s.iccid in done.text for s in sims)
    first, second = ScheduledAction.objects.order_by("pk")
    later = timezone.now() + timedelta(days=5)
    moved = agent.post(f"/scheduled/{first.pk}/move/", {"due_at": typed(later)}, follow=True)
    assert f"moved to {timezone.localtime(later):%d %b %Y %H:%M}" in moved.text
    assert agent.post(f"/scheduled/{first.pk}/move/", {"due_at": "2020-01-01T00:00"}, follow=True).text.count(
        "Choose a time to come") == 1
    agent.post(f"/scheduled/{second.pk}/cancel/")
    assert ScheduledAction.objects.get(pk=second.pk).state == "cancelled"
    assert sims[1].iccid in agent.get("/scheduled/?show=done").text
    assert sims[1].iccid not in agent.get("/scheduled/").text


def test_an_observer_sees_the_schedule_but_changes_nothing(client, make_sim, staff):
    sim = make_sim(1, state=SimState.SUSPENDED, number="44113000001")
    client.force_login(staff)
    client.post(f"/sims/{sim.iccid}/schedule/", {"command": "reactivate",
                                                 "due_at": typed(timezone.now() + timedelta(days=1))})
    action = ScheduledAction.objects.get()
    client.force_login(member_of("Observer", "obs"))
    page = client.get("/scheduled/").text
    assert sim.iccid in page and "Move</button>" not in page
    assert client.post(f"/scheduled/{action.pk}/cancel/").status_code == 403
    assert client.get(f"/sims/{sim.iccid}/schedule/").status_code == 403
    assert ScheduledAction.objects.get().state == "scheduled"


def test_a_time_typed_in_summer_is_uk_time(agent, make_sim):
    sim = make_sim(1, number="44113000001")
    agent.post(f"/sims/{sim.iccid}/schedule/", {"command": "suspend", "reason": "unpaid", "due_at": "2099-07-01T10:00"})
    due = ScheduledAction.objects.get().due_at
    assert due.astimezone(UTC).strftime("%Y-%m-%d %H:%M") == "2099-07-01 09:00"  # British Summer Time
