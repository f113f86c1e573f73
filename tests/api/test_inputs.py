"""The API takes identifiers in the digits 0-9 only, keeps answering its lists with a record saved
in other digits, answers an over-size body 413 in words, and its docs speak to integrators."""

import json

import pytest

from api.v1 import api
from sims.models import Sim
from tests.conftest import IMEI, activation, iccid
from tests.web.test_inputs import WIDE, bad_row  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
LOST = {"reason": "lost"}  # why a suspend or a termination is asked: every one says
SAY_WHY = "Type the digits as 0 to 9"


def is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def test_the_api_lists_still_answer_with_a_sim_saved_in_full_width_digits(agent_api, bad_row):  # noqa: F811
    sims = agent_api.get("/api/v1/sims")
    assert sims.status_code == 200 and WIDE in [s["iccid"] for s in sims.json()["items"]]
    assert agent_api.get("/api/v1/requests").status_code == 200
    assert agent_api.get("/api/v1/sims", {"q": iccid(0)[-6:]}).status_code == 200


def test_a_sim_is_not_found_or_acted_on_by_other_scripts_digits(agent_api, bad_row):  # noqa: F811
    body = is_problem(agent_api.get(f"/api/v1/sims/{WIDE}"), 422)
    assert body["errors"][0]["field"] == "iccid" and SAY_WHY in body["errors"][0]["message"]
    is_problem(agent_api.post(f"/api/v1/sims/{WIDE}/suspend", LOST), 422)
    body = is_problem(agent_api.post("/api/v1/batches", {"command": "suspend", **LOST, "iccids": [WIDE]}), 422)
    assert body["errors"][0]["field"] == "iccids" and SAY_WHY in body["errors"][0]["message"]
    assert not bad_row.requests.exclude(command="suspend").exists() and bad_row.requests.count() == 1


def test_adding_sims_in_other_scripts_digits_or_with_a_wrong_check_digit_is_refused(as_role, world):
    supervisor = as_role("Supervisor")
    wrong = iccid(40)[:-1] + str((int(iccid(40)[-1]) + 1) % 10)
    body = is_problem(supervisor.post("/api/v1/sims", {"iccids": [WIDE, wrong]}), 422)
    said = " ".join(e["message"] for e in body["errors"])
    assert SAY_WHY in said and "does not match: a digit is mistyped" in said
    assert not Sim.objects.filter(iccid__in=[WIDE, wrong]).exists()


@pytest.mark.parametrize(("field", "typed"), [
    ("imei", "４９０１５４２０３２３７５１８"), ("contact_number", "٠١١٣ ٣٢٠ ٣٠٤٠"),
    ("number", "４４１１３０００００５"),
])
def test_an_activation_with_other_scripts_digits_is_refused_at_its_field(agent_api, world, field, typed):
    fields = activation(**{field: typed})
    body = is_problem(agent_api.post(f"/api/v1/sims/{iccid(0)}/activate", fields), 422)
    assert [e["field"] for e in body["errors"]] == [field] and SAY_WHY in body["errors"][0]["message"]
    assert world.fake.count("activate") == 0


def test_an_invisible_subscriber_name_is_refused_at_its_field(agent_api, world):
    body = is_problem(agent_api.post(f"/api/v1/sims/{iccid(0)}/activate", activation(name="\u202e\u200b")), 422)
    assert body["errors"][0]["field"] == "name" and "do not show" in body["errors"][0]["message"]
    assert world.fake.count("activate") == 0


def test_an_over_size_body_is_413_in_words_not_500(agent_api, world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = is_problem(agent_api.post("/api/v1/sims", {"iccids": [iccid(n) for n in range(100)]}), 413)
    assert body["title"] == "Too large" and "send the list in several calls" in body["detail"]


def test_a_call_without_a_key_says_what_a_key_is_and_how_to_send_it(client, db):
    body = is_problem(client.get("/api/v1/sims"), 401)
    assert body["title"] == "No valid API key" and "Authorization: Bearer" in body["detail"]


def test_the_docs_speak_to_integrators_and_name_none_of_our_files():
    description = api.get_openapi_schema()["info"]["description"]
    for topic in ("Authorization: Bearer", "Idempotency-Key", "RFC 9457", "Rate limit", "413 Too large"):
        assert topic in description, topic
    assert ".py" not in json.dumps(api.get_openapi_schema()), "an internal module is named in the docs"
    assert IMEI not in description
