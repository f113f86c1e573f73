"""Replacing a SIM through the API: started by a Customer service key (202, followed at its URL),
refused in words (a problem with a stable code), and followed to its end as the worker sends each step."""

import pytest

from common.models import AuditAction, AuditEvent
from sims import services, tasks
from sims.models import Replacement, Sim, SimEvent, Subscriber
from sims.models_replacements import ReplacementState
from sims.reasons import StopReason
from sims.selectors_replacements import replacement_said
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


# --- seen from the SIMs, listed, resumed and abandoned ------------------------------------------

@pytest.fixture
def stopped(world, staff, old) -> Replacement:
    """A replacement aql refused the first step of: stopped, for a Supervisor to resume or abandon."""
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=Sim.objects.get(iccid=iccid(5)).pk, actor=staff)
    world.fake.faults.fail_rate = 1.0  # aql refuses the activation
    replacement = run(world, replacement)
    world.fake.faults.fail_rate = 0.0
    assert replacement.state == ReplacementState.STOPPED
    return replacement


def test_each_sim_of_a_replacement_names_it_with_its_part_and_where_it_stands(world, agent_api, stopped):
    old = agent_api.get(f"/api/v1/sims/{iccid(1)}").json()["replacement"]
    assert old == {"id": stopped.pk, "url": f"/api/v1/replacements/{stopped.pk}", "role": "old",
                   "other_iccid": iccid(5), "state": "stopped", "step": "activate", "said": replacement_said(stopped)}
    assert old["said"].startswith("Stopped at “activating the new sim on a stand-in number”: ")
    new = agent_api.get(f"/api/v1/sims/{iccid(5)}").json()["replacement"]
    assert (new["role"], new["other_iccid"], new["id"]) == ("new", iccid(1), stopped.pk)
    assert agent_api.get(f"/api/v1/sims/{iccid(2)}").json()["replacement"] is None
    listed = {s["iccid"]: s["replacement"] for s in agent_api.get("/api/v1/sims?sort=iccid").json()["items"]}
    assert listed[iccid(1)] == old and listed[iccid(5)] == new and listed[iccid(2)] is None


def test_a_sim_names_its_latest_replacement_once_one_is_abandoned_and_another_done(world, agent_api, staff, stopped):
    services.replacement_abandon(replacement_id=stopped.pk, actor=staff)
    again = services.sim_replace(sim_id=stopped.old_sim_id, new_sim_id=Sim.objects.get(iccid=iccid(6)).pk, actor=staff)
    run(world, again)
    shown = agent_api.get(f"/api/v1/sims/{iccid(1)}").json()["replacement"]
    assert (shown["id"], shown["state"], shown["step"], shown["other_iccid"]) == (again.pk, "done", None, iccid(6))
    first_new = agent_api.get(f"/api/v1/sims/{iccid(5)}").json()["replacement"]
    assert (first_new["id"], first_new["state"]) == (stopped.pk, "abandoned")
    assert first_new["said"].startswith("Abandoned: nothing more is sent")


def test_replacements_are_listed_newest_first_and_narrowed_by_state(world, agent_api, staff, stopped):
    services.replacement_abandon(replacement_id=stopped.pk, actor=staff)
    running = services.sim_replace(sim_id=stopped.old_sim_id, new_sim_id=Sim.objects.get(iccid=iccid(6)).pk,
                                   actor=staff)
    every = agent_api.get("/api/v1/replacements").json()
    assert [r["id"] for r in every["items"]] == [running.pk, stopped.pk] and every["next"] is None
    assert every["items"][1]["said"].startswith("Abandoned") and every["items"][1]["steps"][0]["command"] == "activate"
    for state, expected in (("running", [running.pk]), ("abandoned", [stopped.pk]), ("stopped", []), ("done", [])):
        assert [r["id"] for r in agent_api.get(f"/api/v1/replacements?state={state}").json()["items"]] == expected
    wrong = agent_api.get("/api/v1/replacements?state=finished")
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "state"


def test_a_supervisors_key_resumes_a_stopped_replacement_recorded_as_its_owner_through_the_api(world, as_role,
                                                                                                stopped):
    supervisor = as_role("Supervisor")
    answer = supervisor.post(f"/api/v1/replacements/{stopped.pk}/resume")
    assert answer.status_code == 202, answer.content
    assert answer["Location"] == f"/api/v1/replacements/{stopped.pk}"
    assert answer.json()["state"] == "running" and answer.json()["said"].startswith("In progress: activating")
    for sim in (stopped.old_sim, stopped.new_sim):  # as the page records it, with the interface and the key
        event = SimEvent.objects.filter(sim=sim, message__startswith=f"Replacement {stopped.pk} resumed").get()
        assert (event.actor_name, event.interface) == ("supervisor (API key shop)", "api")
    assert run(world, Replacement.objects.get()).state == ReplacementState.DONE
    again = supervisor.post(f"/api/v1/replacements/{stopped.pk}/resume").json()
    assert (again["status"], again["code"]) == (409, "replacement-state")
    assert again["detail"] == "Only a stopped replacement can be resumed; this one is done."


