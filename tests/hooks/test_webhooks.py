"""Webhooks end to end: a real receiver over loopback (http.server in a thread), subscribed through
the services, told of real changes made against the simulator, checking signatures with the Standard
Webhooks library as the README tells integrators to."""

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from standardwebhooks import Webhook

from common.errors import Refused
from common.events import EventKind, emit
from common.models import OutboxEvent
from hooks import services, signing, tasks
from hooks.models import Delivery, DeliveryState, Subscription
from sims import services as sim_services
from sims import tasks as sim_tasks
from sims.models import GatewayRequest, RequestState

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_verify():
    """The verification snippet of the README's Webhooks section, executed as integrators would paste it."""
    section = README.read_text().split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    scope: dict = {}
    exec(code, scope)  # our own README
    return scope["verify"]


@dataclass
class Receiver:
    url: str
    statuses: list[int] = field(default_factory=list)  # answered in turn; 200 once they run out
    received: list[dict] = field(default_factory=list)
    delay: float = 0.0


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    """An integrator's endpoint on loopback; webhooks to it allowed (plain http, a private address)."""
    settings.WEBHOOKS_ALLOW_HTTP = settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_TIMEOUT = 1.0
    settings.AQL_MAX_CONCURRENCY = 1  # worker steps in this thread, inside the test's transaction
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append({"path": self.path, "headers": dict(self.headers), "body": body})
            time.sleep(state.delay)
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/mvno"
    yield state
    server.shutdown()
    server.server_close()


def subscribe(receiver: Receiver, staff, events=None, secret=None) -> tuple[Subscription, str]:
    return services.subscription_add(url=receiver.url, events=events or list(EventKind.values), actor=staff,
                                     secret=secret)


def an_event(kind: str = EventKind.STOCK_LOW) -> None:
    with transaction.atomic():
        emit(kind, {"product_code": "AQL-123", "quantity": 10, "threshold": 100, "url": "/api/v1/stock"})


def due_now() -> None:
    Delivery.objects.filter(state=DeliveryState.PENDING).update(next_attempt_at=timezone.now())


# --- end to end -------------------------------------------------------------------------------------

def test_a_suspend_settled_by_the_worker_reaches_the_receiver_signed_as_the_readme_says(
        world, staff, make_sim, receiver):
    _, secret = subscribe(receiver, staff, events=[EventKind.REQUEST_SETTLED])
    assert secret.startswith("whsec_") and len(signing.key_of(secret)) == 32
    assert Subscription.objects.get().secret == secret
    sim = make_sim(1, number="44113000001")
    request = sim_services.sim_suspend(sim_id=sim.pk, actor=staff)
    world.fake.advance(world.fake.faults.settle_after)
    GatewayRequest.objects.filter(pk=request.pk).update(next_poll_at=timezone.now())
    sim_tasks.poll_pass()
    assert GatewayRequest.objects.get(pk=request.pk).state == RequestState.SUCCESS

    assert tasks.deliver_pass() == 1
    (got,) = receiver.received
    headers = got["headers"]
    assert got["path"] == "/hooks/mvno" and headers["Content-Type"] == "application/json"
    assert headers["X-Webhook-Event"] == "request.settled"
    assert Webhook(secret).verify(got["body"], headers)  # the Standard Webhooks library's own check
    verify = readme_verify()
    assert verify(secret, got["body"], headers)
    another = signing.secret_of(b"another-secret-entirely-000000")
    assert verify(another, got["body"], headers) is None
    assert verify(secret, got["body"] + b" ", headers) is None
    old = int(headers["webhook-timestamp"]) - 301
    replayed = {**headers, "webhook-timestamp": str(old),
                "webhook-signature": signing.signature(secret, headers["webhook-id"], old, got["body"])}
    assert verify(secret, got["body"], replayed) is None
    import json

    sent = json.loads(got["body"])
    assert sent["kind"] == "request.settled" and sent["id"] == headers["webhook-id"]
    assert sent["data"]["request_id"] == request.pk and sent["data"]["outcome"] == "success"

    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (DeliveryState.DELIVERED, 1, 200)
    assert delivery.last_latency_ms is not None and delivery.attempt_log.get().status_code == 200
    assert tasks.deliver_pass() == 0  # delivered once


