"""The API's lists and a SIM run the same queries for 10 SIMs as for 1,000 (and their requests,
batches, orders, schedules): no query per row."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hooks import services as hook_services
from sims import services
from sims.lifecycle import Command, SimState
from sims.models import Batch, Sim
from tests.web.test_pages import more_rows, some_of_everything

pytestmark = pytest.mark.django_db

URLS = ["/api/v1/sims", "/api/v1/requests?who=all", "/api/v1/requests?command=queryiccid&who=all",
        "/api/v1/batches", "/api/v1/orders", "/api/v1/stock", "/api/v1/numbers", "/api/v1/scheduled",
        "/api/v1/webhooks"]


def count_queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content)
    return len(captured)


def test_each_list_runs_the_same_queries_for_10_and_1000_rows(world, staff, make_sim, as_role, settings):
    settings.WEBHOOKS_ALLOW_HTTP = settings.WEBHOOKS_ALLOW_PRIVATE = True
    hook_services.subscription_add(url="http://127.0.0.1:9/hook", events=["batch.finished"], actor=staff)
    api = as_role("Supervisor")
    sim = some_of_everything(staff, make_sim)
    services.batch_start(sim_ids=[sim.pk], command=Command.QUERYICCID, actor=staff)  # a row in every list
    services.schedule_add(sim_ids=[sim.pk], command=Command.SUSPEND, due_at=timezone.now() + timezone.timedelta(days=1),
                          actor=staff)
    api.get("/api/v1/sims")  # the key's first use is written once (then at most once a minute)
    urls = [*URLS, f"/api/v1/sims/{sim.iccid}"]
    at_ten = {url: count_queries(api, url) for url in urls}
    more_rows(sim, staff, 990)
    assert Sim.objects.count() == 1000
    for n in range(3):  # more batches and scheduled actions, each with its own requests
        services.batch_start(sim_ids=list(Sim.objects.filter(state=SimState.ACTIVE).values_list("pk", flat=True)
                                          [n * 10:(n + 1) * 10]), command=Command.QUERYICCID, actor=staff)
    services.schedule_add(sim_ids=list(Sim.objects.values_list("pk", flat=True)[:20]), command=Command.SUSPEND,
                          due_at=timezone.now() + timezone.timedelta(days=1), actor=staff)
    for n in range(3):
        hook_services.subscription_add(url=f"http://127.0.0.1:9/hook{n}", events=["batch.finished"], actor=staff)
    assert Batch.objects.count() >= 3
    assert {url: count_queries(api, url) for url in urls} == at_ten
