"""Notification emails through a real SMTP server on loopback: at once or in hourly and daily digests,
one email per person per digest, a flood as one line, and never a subscriber's details."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from common.events import EventKind, emit
from notices.models import Channel, Notice, Topic
from notices.services import notices_build, notices_send_due, preferences_save
from sims import services
from sims.models import Subscriber
from tests.notices.conftest import Inbox, free_port, person

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 12, 7, 10, 5, tzinfo=UTC)  # a Monday, 10:05 in London (GMT)


def drift(iccid: str, n: int = 1) -> None:
    with transaction.atomic():
        for _ in range(n):
            emit(EventKind.DRIFT_FOUND, {"sim_id": 1, "iccid": iccid, "request_id": 1, "fields": ["state"],
                                         "state_before": "active", "state": "suspended", "url": "/api/v1/sims/x"})


def stock_low(code: str) -> None:
    with transaction.atomic():
        emit(EventKind.STOCK_LOW, {"product_code": code, "quantity": 3, "threshold": 50,
                                   "checked_at": T0.isoformat(), "url": "/api/v1/stock"})


def test_stock_low_reaches_a_supervisor_at_once_by_smtp_with_an_absolute_link(smtp: Inbox, people):
    notices_build(now=T0)
    stock_low("AQL-1")
    notices_build(now=T0)
    assert notices_send_due(now=T0) == 1  # the supervisor's default for stock: at once; the admin's is daily
    (message,) = smtp.messages
    assert message["To"] == "supervisor@example.org"
    assert message["Subject"] == "mvnoadmin: Stock of AQL-1 is low: 3 left, under its threshold of 50"
    assert "https://backoffice.example.com/stock/" in smtp.body(message)
    assert "https://backoffice.example.com/notifications/preferences/" in smtp.body(message)
    assert notices_send_due(now=T0 + timedelta(minutes=1)) == 0  # sent once
    assert len(smtp.messages) == 1


def test_an_hourly_digest_gathers_the_hour_into_one_email_at_its_end(smtp: Inbox, people):
    supervisor = people["Supervisor"]
    preferences_save(user=supervisor, choices={Topic.STOCK: Channel.HOURLY, Topic.DRIFT: Channel.HOURLY})
    notices_build(now=T0)
    stock_low("AQL-1")
    notices_build(now=T0)
    stock_low("AQL-2")
    drift("8944120000000000014")
    notices_build(now=T0 + timedelta(minutes=20))
    notices_send_due(now=T0 + timedelta(minutes=50))  # 10:55: the hour is not over
    assert smtp.to("supervisor@example.org") == []
    notices_send_due(now=T0 + timedelta(minutes=55))  # 11:00
    (digest,) = smtp.to("supervisor@example.org")
    assert digest["Subject"] == "mvnoadmin: 3 notifications"
    body = smtp.body(digest)
    assert "Stock below its threshold, or running out soon (2):" in body
    assert "Drift found (aql's record differed from ours) (1):" in body
    assert body.count("\n- ") == 3


def test_a_daily_digest_waits_for_its_hour_and_immediate_ones_go_meanwhile(smtp: Inbox, people, settings):
    settings.NOTIFY_DAILY_AT = 7
    admin = people["Admin"]  # defaults: drift and stock daily, webhooks at once
    notices_build(now=T0)
    stock_low("AQL-1")
    drift("8944120000000000014")
    notices_build(now=T0)
    notices_send_due(now=T0 + timedelta(hours=12))
    assert smtp.to(admin.email) == []
    notices_send_due(now=datetime(2026, 12, 8, 7, 0, tzinfo=UTC))  # 07:00 the next morning
    (daily,) = smtp.to(admin.email)
    assert "AQL-1" in smtp.body(daily) and "8944120000000000014" in smtp.body(daily)


def test_a_thousand_drifts_are_one_email_with_a_few_lines_and_how_many_more(smtp: Inbox, people):
    preferences_save(user=people["Supervisor"], choices={Topic.DRIFT: Channel.IMMEDIATE})
    notices_build(now=T0)
    drift("8944120000000000014", n=1000)
    notices_build(now=T0)
    assert Notice.objects.filter(user=people["Supervisor"]).count() == 1000  # each in the site's list
    notices_send_due(now=T0)
    (message,) = smtp.to("supervisor@example.org")
    body = smtp.body(message)
    assert body.count("\n- ") == 11  # ten, then one line for the rest
    assert "- and 990 more: https://backoffice.example.com/notifications/" in body


def test_an_email_never_carries_the_subscribers_details(smtp: Inbox, people, world, make_sim):
    preferences_save(user=people["Supervisor"], choices={Topic.DRIFT: Channel.IMMEDIATE})
    notices_build()
    sim = make_sim(1, number="44113000001")
    sim.subscriber = Subscriber.objects.create(name="Ada Lovelace", address="11-15 Hunslet Road, Leeds",
                                               postcode="LS10 1JQ", contact_number="441133203040")
    sim.save()
    world.fake.put_sim(sim.iccid, state="suspended", geo_nos="44113000002")  # aql moved it: drift
    services.sim_query(sim_id=sim.pk, actor=None)
    notices_build()
    notices_send_due()
    (message,) = smtp.to("supervisor@example.org")
    text = message.as_string()
    assert sim.iccid in text
    for personal in ("Ada", "Lovelace", "Hunslet", "LS10", "3203040", "44113000001", "44113000002", "07700"):
        assert personal not in text


def test_a_person_without_an_address_is_told_in_the_site_only(smtp: Inbox, people):
    nobody = person("Supervisor", "no-address")
    nobody.email = ""
    nobody.save()
    notices_build(now=T0)
    stock_low("AQL-1")
    notices_build(now=T0)
    notices_send_due(now=T0)
    assert Notice.objects.get(user=nobody).email_due_at is None
    assert [m["To"] for m in smtp.messages] == ["supervisor@example.org"]


def test_an_email_server_that_is_down_loses_nothing_the_next_pass_sends_it(smtp: Inbox, people, settings):
    up = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there
    notices_build(now=T0)
    stock_low("AQL-1")
    notices_build(now=T0)
    assert notices_send_due(now=T0) == 0
    assert Notice.objects.get(user=people["Supervisor"]).emailed_at is None
    settings.EMAIL_PORT = up
    assert notices_send_due(now=T0 + timedelta(minutes=1)) == 1
    assert len(smtp.to("supervisor@example.org")) == 1