def test_the_signature_is_the_base64_hmac_of_id_dot_timestamp_dot_body_keyed_with_the_secrets_bytes():
    import base64
    import hashlib
    import hmac

    body, key = b'{"kind":"stock.low"}', b"k" * 32
    expected = hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    assert signing.signature(signing.secret_of(key), "msg_1", 1700000000, body) == (
        "v1," + base64.b64encode(expected).decode())


def test_a_secret_given_plain_signs_with_its_own_bytes_and_is_shown_in_its_whsec_form(db, staff, receiver):
    _, secret = subscribe(receiver, staff, secret="a-secret-of-the-integrators-own-0001")
    assert secret == signing.secret_of(b"a-secret-of-the-integrators-own-0001")
    made = signing.secret_of(b"x" * 40)
    assert subscribe(receiver, staff, secret=made)[1] == made  # a whsec_ secret is kept as given
    for bad in ("whsec_" + "A" * 8, "whsec_not base64!!!!!!!!!!!!!!!!!!!!!!!!!!!"):
        with pytest.raises(Refused, match="whsec_ and the base64") as refused:
            subscribe(receiver, staff, secret=bad)
        assert refused.value.field == "secret"


def test_a_subscription_made_before_keeps_its_key_and_is_verified_with_its_whsec_form(db, staff, receiver):
    import base64
    import importlib

    from django.apps import apps

    subscription, _ = subscribe(receiver, staff, events=[EventKind.STOCK_LOW])
    old_secret = "an-old-plain-secret-of-before-00001"
    Subscription.objects.filter(pk=subscription.pk).update(secret=old_secret)  # as rows were before 0002
    migration = importlib.import_module("hooks.migrations.0002_secret_whsec")
    migration.to_whsec(apps, None)
    an_event()
    assert tasks.deliver_pass() == 1
    (got,) = receiver.received
    whsec = "whsec_" + base64.b64encode(old_secret.encode()).decode()  # as the README tells the integrator
    assert Webhook(whsec).verify(got["body"], got["headers"])["kind"] == "stock.low"
    migration.to_plain(apps, None)
    assert Subscription.objects.get().secret == old_secret


# --- retries, giving up, pausing --------------------------------------------------------------------

def test_a_500_is_tried_again_after_a_backoff_then_delivered(db, staff, receiver, settings):
    settings.WEBHOOKS_RETRY_FIRST, settings.WEBHOOKS_RETRY_CAP = 30, 3600
    subscribe(receiver, staff)
    receiver.statuses = [500, 503]
    an_event()
    tasks.deliver_pass()
    delivery = Delivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.last_status_code) == (DeliveryState.PENDING, 1, 500)
    assert 25 < (delivery.next_attempt_at - timezone.now()).total_seconds() <= 30
    assert tasks.deliver_pass() == 0  # not due yet
    due_now()
    tasks.deliver_pass()
    delivery.refresh_from_db()
    assert 55 < (delivery.next_attempt_at - timezone.now()).total_seconds() <= 60  # doubled
    assert Subscription.objects.get().consecutive_failures == 2
    due_now()
    tasks.deliver_pass()
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 3)
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 503, 200]
    assert "HTTP 500" in delivery.attempt_log.first().error
    assert Subscription.objects.get().consecutive_failures == 0
    assert len({r["headers"]["webhook-id"] for r in receiver.received}) == 1  # one event, tried three times
    assert [services.backoff(n) for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


def test_a_delivery_failing_for_a_day_is_given_up_and_its_subscription_paused(db, staff, receiver):
    subscription, _ = subscribe(receiver, staff)
    receiver.statuses = [500, 500]
    an_event()
    tasks.deliver_pass()
    Delivery.objects.update(give_up_at=timezone.now() - timedelta(seconds=1), next_attempt_at=timezone.now())
    tasks.deliver_pass()
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.GIVEN_UP and delivery.attempts == 2
    subscription.refresh_from_db()
    assert not subscription.active and "given up" in subscription.paused_reason and subscription.paused_at
    an_event()  # events for a paused subscription wait for it
    tasks.deliver_pass()
    assert len(receiver.received) == 2
    services.subscription_resume(subscription_id=subscription.pk, actor=staff)
    tasks.deliver_pass()
    assert Delivery.objects.filter(state=DeliveryState.DELIVERED).count() == 1
    assert len(receiver.received) == 3


def test_a_subscription_failing_many_times_in_a_row_is_paused_with_why(db, staff, receiver, settings):
    settings.WEBHOOKS_PAUSE_AFTER = 3
    subscription, _ = subscribe(receiver, staff)
    receiver.statuses = [500] * 10
    for _ in range(3):
        an_event()
    tasks.deliver_pass()
    subscription.refresh_from_db()
    assert not subscription.active and subscription.consecutive_failures == 3
    assert subscription.paused_reason == "3 attempts in a row failed (last: answered HTTP 500)."
    assert Subscription.objects.filter(active=False).get() == subscription  # the admin's "paused" filter
    services.subscription_resume(subscription_id=subscription.pk, actor=staff)
    with pytest.raises(Refused, match="is not paused"):
        services.subscription_resume(subscription_id=subscription.pk, actor=staff)


def test_a_redirect_is_not_followed(db, staff, receiver):
    subscribe(receiver, staff)
    receiver.statuses = [302]
    an_event()
    tasks.deliver_pass()
    assert [r["path"] for r in receiver.received] == ["/hooks/mvno"]  # /elsewhere never asked
    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.PENDING and "redirect: not followed" in delivery.last_error


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt_in_words(db, staff, receiver, settings):
    settings.WEBHOOKS_TIMEOUT = 0.3
    subscribe(receiver, staff)
    receiver.delay = 1.0
    an_event()
    tasks.deliver_pass()
    delivery = Delivery.objects.get()
    assert delivery.last_status_code is None and "did not answer in time" in delivery.last_error
    assert receiver.url not in delivery.last_error  # the host only: a URL may hold the integrator's token


# --- the address rule -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://127.0.0.1/hook", "https://localhost/hook", "https://10.1.2.3/hook",
                                 "https://192.168.0.10/hook", "https://169.254.169.254/latest/meta-data",
                                 "https://[::1]/hook", "https://[::ffff:127.0.0.1]/hook", "https://0.0.0.0/hook",
                                 "https://100.64.0.1/hook"])
