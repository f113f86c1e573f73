"""The worker builds notices from what is recorded (the outbox and the journal), for each person whose
preferences want them, and never tells anyone twice."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from common.events import EventKind, emit
from common.models import OutboxEvent
from hooks.models import Subscription
from notices import tasks
from notices.models import Channel, Cursor, Notice, Topic
from notices.services import notices_build, preferences_save
from sims import services
from sims.lifecycle import Command, RequestState, SimState
from sims.models import GatewayRequest, Sim, Subscriber
from sims.models_replacements import ReplacementState
from sims.services.sending import request_send
from tests.conftest import IMEI, iccid

pytestmark = pytest.mark.django_db


def batch_finished(batch_id: int, size: int, counts: dict[str, int]) -> None:
    with transaction.atomic():
        emit(EventKind.BATCH_FINISHED, {"batch_id": batch_id, "command": "suspend", "size": size, "counts": counts,
                                        "reason": None, "url": f"/api/v1/batches/{batch_id}"})


def stock_low(code: str = "AQL-1") -> None:
    with transaction.atomic():
        emit(EventKind.STOCK_LOW, {"product_code": code, "quantity": 3, "threshold": 50,
                                   "checked_at": timezone.now().isoformat(), "url": "/api/v1/stock"})


def who_was_told(key_start: str = "") -> dict[str, str]:
    return {n.user.username: n.topic for n in Notice.objects.filter(key__startswith=key_start).select_related("user")}


def test_a_batch_of_a_thousand_failures_is_one_notice_for_each_person_who_wants_batches(people):
    notices_build()  # the first pass starts from the outbox's present end
    batch_finished(7, 1000, {"failed": 600, "rejected": 400})
    assert notices_build() == 3  # customer service, supervisor, admin: one each; observers are not told
    assert set(who_was_told()) == {"customer-service", "supervisor", "admin"}
    notice = Notice.objects.get(user=people["Supervisor"])
    assert notice.title == "Batch 7 (suspend, 1,000 SIMs) finished: 1,000 did not go through"
    assert notice.link == "/batches/7/"


def test_a_small_batch_that_all_went_through_is_not_news_but_a_large_one_is(people, settings):
    settings.NOTIFY_LARGE_BATCH = 100
    notices_build()
    batch_finished(1, 5, {"success": 5})
    batch_finished(2, 100, {"success": 100})
    notices_build()
    assert {n.link for n in Notice.objects.all()} == {"/batches/2/"}
    assert Notice.objects.get(user=people["Supervisor"]).title.endswith("finished: all went through")


def test_building_again_twice_or_after_losing_the_mark_tells_nobody_twice(people):
    notices_build()
    stock_low()
    assert notices_build() == 4  # every role hears about stock by default
    assert notices_build() == 0
    Cursor.objects.all().delete()  # a restored database, an operator's mistake: the mark is gone
    assert notices_build() == 0
    assert tasks.notify_pass()["made"] == 0
    assert Notice.objects.count() == 4


def test_an_event_that_committed_after_a_later_one_is_still_told(people):
    """PostgreSQL hands out ids before commit: an event can appear below the mark. The last minutes are
    read again, and what was told already is not told again."""
    notices_build()
    stock_low("AQL-LATE")
    late = OutboxEvent.objects.get()
    Cursor.objects.update(last_id=late.pk + 10)  # a later event was read first
    assert notices_build() == 4
    assert set(Notice.objects.values_list("key", flat=True)) == {f"event:{late.uuid}"}


def test_the_first_pass_starts_from_now_not_from_the_outbox_history(people):
    stock_low()
    OutboxEvent.objects.update(created_at=timezone.now() - timedelta(days=3))
    assert notices_build() == 0


def test_drift_found_by_the_real_sweep_is_told_to_supervisors_and_admins(world, make_sim, people):
    notices_build()
    sim = make_sim(1, number="44113000001")
    world.fake.put_sim(sim.iccid, state="suspended", geo_nos="44113000001")
    services.sim_query(sim_id=sim.pk, actor=None)
    notices_build()
    assert who_was_told() == {"supervisor": Topic.DRIFT, "admin": Topic.DRIFT}
    notice = Notice.objects.filter(topic=Topic.DRIFT).first()
    assert notice.link == f"/sims/{sim.iccid}/" and "(state)" in notice.title


def _request(sim, **fields) -> GatewayRequest:
    return GatewayRequest.objects.create(sim=sim, command=Command.SUSPEND, state_before=SimState.ACTIVE, **fields)


def test_a_request_needing_attention_is_told_once_while_it_stays_so(make_sim, people):
    sim = make_sim(1)
    request = _request(sim, state=RequestState.PENDING, needs_attention=True)
    notices_build()
    notices_build()
    assert who_was_told(f"request:{request.pk}:attention") == {
        "customer-service": Topic.ATTENTION, "supervisor": Topic.ATTENTION, "admin": Topic.ATTENTION}
    assert Notice.objects.filter(key=f"request:{request.pk}:attention").count() == 3


def test_an_outcome_unknown_longer_than_the_setting_is_told(make_sim, people, settings):
    settings.NOTIFY_UNKNOWN_AFTER_HOURS = 2
    sim = make_sim(1)
    request = _request(sim, state=RequestState.UNKNOWN)
    notices_build()
    assert not Notice.objects.filter(topic=Topic.UNKNOWN).exists()  # just lost: the worker is still asking
    GatewayRequest.objects.filter(pk=request.pk).update(created_at=timezone.now() - timedelta(hours=3))
    notices_build()
    notice = Notice.objects.get(user=people["Supervisor"], topic=Topic.UNKNOWN)
    assert notice.title == f"Request {request.pk} (suspend of SIM {sim.iccid}): outcome still unknown after 2 hours"


def test_a_stopped_replacement_and_a_paused_webhook_are_told(world, make_sim, people, staff):
    old = make_sim(1, number="44113000001")
    old.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="1 Road", postcode="LS1 1AA",
                                               contact_number="447700900123")
    old.imei = IMEI
    old.save()
    replacement = services.sim_replace(sim_id=old.pk, new_sim_id=Sim.objects.get(iccid=iccid(4)).pk, actor=staff)
    world.fake.force("activate", [63021])  # aql refuses the first step: the procedure stops
    request_send(request_id=replacement.steps.get().request_id)
    replacement.refresh_from_db()
    assert replacement.state == ReplacementState.STOPPED
    Subscription.objects.create(url="https://hooks.example.com/x", secret="whsec_x", active=False,
                                paused_at=timezone.now(), paused_reason="20 failed attempts in a row")
    notices_build()
    assert Notice.objects.get(user=people["Supervisor"], topic=Topic.REPLACEMENT).link == f"/sims/{old.iccid}/"
    hook = Notice.objects.get(user=people["Admin"], topic=Topic.WEBHOOK)
    assert hook.link.startswith("/admin/hooks/subscription/")
    assert not Notice.objects.filter(topic=Topic.WEBHOOK, user__in=[people["Observer"], people["Customer service"]])


def test_preferences_are_honoured_and_off_means_not_told(people):
    preferences_save(user=people["Supervisor"], choices={Topic.STOCK: Channel.OFF})
    preferences_save(user=people["Observer"], choices={Topic.BATCH: Channel.DAILY})
    notices_build()
    stock_low()
    batch_finished(3, 10, {"failed": 1, "success": 9})
    notices_build()
    assert not Notice.objects.filter(user=people["Supervisor"], topic=Topic.STOCK).exists()
    observer = Notice.objects.get(user=people["Observer"], topic=Topic.BATCH)
    assert observer.email_due_at is not None  # a daily email
    assert Notice.objects.get(user=people["Customer service"], topic=Topic.BATCH).email_due_at is None  # site only


def test_notices_older_than_the_setting_are_deleted_by_the_worker(people, settings):
    settings.NOTIFY_KEPT_DAYS = 90
    notices_build()
    stock_low()
    notices_build()
    assert tasks.notify_pass()["pruned"] == 0
    Notice.objects.filter(user=people["Observer"]).update(created_at=timezone.now() - timedelta(days=91))
    assert tasks.notify_pass()["pruned"] == 1
    assert not Notice.objects.filter(user=people["Observer"]).exists() and Notice.objects.count() == 3


def test_production_without_a_site_url_is_warned_by_check_deploy(settings):
    from django.core.checks import run_checks

    settings.LOOPBACK_ONLY = False
    found = [m.id for m in run_checks(include_deployment_checks=True) if m.id.startswith("notices.")]
    assert found == ["notices.W001"]
    settings.SITE_URL = "https://backoffice.example.com"
    assert not [m.id for m in run_checks(include_deployment_checks=True) if m.id.startswith("notices.")]


def test_stock_running_out_at_the_reports_rate_is_told_once_a_week_while_it_lasts(settings):
    from reports.days import today
    from reports.services import rollup_day
    from tests.conftest import member_of
    from tests.reports import world

    settings.NOTIFY_STOCK_DAYS, settings.STOCK_LEAD_DAYS = 14, 10
    member_of("Supervisor", "sam")
    days = [today() - timedelta(days=n) for n in (2, 1, 0)]
    levels = [(f"{day}T{hour}:00+00:00", 300 - 50 * i - 25 * (hour == "09"))
              for i, day in enumerate(days) for hour in ("00", "09")]
    world.stock("AQL-LOW", *levels)  # 300 down to 175: 125 used over 3 days, 41.7 a day: 175 last 4 days
    world.stock("AQL-FULL", (f"{days[0]}T00:00+00:00", 5000), (f"{days[2]}T00:00+00:00", 4990))
    for day in days:
        rollup_day(day)
    assert notices_build() == 1
    told = Notice.objects.get()
    assert told.key.startswith("stock-days:AQL-LOW:") and told.topic == Topic.STOCK
    assert told.title == "Stock of AQL-LOW lasts about 4 days at the last 30 days' rate (175 left): reorder now"
    assert notices_build() == 0  # the same week: told already
    settings.NOTIFY_STOCK_DAYS = 0
    Notice.objects.all().delete()
    assert notices_build() == 0
