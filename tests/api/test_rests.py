"""Resting numbers through the API: a refusal that says why in words (problem details, code
`number-resting`), and the pool's `rests_until` and `show=resting`."""

from datetime import timedelta

import pytest
from django.utils import timezone

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
