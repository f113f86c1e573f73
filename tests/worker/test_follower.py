"""The follower keeps aql within AQL_MAX_CONCURRENCY calls from the whole worker, counted at the
simulator, while it works through requests, orders, stock and drift at once, with real threads."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from aql.fake import DESPATCH_PATH, USIM_PATH, Account, FakeAql, Faults
from ops import gateway, leases, pipeline, worker
from orders.models import DespatchOrder
from orders.services import order_despatch
from sims import services
from sims.models import GatewayRequest, RequestState, Sim
from tests.conftest import PASSWORD, USERNAME, activation, iccid, make_schedules

pytestmark = pytest.mark.django_db(transaction=True)
SIMS = 8


class Counting:
    """The simulator behind a turnstile that remembers the most calls it ever had inside at once."""

    def __init__(self, app: FakeAql) -> None:
        self.app, self.inside, self.most, self.lock = app, 0, 0, threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        try:
            return list(self.app(environ, start_response))
        finally:
            with self.lock:
                self.inside -= 1


@pytest.fixture
def counted(settings, serve):
    fake = FakeAql(Account(username=USERNAME, password=PASSWORD), Faults(seed=1, latency=0.15, settle_after=0))
    turnstile = Counting(fake)
    base = serve(turnstile)
    settings.AQL_USERNAME, settings.AQL_PASSWORD, settings.AQL_TIMEOUT = USERNAME, PASSWORD, 5
    settings.AQL_USIM_URL, settings.AQL_DESPATCH_URL = base + USIM_PATH, base + DESPATCH_PATH
    gateway.reset()
    yield fake, turnstile
    gateway.reset()


def test_requests_orders_stock_and_drift_together_never_put_more_than_the_limit_on_aql(counted, settings, staff):
    fake, turnstile = counted
    settings.AQL_MAX_CONCURRENCY = 3
    settings.AQL_FIRST_POLL_DELAY = 0
    settings.AQL_DRIFT_PER_HOUR = 36_000  # ten a second: drift wants the gateway too
    make_schedules()
    services.number_add(numbers=[str(44113000000 + n) for n in range(SIMS)])
    services.sim_add(iccids=[iccid(n) for n in range(SIMS * 2)])
    for n, sim in enumerate(Sim.objects.order_by("iccid")[:SIMS]):
        services.sim_activate(sim_id=sim.pk, actor=staff, **activation(number=str(44113000000 + n)))
    for n in range(4):
        order_despatch(actor=staff, name=f"Jo {'ABCD'[n]}", address="1 Park Row, Leeds", postcode="LS1 5AB",
                       contact_no="07700 900123", company="")
    DespatchOrder.objects.update(next_check_at=timezone.now() - timedelta(seconds=1))
    GatewayRequest.objects.update(next_poll_at=timezone.now() - timedelta(seconds=1))
    turnstile.most = 0  # count the worker only, not the staff's sends above

    done = worker.follow(span=4, every=0.2)

    assert turnstile.most == settings.AQL_MAX_CONCURRENCY  # used to the full, never beyond
    assert not GatewayRequest.objects.filter(command="activate", state=RequestState.PENDING).exists()
    assert fake.count("checkstatus") >= SIMS and fake.count("queryiccid") > 0  # requests first, drift too
    assert done >= SIMS + 4


class Looks:
    """A lane with nothing to do that remembers which follower looked, and when."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, float]] = []

    def take(self, n: int) -> list[int]:
        self.seen.append((threading.current_thread().name, time.monotonic()))
        return []

    def of(self, name: str) -> list[float]:
        return [at for who, at in self.seen if who == name]


def test_a_follower_past_its_span_goes_on_until_the_next_is_in_line_then_hands_over_at_once(settings, monkeypatch):
    # django-q2's scheduler starts the next follower up to 30 s late: without the hand-over the
    # gateway work would stop in between.
    settings.AQL_MAX_CONCURRENCY = 1
    looks = Looks()
    monkeypatch.setattr(worker, "LANES", {"looks": pipeline.Lane("looks", 0, looks.take, lambda pk: None)})

    def first() -> None:
        worker.follow(span=0.3, every=0.05, overtime=30)
        connection.close()

    thread = threading.Thread(target=first, name="first")
    started = time.monotonic()
    thread.start()
    time.sleep(1.0)
    assert thread.is_alive()  # past its span, nobody in line: it goes on
    me, threading.current_thread().name = threading.current_thread().name, "second"
    try:
        worker.follow(span=0.3, every=0.05, overtime=0.05)  # waits in line, then follows
    finally:
        threading.current_thread().name = me
    thread.join(timeout=5)

    first_looks, second_looks = looks.of("first"), looks.of("second")
    assert first_looks[-1] - started > 0.9 and second_looks  # the first went on; the second got the lease
    assert first_looks[-1] < second_looks[0] < first_looks[-1] + 0.5  # one at a time, and no gap


def test_only_one_follower_waits_in_line_any_other_returns_at_once(settings):
    with leases.alone(worker.FOLLOWER, seconds=60), leases.alone(worker.IN_LINE, seconds=60):
        started = time.monotonic()
        assert worker.follow(span=5, every=0.05, overtime=5) == 0
        assert time.monotonic() - started < 1


@pytest.mark.django_db(transaction=False)
def test_a_failing_step_is_logged_and_the_pass_goes_on_in_the_callers_transaction(settings, caplog):
    # One call at a time runs in the calling thread, inside its transaction: a failure must not close it.
    settings.AQL_MAX_CONCURRENCY = 1
    queue, done = [1, 2], []

    def step(pk: int) -> None:
        if pk == 1:
            raise RuntimeError("boom")
        done.append(pk)

    assert worker.in_batches(lambda n: [queue.pop(0) for _ in range(min(n, len(queue)))], step) == 1
    assert done == [2] and "worker step failed for 1" in caplog.text
    assert connection.in_atomic_block and Sim.objects.count() >= 0  # still open, still the test's transaction
