"""What aql cannot show, through the API: each service's name mapped to true, false or null (not
known), the subscriber of an adopted SIM flagged not known, and services changed without guessing."""

import pytest

from api.v1 import api
from sims import services
from sims.models import GatewayRequest, Sim
from tests.conftest import iccid

pytestmark = pytest.mark.django_db

VOICE_AND_SMS = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")


@pytest.fixture
def adopted(world, staff) -> Sim:
    """A SIM we held unused that aql has in use (calls, texts and roaming on), brought in line by a query."""
    sim = Sim.objects.get(iccid=iccid(3))
    world.fake.put_sim(sim.iccid, state="active", geo_nos="44113000007", services=("int_roaming", *VOICE_AND_SMS))
    services.sim_query(sim_id=sim.pk, actor=staff)
    return sim


def test_a_sims_services_map_each_name_to_true_false_or_null(agent_api, adopted):
    body = agent_api.get(f"/api/v1/sims/{adopted.iccid}").json()
    assert body["services"] == {"int_roaming": True, "int_calling": False, **dict.fromkeys(VOICE_AND_SMS)}
    listed = agent_api.get("/api/v1/sims?state=active").json()["items"]
    assert listed[0]["services"] == body["services"]


def test_an_adopted_sims_subscriber_is_flagged_not_known_and_an_unused_ones_is_not(agent_api, adopted):
    assert agent_api.get(f"/api/v1/sims/{adopted.iccid}").json()["subscriber_not_known"] is True
    assert agent_api.get(f"/api/v1/sims/{iccid(0)}").json()["subscriber_not_known"] is False


def test_services_kept_are_left_as_they_are_and_the_rest_not_known_are_made_so(agent_api, adopted):
    response = agent_api.put(f"/api/v1/sims/{adopted.iccid}/services",
                             {"services": ["int_roaming", "mo_voice"], "keep": ["mt_voice"]})
    assert response.status_code == 202, response.content
    addition = GatewayRequest.objects.get(command="addservice")
    assert (addition.params["services"], addition.params["then_remove"]) == (["mo_voice"], ["mo_sms", "mt_sms"])


def test_the_schema_and_the_docs_say_null_is_not_known():
    schema = api.get_openapi_schema()
    services_field = schema["components"]["schemas"]["SimOut"]["properties"]["services"]
    assert services_field["additionalProperties"] == {"anyOf": [{"type": "boolean"}, {"type": "null"}]}
    assert "null not known" in services_field["description"]
    assert "`null`: not known" in schema["info"]["description"]
