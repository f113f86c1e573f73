"""Why a line was stopped, through the API: the suspend and terminate endpoints, batches and
scheduled actions take a `reason` (and `reason_words` for other); a missing or bad one is a problem
in words with nothing sent; the journal shows the code and is filtered by it."""

import pytest
from django.utils import timezone

from api.v1 import api as ninja_api
from sims import services
from sims.lifecycle import RequestState, SimState
from sims.models import GatewayRequest, ScheduledAction
from tests.conftest import POOL, iccid

pytestmark = pytest.mark.django_db


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_a_suspend_says_why_and_the_journal_shows_it(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    body = agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", {"reason": "other", "reason_words": "Asked by post"})
    assert body.status_code == 202 and body.json()["reason"] == "other"
    assert GatewayRequest.objects.get().reason_words == "Asked by post"
    assert "reason_words" not in body.json()  # staff's words stay on the staff's pages


@pytest.mark.parametrize(("sent", "field", "words"), [
    ({}, "reason", "Say why the line is stopped: lost, stolen, customer request, unpaid, fraud suspected or other."),
    ({"reason": "bored"}, "reason", "lost"),  # the schema names the codes it takes
    ({"reason": "other"}, "reason_words", "Say in a few words why"),
])
def test_a_suspend_or_terminate_without_a_good_reason_is_422_in_words_and_sends_nothing(world, make_sim, as_role,
                                                                                         sent, field, words):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    api = as_role("Supervisor")
    for command in ("suspend", "deactivate"):
        body = problem(api.post(f"/api/v1/sims/{iccid(1)}/{command}", sent), 422)
        (error,) = body["errors"]
        assert error["field"] == field and words in error["message"]
        assert world.fake.count(command) == 0
    assert not GatewayRequest.objects.exists()


def test_a_terminate_keeps_its_reason(world, make_sim, as_role):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    assert as_role("Supervisor").post(f"/api/v1/sims/{iccid(1)}/deactivate", {"reason": "unpaid"}).status_code == 202
    assert GatewayRequest.objects.get(command="deactivate").reason == "unpaid"


def test_a_batch_takes_a_reason_for_a_suspend_and_needs_none_for_a_query(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    body = problem(agent_api.post("/api/v1/batches", {"command": "suspend", "iccids": [iccid(1)]}), 422)
    assert body["errors"][0]["field"] == "reason" and not GatewayRequest.objects.exists()
    made = agent_api.post("/api/v1/batches", {"command": "suspend", "iccids": [iccid(1)], "reason": "fraud_suspected"})
    assert made.status_code == 202 and made.json()["reason"] == "fraud_suspected"
    assert GatewayRequest.objects.get().reason == "fraud_suspected"
    assert agent_api.post("/api/v1/batches", {"command": "queryiccid", "iccids": [iccid(1)]}).status_code == 202


def test_a_scheduled_suspend_keeps_its_reason_for_the_request_it_makes(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    when = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    problem(agent_api.post("/api/v1/scheduled", {"command": "suspend", "iccids": [iccid(1)], "due_at": when}), 422)
    made = agent_api.post("/api/v1/scheduled", {"command": "suspend", "iccids": [iccid(1)], "due_at": when,
                                                "reason": "customer_request"})
    assert made.status_code == 201 and made.json()["items"][0]["reason"] == "customer_request"
    action = ScheduledAction.objects.get()
    ScheduledAction.objects.filter(pk=action.pk).update(due_at=timezone.now())
    request = services.schedule_run(action_id=action.pk)
    assert (request.state, request.reason) == (RequestState.TO_SEND, "customer_request")


def test_the_journal_is_filtered_by_reason(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    make_sim(2, SimState.ACTIVE, number=POOL[2])
    agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", {"reason": "lost"})
    agent_api.post(f"/api/v1/sims/{iccid(2)}/suspend", {"reason": "stolen"})
    items = agent_api.get("/api/v1/requests?reason=stolen").json()["items"]
    assert [(r["sim"], r["reason"]) for r in items] == [(iccid(2), "stolen")]
    problem(agent_api.get("/api/v1/requests?reason=bored"), 422)


def test_replaced_is_not_a_reason_staff_may_give_but_the_journal_is_filtered_by_it(world, make_sim, as_role):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    api = as_role("Supervisor")
    when = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    for path, body in ((f"/api/v1/sims/{iccid(1)}/deactivate", {}), (f"/api/v1/sims/{iccid(1)}/suspend", {}),
                       ("/api/v1/batches", {"command": "deactivate", "iccids": [iccid(1)]}),
                       ("/api/v1/scheduled", {"command": "suspend", "iccids": [iccid(1)], "due_at": when})):
        (error,) = problem(api.post(path, body | {"reason": "replaced"}), 422)["errors"]
        assert error["field"] == "reason" and "fraud_suspected" in error["message"], path  # the codes it takes
    assert not GatewayRequest.objects.exists() and not ScheduledAction.objects.exists()
    schema = ninja_api.get_openapi_schema()["components"]["schemas"]
    assert "replaced" not in schema["StaffReason"]["enum"] and "replaced" in schema["StopReason"]["enum"]
    assert api.get("/api/v1/requests?reason=replaced").status_code == 200  # the journal's vocabulary has it
