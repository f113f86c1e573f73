"""Erasing a subscriber takes the words staff gave with a reason to stop their line from everywhere
they were given or copied (sims.services.erasure.reason_words_forget): the batch that carried them,
its retries and each of their SIMs' requests (so every timeline and Django admin's batch page), the
schedules made in one go with the SIM's own and the requests those made; each reason's code stays.
By hand and by the retention pass, and by a migration for those erased before; against the simulator."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sims import services, tasks
from sims.lifecycle import Command, RequestState, SimAction, SimState
from sims.models import Batch, GatewayRequest, ScheduledAction, Sim, Subscriber
from sims.services import batches
from sims.services.answers import event
from tests.conftest import _run_migration
from tests.sims.test_erasure import personal_data_found

pytestmark = pytest.mark.django_db

WORDS = "Ada Lovelace's son phoned: she died"  # the kind of words a reason "other" may carry


def terminated_with_a_subscriber(sim: Sim, days_ago: int = 40) -> None:
    """The SIM terminated, its subscriber on record: what the erasure then finds."""
    Sim.objects.filter(pk=sim.pk).update(
        state=SimState.TERMINATED, terminated_at=timezone.now() - timedelta(days=days_ago),
        subscriber=Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                             contact_number="447700900123"))


def erase(sim: Sim, how: str, staff, settings) -> None:
    if how == "by hand":
        services.subscriber_erase(sim_id=sim.pk, actor=staff)
    else:  # the worker's retention pass, as the system account
        settings.PERSONAL_DATA_RETENTION_DAYS = 30
        assert tasks.erase_expired_pass() == 1
    assert Sim.objects.get(pk=sim.pk).subscriber_id is None


@pytest.mark.parametrize("how", ["by hand", "by the retention pass"])
def test_erasing_one_subscriber_takes_a_batchs_words_from_the_batch_and_every_sim_in_it(
        world, make_sim, staff, settings, how):
    ada, other = make_sim(1, number="44113000001"), make_sim(2, number="44113000002")
    batch = services.batch_start(sim_ids=[ada.pk, other.pk], command=Command.DEACTIVATE, actor=staff,
                                 reason="other", reason_words=WORDS)
    assert sorted(personal_data_found("son phoned")) == ["Batch.params", "GatewayRequest.reason_words"]
    terminated_with_a_subscriber(ada)
    erase(ada, how, staff, settings)
    assert personal_data_found("son phoned") == []
    batch.refresh_from_db()
    assert batch.params["reason"] == "other" and "reason_words" not in batch.params  # the code names no one
    assert list(batch.requests.values_list("reason", "reason_words")) == [("other", None), ("other", None)]


def test_the_words_go_from_the_batch_page_in_admin_and_the_other_sims_timeline(
        world, make_sim, staff, agent, admin_client):
    ada, other = make_sim(1, number="44113000001"), make_sim(2, number="44113000002")
    batch = services.batch_start(sim_ids=[ada.pk, other.pk], command=Command.SUSPEND, actor=staff,
                                 reason="other", reason_words=WORDS)
    pages = (f"/admin/sims/batch/{batch.pk}/change/", f"/sims/{other.iccid}/")
    before = [admin_client.get(pages[0]), agent.get(pages[1])]
    assert all(page.status_code == 200 and "son phoned" in page.content.decode() for page in before)
    terminated_with_a_subscriber(ada)
    services.subscriber_erase(sim_id=ada.pk, actor=staff)
    after = [admin_client.get(pages[0]), agent.get(pages[1])]
    assert all(page.status_code == 200 and "son phoned" not in page.content.decode() for page in after)
    assert "Why: other." in after[1].content.decode()  # the timeline keeps the reason's code in words


def test_the_words_go_from_a_retry_of_the_batch_the_erased_sim_was_not_in(world, make_sim, staff):
    ada, late = make_sim(1, number="44113000001"), make_sim(2, SimState.UNUSED)  # unused: not suspended
    first = services.batch_start(sim_ids=[ada.pk, late.pk], command=Command.SUSPEND, actor=staff,
                                 reason="other", reason_words=WORDS)
    assert first.requests.get(sim=late).state == RequestState.NOT_SENT
    make_sim(2, number="44113000002")  # active now: it can be tried again
    again = services.batch_retry(batch_id=first.pk, actor=staff)
    assert again.params["retry_of"] == first.pk and list(again.requests.values_list("sim", flat=True)) == [late.pk]
    assert "retry_of" not in again.requests.get().params  # ours, never sent to aql
    retry_of_retry = Batch.objects.create(command=Command.SUSPEND, size=0, params={
        "reason": "other", "reason_words": WORDS, "retry_of": again.pk})  # and so on down the line
    terminated_with_a_subscriber(ada)
    services.subscriber_erase(sim_id=ada.pk, actor=staff)
    assert personal_data_found("son phoned") == []
    retry_of_retry.refresh_from_db()
    assert retry_of_retry.params == {"reason": "other", "retry_of": again.pk}


def test_the_words_go_from_the_schedules_made_with_the_sims_own_and_what_they_ran_but_not_from_others(
        world, make_sim, staff):
    ada, other, apart = (make_sim(n, number=f"4411300000{n}") for n in (1, 2, 3))
    soon = timezone.now() + timedelta(days=1)
    services.schedule_add(sim_ids=[ada.pk, other.pk], command=Command.SUSPEND, due_at=soon, actor=staff,
                          reason="other", reason_words=WORDS)
    services.schedule_add(sim_ids=[apart.pk], command=Command.SUSPEND, due_at=soon + timedelta(hours=1),
                          actor=staff, reason="other", reason_words=WORDS)  # typed again, for that SIM alone
    made_together = ScheduledAction.objects.filter(sim__in=[ada, other])
    made_together.update(due_at=timezone.now() - timedelta(minutes=1))  # both due (still one statement)
    ran = services.schedule_run(action_id=made_together.get(sim=other).pk)
    assert ran.reason_words == WORDS
    terminated_with_a_subscriber(ada)
    services.subscriber_erase(sim_id=ada.pk, actor=staff)
    assert list(ScheduledAction.objects.order_by("sim").values_list("sim", "reason", "reason_words")) == [
        (ada.pk, "other", None), (other.pk, "other", None), (apart.pk, "other", WORDS)]
    assert GatewayRequest.objects.get(pk=ran.pk).reason_words is None


def test_words_typed_for_another_sim_alone_stay_even_when_they_are_the_same(world, make_sim, staff):
    ada, other = make_sim(1, number="44113000001"), make_sim(2, number="44113000002")
    services.sim_suspend(sim_id=ada.pk, actor=staff, reason="other", reason_words=WORDS)
    services.sim_suspend(sim_id=other.pk, actor=staff, reason="other", reason_words=WORDS)
    terminated_with_a_subscriber(ada)
    services.subscriber_erase(sim_id=ada.pk, actor=staff)
    assert dict(GatewayRequest.objects.values_list("sim", "reason_words")) == {ada.pk: None, other.pk: WORDS}


def test_a_batch_still_being_queued_copies_no_words_once_an_erasure_took_them(world, make_sim, staff, monkeypatch):
    ada = make_sim(1, number="44113000001")
    terminated_with_a_subscriber(ada)
    others = [make_sim(n, number=f"4411300000{n}") for n in (2, 3)]
    real_queue, chunks = batches._queue, []

    def queue_then_erase_after_the_first_chunk(batch, ids, actor):
        real_queue(batch, ids, actor)
        chunks.append(ids)
        if len(chunks) == 1:  # between two chunks, as a Supervisor erasing at that moment would
            services.subscriber_erase(sim_id=ada.pk, actor=staff)

    monkeypatch.setattr(batches, "CHUNK", 1)
    monkeypatch.setattr(batches, "_queue", queue_then_erase_after_the_first_chunk)
    batch = services.batch_start(sim_ids=[ada.pk, *(s.pk for s in others)], command=Command.SUSPEND, actor=staff,
                                 reason="other", reason_words=WORDS)
    assert len(chunks) == 3 and batch.params["reason"] == "other"
    assert personal_data_found("son phoned") == []


def test_the_migration_takes_the_words_from_batches_of_subscribers_erased_before(world, make_sim, staff):
    ada, other, elsewhere = (make_sim(n, number=f"4411300000{n}") for n in (1, 2, 3))
    erased_before = services.batch_start(sim_ids=[ada.pk, other.pk], command=Command.SUSPEND, actor=staff,
                                         reason="other", reason_words=WORDS)
    untouched = services.batch_start(sim_ids=[elsewhere.pk], command=Command.DEACTIVATE, actor=staff,
                                     reason="other", reason_words=WORDS)
    terminated_with_a_subscriber(ada)
    # As the erasure did before it reached batches: the SIM's own request only.
    GatewayRequest.objects.filter(sim=ada).update(reason_words=None)
    Sim.objects.filter(pk=ada.pk).update(subscriber=None)
    event(sim=ada, actor=staff, action=SimAction.ERASED, before={}, message="The subscriber's details were erased.")
    _run_migration("sims.migrations.0044_erased_reason_words", "forget")
    erased_before.refresh_from_db()
    untouched.refresh_from_db()
    assert "reason_words" not in erased_before.params and untouched.params["reason_words"] == WORDS
    assert dict(GatewayRequest.objects.values_list("sim", "reason_words")) == {
        ada.pk: None, other.pk: None, elsewhere.pk: WORDS}
