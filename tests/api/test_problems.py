"""Problem details carry a stable `code` beside the words, one for each case an integrator must tell
apart, each listed in the API's docs; against the simulator over loopback."""

import re
from pathlib import Path

import pytest

from api import problems
from api.v1 import api
from sims.lifecycle import SimState
from tests.api.test_api import ADA, is_problem
from tests.conftest import POOL, iccid

pytestmark = pytest.mark.django_db
LOST = {"reason": "lost"}  # why a suspend or a termination is asked: every one says

def code_of(response, status: int) -> str:
    return is_problem(response, status)["code"]  # the words (detail) stay beside the code


def test_a_sim_busy_with_another_command_is_sim_busy(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    assert agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST).status_code == 202  # aql works on it
    assert code_of(agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST), 409) == "sim-busy"
    assert code_of(agent_api.put(f"/api/v1/sims/{iccid(1)}/services", {"services": ["mo_sms"]}), 409) == "sim-busy"


def test_a_command_the_sims_state_does_not_allow_is_sim_state(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    assert code_of(agent_api.post(f"/api/v1/sims/{iccid(1)}/reactivate"), 409) == "sim-state"
    assert code_of(agent_api.post(f"/api/v1/sims/{iccid(2)}/suspend", LOST), 409) == "sim-state"  # unused


def test_aql_refusing_is_aql_and_its_code(world, agent_api):
    world.fake.force("activate", [63204])
    response = agent_api.post(f"/api/v1/sims/{iccid(0)}/activate", ADA)
    assert code_of(response, 422) == "aql-63204"
    assert response.json()["errors"][0]["code"] == 63204


def test_after_aql_says_congested_the_next_command_is_aql_63027_until_the_wait_is_over(world, make_sim, agent_api):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    world.fake.force("suspend", [63027])
    assert code_of(agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST), 422) == "aql-63027"
    refused = agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST)
    assert code_of(refused, 409) == "aql-63027" and "congested" in refused.json()["detail"]
    assert world.fake.count("suspend") == 1


def test_a_refusal_without_a_code_of_its_own_is_invalid_about_an_input_else_refused(world, make_sim, as_role):
    make_sim(1, SimState.ACTIVE, number=POOL[1])
    supervisor = as_role("Supervisor")
    taken = supervisor.put(f"/api/v1/sims/{iccid(1)}/number", {"number": "0113 496 0000"})  # not in the pool
    assert code_of(taken, 422) == "invalid" and taken.json()["errors"][0]["field"] == "number"
    settled = supervisor.post(f"/api/v1/sims/{iccid(1)}/query").json()  # done at once: nothing to settle
    assert code_of(supervisor.post(f"{settled['url']}/settle", {"happened": True}), 409) == "refused"


def test_the_plumbings_problems_each_have_their_code(world, client, agent_api, settings):
    assert code_of(client.get("/api/v1/sims"), 401) == "no-key"
    assert code_of(agent_api.get("/api/v1/sims/8944000000000009999"), 404) == "not-found"
    assert code_of(agent_api.get("/api/v1/sims?state=sleepy"), 422) == "invalid"
    assert code_of(agent_api.post("/api/v1/sims", {"iccids": [iccid(1)]}), 403) == "forbidden"
    first = agent_api.post(f"/api/v1/sims/{iccid(1)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.json()["code"] == "sim-state"  # unused: refused, and kept for the key
    assert code_of(agent_api.post(f"/api/v1/sims/{iccid(2)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="k-1"),
                   422) == "idempotency-key-reused"
    assert code_of(agent_api.post(f"/api/v1/sims/{iccid(2)}/suspend", LOST, HTTP_IDEMPOTENCY_KEY="k" * 201),
                   422) == "idempotency-key-too-long"
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    assert code_of(agent_api.post("/api/v1/numbers", {"numbers": [POOL[0]] * 100}), 413) == "too-large"


def test_a_key_over_its_rate_is_rate_limited(world, agent_api):
    from django.core.cache import cache

    cache.clear()
    throttle = api.throttle[0]
    throttle.num_requests, before = 1, throttle.num_requests
    try:
        assert agent_api.get("/api/v1/sims").status_code == 200
        assert code_of(agent_api.get("/api/v1/sims"), 429) == "rate-limited"
    finally:
        throttle.num_requests = before
        cache.clear()


def test_every_code_is_listed_in_the_docs():
    description = api.get_openapi_schema()["info"]["description"]
    source = "\n".join(path.read_text() for path in _modules())
    raised = set(re.findall(r'\bcode="([a-z0-9-]+)"', source)) | set(problems.CODES.values())
    raised = {c if not c.startswith("aql-") else "aql-" for c in raised}
    for code in raised:
        assert f"`{code}" in description, code
    assert api.get_openapi_schema()["components"]["schemas"]["Problem"]["required"][-1] == "code"


def _modules() -> list[Path]:
    root = Path(__file__).resolve().parents[2]
    # Where refusals and problems are made (common's ValidationError codes are Django's, not ours)
    return [p for folder in ("api", "sims", "orders", "hooks") for p in (root / folder).rglob("*.py")]