def test_loopback_private_and_link_local_addresses_are_refused_at_subscribing(db, staff, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(Refused, match="public addresses only") as refused:
        services.subscription_add(url=url, events=[EventKind.STOCK_LOW], actor=staff)
    assert refused.value.field == "url"
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(("kwargs", "field", "words"), [
    ({"url": "http://93.184.216.34/hook"}, "url", "must use https"),
    ({"url": "ftp://93.184.216.34/hook"}, "url", "starts with https"),
    ({"url": "https://user:pw@93.184.216.34/hook"}, "url", "user name or password"),
    ({"url": ""}, "url", "Give the URL"),
    ({"events": []}, "events", "at least one event"),
    ({"events": ["sim.exploded"]}, "events", "No such event: sim.exploded"),
    ({"secret": "short"}, "secret", "24 to 100"),
])
def test_each_field_of_a_subscription_is_refused_with_its_own_words(db, staff, settings, kwargs, field, words):
    settings.DEBUG = settings.WEBHOOKS_ALLOW_HTTP = False
    args = {"url": "https://93.184.216.34/hook", "events": [EventKind.STOCK_LOW], "actor": staff} | kwargs
    with pytest.raises(Refused, match=words) as refused:
        services.subscription_add(**args)
    assert refused.value.field == field


def test_an_address_that_became_private_is_refused_again_at_delivery(db, staff, receiver, settings):
    subscribe(receiver, staff)
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # as if its DNS now pointed inside our network
    an_event()
    tasks.deliver_pass()
    assert receiver.received == []
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1 and delivery.last_error.startswith("Not sent: The host 127.0.0.1 is on a private")


def test_a_name_that_answers_public_to_the_check_and_private_to_the_connection_is_not_sent(
        db, staff, receiver, settings, monkeypatch):
    subscribe(receiver, staff)
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    monkeypatch.setattr(services, "address_refusal", lambda url: None)  # DNS rebinding: the check saw a public one
    an_event()
    tasks.deliver_pass()
    assert receiver.received == []  # refused on the connection itself, before a byte was sent
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1 and "answered from a private, loopback" in delivery.last_error


def test_a_receiver_that_trickles_its_answer_is_cut_off_after_three_timeouts(db, staff, settings):
    import socket

    settings.WEBHOOKS_ALLOW_HTTP = settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_TIMEOUT, settings.AQL_MAX_CONCURRENCY = 0.5, 1
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:  # a header byte every 0.2 s: never a read timeout, never an end
        conn, _ = listener.accept()
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        while not stop.is_set():
            try:
                conn.sendall(b"a")
            except OSError:
                break
            time.sleep(0.2)
        conn.close()

    threading.Thread(target=trickle, daemon=True).start()
    services.subscription_add(url=f"http://127.0.0.1:{listener.getsockname()[1]}/hook",
                              events=[EventKind.STOCK_LOW], actor=staff)
    an_event()
    started = time.monotonic()
    tasks.deliver_pass()
    took = time.monotonic() - started
    stop.set()
    listener.close()
    delivery = Delivery.objects.get()
    assert delivery.attempts == 1 and delivery.state == DeliveryState.PENDING
    assert "took more than 1.5 s to answer: cut off" in delivery.last_error
    assert took < 5, took  # cut at 1.5 s, not left to trickle on


# --- the outbox -------------------------------------------------------------------------------------

def test_a_change_that_rolls_back_sends_nothing(db, staff, receiver):
    subscribe(receiver, staff)
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(EventKind.STOCK_LOW, {"product_code": "AQL-123"})
        raise RuntimeError("the change failed after its event was written")
    assert tasks.deliver_pass() == 0
    assert not OutboxEvent.objects.exists() and not Delivery.objects.exists() and receiver.received == []


def test_an_event_goes_only_to_subscriptions_that_want_its_kind(db, staff, receiver):
    subscribe(receiver, staff, events=[EventKind.BATCH_FINISHED])
    an_event(EventKind.STOCK_LOW)
    assert tasks.deliver_pass() == 0 and receiver.received == []
    assert OutboxEvent.objects.get().fan_out_at is None  # fanned out (to nobody): prunable


def test_old_deliveries_and_their_events_are_pruned_a_little_at_a_time(db, staff, receiver):
    subscribe(receiver, staff)
    receiver.statuses = [200, 500]
    an_event()
    an_event()
    tasks.deliver_pass()
    long_ago = timezone.now() - timedelta(days=31)
    Delivery.objects.update(created_at=long_ago)
    OutboxEvent.objects.update(created_at=long_ago)
    assert services.deliveries_prune(days=30) == 1  # the delivered one; the waiting one stays
    assert Delivery.objects.get().state == DeliveryState.PENDING
    assert OutboxEvent.objects.count() == 1


def test_the_secret_is_never_in_the_subscriptions_words_nor_the_audit_trail(db, staff, receiver):
    from common.models import AuditEvent

    subscription, secret = subscribe(receiver, staff, secret="a-secret-of-the-integrators-own-0001")
    assert secret == signing.secret_of(b"a-secret-of-the-integrators-own-0001")
    assert secret not in str(subscription) + repr(subscription)
    assert not AuditEvent.objects.filter(message__contains=secret).exists()
    assert not AuditEvent.objects.filter(message__contains="a-secret-of-the-integrators-own-0001").exists()
    assert AuditEvent.objects.filter(subject=f"webhook {subscription.pk}").exists()


def test_deliveries_move_the_metrics(db, staff, receiver, client, settings):
    from tests.ops.test_metrics import scrape, value

    def attempts(figures: dict, outcome: str) -> float:
        return value(figures, "mvnoadmin_webhook_attempts_total", kind="stock.low", outcome=outcome)

    settings.METRICS_TOKEN, settings.METRICS_ALLOW = "", ["127.0.0.1"]
    subscribe(receiver, staff)
    before = scrape(client)
    receiver.statuses = [500]
    an_event()
    tasks.deliver_pass()
    middle = scrape(client)
    assert attempts(middle, "failed") == attempts(before, "failed") + 1
    assert value(middle, "mvnoadmin_webhook_deliveries_waiting") == 1
    due_now()
    tasks.deliver_pass()
    after = scrape(client)
    assert attempts(after, "delivered") == attempts(before, "delivered") + 1
    assert value(after, "mvnoadmin_webhook_deliveries_waiting") == 0
    assert value(after, "mvnoadmin_webhook_attempt_seconds_count", kind="stock.low") >= 2
