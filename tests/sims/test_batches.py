"""One command for many SIMs (sims.services.batches): each SIM's request journalled, waiting to be
sent, then sent by the worker's requests lane, against the simulator; refusals per SIM, in words."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from common.errors import Refused
from sims import selectors, services, tasks
from sims.lifecycle import Command, RequestState, SimState
from sims.models import Batch, GatewayRequest, Sim
from sims.services import batches

pytestmark = pytest.mark.django_db


@pytest.fixture
def five(world, make_sim, staff) -> list[Sim]:
    """Three active SIMs, one already suspended, one with a suspend in flight."""
    sims = [make_sim(n, number=f"4411300000{n}") for n in (1, 2, 3)]
    sims.append(make_sim(4, state=SimState.SUSPENDED, number="44113000004"))
    busy = make_sim(5, number="44113000005")
    services.sim_suspend(sim_id=busy.pk, actor=staff)
    return [*sims, busy]


def test_a_batch_queues_each_sim_it_may_and_says_why_not_for_the_others(world, five, staff):
    sent_before = world.fake.count("suspend")
    batch = services.batch_start(sim_ids=[s.pk for s in five], command=Command.SUSPEND, actor=staff)

    assert batch.size == 5 and batch.actor_name == staff.username
    assert world.fake.count("suspend") == sent_before  # nothing sent yet: the worker sends them
    assert selectors.batch_progress(batch) == {"waiting": 3, "in_progress": 0, "succeeded": 0, "failed": 2,
                                               "unknown": 0, "attention": 0}
    not_done = dict(batch.requests.filter(state=RequestState.NOT_SENT).values_list("sim_id", "why_not_sent"))
    assert not_done == {five[3].pk: "Suspend needs a SIM that is active; this one is suspended.",
                        five[4].pk: "Suspend is still in progress for this SIM: wait for it to finish."}
    assert five[0].events.get(request__batch=batch).message == f"Suspend waiting to be sent (batch {batch.pk})."
    assert five[3].events.get(request__batch=batch).message.startswith(f"Suspend not done (batch {batch.pk}): ")

    tasks.poll_pass()  # the worker sends the three...
    assert world.fake.count("suspend") == sent_before + 3
    assert selectors.batch_progress(batch)["in_progress"] == 3
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.filter(batch=batch, state=RequestState.PENDING).update(next_poll_at=timezone.now())
    tasks.poll_pass()  # ...and follows each to its end, as a single command's
    assert selectors.batch_progress(batch)["succeeded"] == 3
    assert set(Sim.objects.filter(pk__in=[s.pk for s in five[:3]]).values_list("state", flat=True)) == {"suspended"}


def test_a_worker_that_stops_after_taking_part_of_a_batch_never_sends_a_sim_twice(world, five, staff):
    sent_before = world.fake.count("suspend")
    batch = services.batch_start(sim_ids=[s.pk for s in five[:3]], command=Command.SUSPEND, actor=staff)
    taken = services.request_claim_due(limit=2, lease=60)  # a worker took two, then died
    assert len(taken) == 2
    tasks.poll_pass()  # the next takes what was not taken
    assert world.fake.count("suspend") == sent_before + 1
    GatewayRequest.objects.filter(pk__in=taken).update(next_poll_at=timezone.now())  # the dead one's claim ran out
    tasks.poll_pass()
    tasks.poll_pass()
    assert world.fake.count("suspend") == sent_before + 3  # each once
    assert selectors.batch_progress(batch)["in_progress"] == 3


def test_retrying_a_batch_sends_again_only_what_failed_and_could_go_through_now(world, five, staff):
    batch = services.batch_start(sim_ids=[s.pk for s in five], command=Command.SUSPEND, actor=staff)
    Sim.objects.filter(pk=five[3].pk).update(state=SimState.ACTIVE)  # put right meanwhile
    again = services.batch_retry(batch_id=batch.pk, actor=staff)
    # the busy one is still busy: sent again now, it would be not done again
    assert again.size == 1 and set(again.requests.values_list("sim_id", flat=True)) == {five[3].pk}
    assert selectors.batch_progress(again)["waiting"] == 1


def test_a_retry_leaves_out_what_aql_would_refuse_the_same_way_and_what_is_not_known(world, five, staff):
    world.fake.force("suspend", [63003])  # not on our account: refused again, whatever we do
    world.fake.force("suspend", [63026])  # not in a state for it at aql: our record says it is now
    world.fake.force("suspend", [500])  # aql's system failed part-way: not known whether it acted
    batch = services.batch_start(sim_ids=[s.pk for s in five[:3]], command=Command.SUSPEND, actor=staff)
    tasks.poll_pass()
    # The pipeline sends concurrently: which SIM met which answer is aql's order, not the list's.
    met = {tuple(r.codes): (r.sim_id, r.state) for r in batch.requests.all()}
    assert sorted(state for _, state in met.values()) == sorted(
        [RequestState.REJECTED, RequestState.REJECTED, RequestState.UNKNOWN])
    again = services.batch_retry(batch_id=batch.pk, actor=staff)
    assert list(again.requests.values_list("sim_id", flat=True)) == [met[(63026,)][0]]


def test_a_retry_with_nothing_that_could_go_through_says_so_and_queues_nothing(world, five, staff):
    batch = services.batch_start(sim_ids=[five[3].pk], command=Command.SUSPEND, actor=staff)  # suspended already
    with pytest.raises(Refused, match="none could now"):
        services.batch_retry(batch_id=batch.pk, actor=staff)
    assert Batch.objects.count() == 1


def test_services_and_queries_go_in_batches_too(world, five, staff):
    added = services.batch_start(sim_ids=[five[0].pk], command=Command.ADDSERVICE, actor=staff,
                                 services=["int_roaming"])
    asked = services.batch_start(sim_ids=[five[4].pk], command=Command.QUERYICCID, actor=staff)
    assert added.requests.get().params == {"geo_nos": "44113000001", "services": ["int_roaming"]}
    assert asked.requests.get().state == RequestState.TO_SEND  # a query may go beside a command in flight
    tasks.poll_pass()
    assert world.fake.count("addservice") == 1 and world.fake.count("queryiccid") == 1
    assert asked.requests.get().state == RequestState.SUCCESS


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"command": Command.ACTIVATE}, Refused, "Activate cannot be given to many SIMs at once."),
    ({"command": Command.SUSPEND, "sim_ids": []}, Refused, "No SIMs chosen"),
    ({"command": Command.ADDSERVICE, "services": ["teleportation"]}, ValidationError, "Unknown service: teleportation"),
    ({"command": Command.ADDSERVICE, "services": []}, ValidationError, "Choose at least one service"),
])
def test_a_batch_that_cannot_be_made_says_why_and_queues_nothing(world, five, staff, kwargs, error, words):
    with pytest.raises(error, match=words):
        services.batch_start(**{"sim_ids": [five[0].pk], "actor": staff, **kwargs})
    assert not Batch.objects.exists() and not GatewayRequest.objects.filter(state=RequestState.TO_SEND).exists()


def test_a_batch_too_big_is_refused_before_anything_is_queued(world, five, staff, monkeypatch):
    monkeypatch.setattr(batches, "BATCH_AT_MOST", 2)
    with pytest.raises(ValidationError, match="At most 2 SIMs in one batch"):
        services.batch_start(sim_ids=[s.pk for s in five], command=Command.SUSPEND, actor=staff)
    assert not Batch.objects.exists()


def test_checks_due_are_taken_before_a_batch_waiting_to_be_sent(world, five, staff):
    services.batch_start(sim_ids=[s.pk for s in five[:3]], command=Command.SUSPEND, actor=staff)
    pending = GatewayRequest.objects.get(sim=five[4], state=RequestState.PENDING)
    GatewayRequest.objects.filter(pk=pending.pk).update(next_poll_at=timezone.now())  # due after the batch
    assert services.request_claim_due(limit=1, lease=60) == [pending.pk]
    assert len(services.request_claim_due(limit=5, lease=60)) == 3  # then the batch


def test_cancelling_a_batch_records_what_still_waits_as_not_done_and_sends_nothing_more(world, five, staff):
    sent_before = world.fake.count("suspend")
    batch = services.batch_start(sim_ids=[s.pk for s in five[:3]], command=Command.SUSPEND, actor=staff)
    services.request_poll(request_id=batch.requests.order_by("pk").first().pk)  # the worker sent one already
    assert services.batch_cancel(batch_id=batch.pk, actor=staff) == 2
    tasks.poll_pass()
    assert world.fake.count("suspend") == sent_before + 1
    assert selectors.batch_progress(batch) == {  # the one sent goes on
        "waiting": 0, "in_progress": 1, "succeeded": 0, "failed": 2, "unknown": 0, "attention": 0}
    assert set(batch.requests.filter(state=RequestState.NOT_SENT).values_list("why_not_sent", flat=True)) == {
        "cancelled by agent before it was sent."}
    assert five[2].events.filter(action="not_sent", message__contains="cancelled by agent").exists()
    with pytest.raises(Refused, match="Nothing to cancel"):
        services.batch_cancel(batch_id=batch.pk, actor=staff)


@pytest.mark.parametrize("gone", ["demoted", "closed", "deleted"])
def test_a_batch_left_by_an_account_closed_or_demoted_sends_no_more_and_says_why(world, make_sim, client, gone):
    from html import unescape

    from django.contrib.auth.models import Group

    from tests.conftest import member_of

    jo = member_of("Customer service", "jo")
    sims = [make_sim(n, number=f"4411300000{n}") for n in (1, 2)]
    sent_before = world.fake.count("suspend")
    batch = services.batch_start(sim_ids=[s.pk for s in sims], command=Command.SUSPEND, actor=jo)
    if gone == "demoted":
        jo.groups.set([Group.objects.get(name="Observer")])
    elif gone == "closed":
        jo.is_active = False
        jo.save()
    else:
        jo.delete()
    tasks.poll_pass()

    assert world.fake.count("suspend") == sent_before  # not one sent in the name of one who may no longer
    why = "jo's account no longer may suspend (it was closed, or its role changed)."
    assert set(batch.requests.values_list("state", "why_not_sent")) == {(RequestState.NOT_SENT, why)}
    assert sims[0].events.filter(message=f"Suspend not sent: {why}").exists()  # the journal says so
    client.force_login(member_of("Supervisor", "boss"))
    assert why in unescape(client.get(f"/batches/{batch.pk}/").text)  # and the batch's page