def test_a_supervisors_key_abandons_a_replacement_and_a_second_abandon_is_refused_in_words(world, as_role, stopped):
    supervisor = as_role("Supervisor")
    answer = supervisor.post(f"/api/v1/replacements/{stopped.pk}/abandon")
    assert answer.status_code == 200, answer.content
    assert answer.json()["state"] == "abandoned" and answer.json()["finished_at"]
    event = SimEvent.objects.filter(sim=stopped.old_sim, message__contains="abandoned by supervisor").get()
    assert event.interface == "api" and f"stays on SIM {iccid(1)}" in event.message
    for action in ("abandon", "resume"):
        refused = supervisor.post(f"/api/v1/replacements/{stopped.pk}/{action}")
        assert refused.status_code == 409 and refused["Content-Type"] == "application/problem+json"
        assert refused.json()["code"] == "replacement-state" and "abandoned" in refused.json()["detail"]


def test_a_replacement_whose_step_is_with_aql_is_not_abandoned_until_it_settles(world, as_role, staff, old):
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=Sim.objects.get(iccid=iccid(5)).pk, actor=staff)
    due_now()
    tasks.poll_pass()  # the activation sent: aql is at work on it
    refused = as_role("Supervisor").post(f"/api/v1/replacements/{replacement.pk}/abandon").json()
    assert (refused["status"], refused["code"]) == (409, "sim-busy") and "wait for it to settle" in refused["detail"]
    assert Replacement.objects.get().state == ReplacementState.RUNNING


def test_only_a_supervisors_key_resumes_or_abandons_and_an_unknown_one_is_404(world, as_role, stopped):
    for role in ("Observer", "Customer service"):
        key = as_role(role)
        for action in ("resume", "abandon"):
            refused = key.post(f"/api/v1/replacements/{stopped.pk}/{action}")
            assert refused.status_code == 403 and refused.json()["code"] == "forbidden", (role, action)
            assert "may not terminate a SIM" in refused.json()["detail"]
        assert key.get("/api/v1/replacements").status_code == 200  # every role may look
    assert AuditEvent.objects.filter(action=AuditAction.FORBIDDEN, subject__endswith="/abandon").count() == 2
    assert Replacement.objects.get().state == ReplacementState.STOPPED
    supervisor = as_role("Supervisor")
    for action in ("resume", "abandon"):
        missing = supervisor.post(f"/api/v1/replacements/{stopped.pk + 99}/{action}")
        assert missing.status_code == 404 and missing.json()["detail"] == "No such replacement."


def test_a_resume_sent_twice_with_one_idempotency_key_resumes_once(world, as_role, stopped):
    supervisor = as_role("Supervisor")
    first = supervisor.post(f"/api/v1/replacements/{stopped.pk}/resume", HTTP_IDEMPOTENCY_KEY="r1")
    again = supervisor.post(f"/api/v1/replacements/{stopped.pk}/resume", HTTP_IDEMPOTENCY_KEY="r1")
    assert first.status_code == again.status_code == 202 and again["Idempotent-Replayed"] == "true"
    assert SimEvent.objects.filter(sim=stopped.old_sim, message__contains="resumed").count() == 1


def test_the_openapi_schema_documents_the_list_the_actions_and_a_sims_replacement(world):
    from api.v1 import api

    schema = api.get_openapi_schema()
    listed = schema["paths"]["/api/v1/replacements"]["get"]
    assert {p["name"] for p in listed["parameters"]} == {"state", "cursor"} and "stopped" in listed["description"]
    for action, status in (("resume", 202), ("abandon", 200)):
        operation = schema["paths"][f"/api/v1/replacements/{{replacement_id}}/{action}"]["post"]
        assert {status, 403, 404, 409} <= set(operation["responses"]) and "Supervisor" in operation["description"]
        assert "application/problem+json" in operation["responses"][409]["content"]
    field = schema["components"]["schemas"]["SimOut"]["properties"]["replacement"]
    assert "latest replacement" in field["description"]
    role = schema["components"]["schemas"]["SimReplacement"]["properties"]["role"]
    assert role["enum"] == ["old", "new"] and "replaces" in role["description"]
    assert "replacement-state" in schema["info"]["description"]
