"""Resting numbers through the API: a refusal that says why in words (problem details, code
`number-resting`), the pool's `rests_until` and `show=resting`, and a Supervisor's key ending a rest
early (`POST /numbers/{number}/end-rest`)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from common.models import AuditAction, AuditEvent
from sims.models import GeographicNumber, Sim
from tests.conftest import IMEI, POOL, iccid

pytestmark = pytest.mark.django_db


def test_an_activation_with_a_resting_number_is_a_problem_that_says_why(world, agent_api):
    since = timezone.now() - timedelta(days=10)
    GeographicNumber.objects.filter(number=POOL[3]).update(rests_since=since, rests_until=since + timedelta(days=90))
    response = agent_api.post(f"/api/v1/sims/{iccid(0)}/activate", {
        "imei": IMEI, "number": POOL[3], "name": "Ada Lovelace", "address": "1 Road", "postcode": "LS10 1JQ",
        "contact_number": "0113 320 3040"})
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "number-resting" and body["detail"].startswith("0113 000 003 is resting until ")
    assert body["errors"] == [{"field": "number", "message": body["detail"]}]
    assert Sim.objects.get(iccid=iccid(0)).state == "unused"


def test_the_pool_lists_resting_numbers_with_until_when(world, agent_api):
    until = timezone.now() + timedelta(days=80)
    GeographicNumber.objects.filter(number=POOL[3]).update(rests_since=timezone.now(), rests_until=until)
    items = agent_api.get("/api/v1/numbers?show=resting").json()["items"]
    assert [(i["number"], i["sim"]) for i in items] == [(POOL[3], None)]
    assert items[0]["rests_until"].startswith(until.strftime("%Y-%m-%dT%H:%M"))
    free = agent_api.get("/api/v1/numbers?show=available").json()["items"]
    assert POOL[3] not in [i["number"] for i in free] and all(i["rests_until"] is None for i in free)


# --- ending a rest early: a Supervisor's key ----------------------------------------------------

def rests(number: str) -> GeographicNumber:
    since = timezone.now() - timedelta(days=10)
    GeographicNumber.objects.filter(number=number).update(rests_since=since, rests_until=since + timedelta(days=90))
    return GeographicNumber.objects.get(number=number)


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_a_supervisors_key_ends_a_rest_early_saying_why_and_gets_the_number_as_the_pool_shows_it(world, as_role):
    rests(POOL[3])
    supervisor = as_role("Supervisor", "priya")
    response = supervisor.post(f"/api/v1/numbers/{POOL[3]}/end-rest", {"reason": " Ported  away by aql "})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response.json() == {"number": POOL[3], "sim": None, "rests_until": None}
    free = supervisor.get(f"/api/v1/numbers?show=available&q={POOL[3]}").json()["items"]
    assert [i["number"] for i in free] == [POOL[3]]
    event = AuditEvent.objects.get(action=AuditAction.NUMBER_REST_ENDED)
    assert event.actor == supervisor.row.owner and event.actor_name == "priya (API key shop)"
    assert event.message.endswith("was ended early: Ported away by aql")


def test_a_key_whose_role_may_not_manage_the_pool_is_403_and_the_rest_goes_on(world, as_role):
    rests(POOL[3])
    agent = as_role("Customer service")
    body = is_problem(agent.post(f"/api/v1/numbers/{POOL[3]}/end-rest", {"reason": "asked"}), 403)
    assert body["code"] == "forbidden" and body["detail"].startswith("This key (Customer service) may not ")
    assert AuditEvent.objects.filter(action=AuditAction.FORBIDDEN, actor=agent.row.owner).exists()
    assert GeographicNumber.objects.get(number=POOL[3]).rests_until is not None


@pytest.mark.parametrize(("number", "body", "field", "code", "message"), [
    (POOL[3], {}, "reason", "invalid", "Say why the rest ends early: the audit trail keeps it."),
    (POOL[3], {"reason": "  "}, "reason", "invalid", "Say why the rest ends early: the audit trail keeps it."),
    (POOL[3], {"reason": "x" * 501}, "reason", "invalid", "At most 500 characters (501 given)."),
    (POOL[4], {"reason": "asked"}, "number", "number-not-resting",
     "0113 000 004 is not resting: there is no rest to end."),
])
def test_ending_a_rest_without_a_reason_or_a_rest_is_422_next_to_the_field(world, as_role, number, body, field,
                                                                           code, message):
    rests(POOL[3])
    problem = is_problem(as_role("Supervisor").post(f"/api/v1/numbers/{number}/end-rest", body), 422)
    assert (problem["code"], problem["detail"]) == (code, message)
    assert problem["errors"] == [{"field": field, "message": message}]
    assert GeographicNumber.objects.get(number=POOL[3]).rests_until is not None
    assert not AuditEvent.objects.filter(action=AuditAction.NUMBER_REST_ENDED).exists()


def test_a_number_not_in_our_pool_is_404_and_one_not_a_number_is_422(world, as_role):
    supervisor = as_role("Supervisor")
    assert is_problem(supervisor.post("/api/v1/numbers/441134969999/end-rest", {"reason": "asked"}), 404)[
        "code"] == "not-found"
    problem = is_problem(supervisor.post("/api/v1/numbers/12/end-rest", {"reason": "asked"}), 422)
    assert [e["field"] for e in problem["errors"]] == ["number"]


def test_ending_a_rest_again_with_the_same_idempotency_key_replays_the_first_answer(world, as_role):
    rests(POOL[3])
    supervisor = as_role("Supervisor")
    first = supervisor.post(f"/api/v1/numbers/{POOL[3]}/end-rest", {"reason": "asked"}, HTTP_IDEMPOTENCY_KEY="k1")
    again = supervisor.post(f"/api/v1/numbers/{POOL[3]}/end-rest", {"reason": "asked"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 200 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(action=AuditAction.NUMBER_REST_ENDED).count() == 1


def test_the_openapi_schema_documents_ending_a_rest(world):
    from api.v1 import api

    schema = api.get_openapi_schema()
    operation = schema["paths"]["/api/v1/numbers/{number}/end-rest"]["post"]
    assert {200, 403, 404, 409, 422} <= set(operation["responses"])
    assert "application/problem+json" in operation["responses"][422]["content"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/RestEndIn")
    assert "audit trail" in schema["components"]["schemas"]["RestEndIn"]["properties"]["reason"]["description"]
    assert "audit trail" in operation["description"] and "number-not-resting" in schema["info"]["description"]
