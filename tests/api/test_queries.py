"""The API's lists and a SIM run the same queries for 10 SIMs as for 1,000 (and their requests,
batches, orders, schedules, replacements): no query per row."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hooks import services as hook_services
from sims import services
from sims.lifecycle import Command, RequestState, SimState
from sims.models import Batch, GatewayRequest, Replacement, ReplacementStep, Sim
from sims.models_replacements import ReplacementState
from tests.conftest import many_sims
from tests.web.test_pages import more_rows, some_of_everything

pytestmark = pytest.mark.django_db

URLS = ["/api/v1/sims", "/api/v1/requests?who=all", "/api/v1/requests?command=queryiccid&who=all",
        "/api/v1/batches", "/api/v1/orders", "/api/v1/stock", "/api/v1/numbers", "/api/v1/scheduled",
        "/api/v1/webhooks", "/api/v1/replacements"]


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


def many_replacements(count: int, staff, start: int) -> list[Replacement]:
    """`count` replacements, each of two SIMs of its own, in every state, each with a step's request (a
    running one also waiting behind a command): made in bulk, test data, not a path under test."""
    olds, news = many_sims(count, start), many_sims(count, start + count)
    states = list(ReplacementState)
    requests = GatewayRequest.objects.bulk_create(
        GatewayRequest(sim=new, command=Command.ACTIVATE, state=RequestState.SUCCESS, state_before=SimState.UNUSED,
                       actor=staff) for new in news)
    made = Replacement.objects.bulk_create(
        Replacement(old_sim=old, new_sim=new, plan=Replacement.ACTIVE, number_id=old.number_id, imei="",
                    state=states[n % len(states)], step="" if states[n % len(states)] == "done" else "add",
                    stopped_why="aql refused.", waiting_behind=requests[n] if n % 10 == 0 else None)
        for n, (old, new) in enumerate(zip(olds, news, strict=True)))
    ReplacementStep.objects.bulk_create(ReplacementStep(replacement=r, step="activate", request=q)
                                        for r, q in zip(made, requests, strict=True))
    return made


def test_replacements_and_the_sims_naming_them_run_the_same_queries_for_10_and_1000(world, staff, as_role):
    api = as_role("Observer")
    first = many_replacements(10, staff, start=200_000)
    api.get("/api/v1/replacements")  # the key's first use is written once
    urls = ["/api/v1/replacements", "/api/v1/replacements?state=stopped", "/api/v1/sims",
            f"/api/v1/sims/{first[0].old_sim.iccid}", f"/api/v1/sims/{first[0].new_sim.iccid}"]
    at_ten = {url: count_queries(api, url) for url in urls}
    many_replacements(990, staff, start=300_000)
    assert Replacement.objects.count() == 1000
    named = [s["replacement"] for s in api.get("/api/v1/sims").json()["items"]]
    assert len(named) == 50 and all(named), "the list's page is of SIMs being (or having been) replaced"
    assert {url: count_queries(api, url) for url in urls} == at_ten
