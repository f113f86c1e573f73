"""Replacing a SIM through the API: started by a Customer service key (202, followed at its URL),
refused in words (a problem with a stable code), and followed to its end as the worker sends each step."""

import pytest

from sims import services, tasks
from sims.models import Replacement, Subscriber
from sims.reasons import StopReason
from tests.conftest import IMEI, iccid
from tests.sims.test_replace import KEPT, run
from tests.sims.test_uncertain import AQL_TAKES, due_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def old(make_sim):
    sim = make_sim(1, number=KEPT)
    sim.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900123")
    sim.imei = IMEI
    sim.save()
    return sim


def test_a_replacement_is_started_with_202_and_followed_to_done(world, agent_api, old):
    answer = agent_api.post(f"/api/v1/sims/{old.iccid}/replace", {"new_iccid": iccid(5)})
    assert answer.status_code == 202, answer.content
    body = answer.json()
    assert answer["Location"] == body["url"] and body["state"] == "running" and body["step"] == "activate"
    assert body["said"].startswith("In progress: activating the new sim")
    run(world, Replacement.objects.get())
    done = agent_api.get(body["url"]).json()
    assert done["state"] == "done" and done["number"] == KEPT
    assert [s["step"] for s in done["steps"]] == ["activate", "old_off", "new_on", "old_end"]  # services alike


def test_a_replacement_refused_says_why_in_words(world, agent_api, as_role, old):
    answer = agent_api.post(f"/api/v1/sims/{old.iccid}/replace", {"new_iccid": old.iccid})
    assert answer.status_code in (409, 422) and "cannot replace itself" in answer.json()["detail"]
    watcher = as_role("Observer")
    assert watcher.post(f"/api/v1/sims/{old.iccid}/replace", {"new_iccid": iccid(5)}).status_code == 403
    assert agent_api.get("/api/v1/replacements/999").status_code == 404


def test_a_terminated_sims_subscriber_gets_their_resting_number_back_through_the_api(world, agent_api, staff, old):
    services.sim_deactivate(sim_id=old.pk, actor=staff, reason=StopReason.CUSTOMER_REQUEST)
    world.fake.advance(AQL_TAKES)
    due_now()
    tasks.poll_pass()
    answer = agent_api.post(f"/api/v1/sims/{old.iccid}/replace", {"new_iccid": iccid(5)})
    assert answer.status_code == 202, answer.content
    assert answer.json()["said"].startswith("In progress: activating the new sim with the subscriber's old number")
    run(world, Replacement.objects.get())
    done = agent_api.get(answer.json()["url"]).json()
    assert done["state"] == "done" and done["number"] == KEPT and done["steps"][0]["step"] == "kept_on"
