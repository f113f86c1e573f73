"""The worker benchmark: many requests due at once, the aql simulator answering with latency, a
real worker following them, and the simulator counting how many calls it has in hand at once.

`measure.py` runs it last. N SIMs (their own ICCID range, 8944 99...) are recorded active, and
suspended through the simulator (no latency yet), so aql holds N requests whose outcome is
known at the first checkstatus; the journal gets N pending requests due now. Then the
simulator's latency goes to 50 ms and the worker is started with AQL_MAX_CONCURRENCY=4:

- `cluster` (default): `manage.py qcluster`, as deployed (Q_WORKERS=2, its schedules from the
  migrations, drift off: the simulator does not know the seeded SIMs);
- `passes`: `sims.tasks.poll_pass` one after another in one process (the issue's "one pass at
  a time" figure), which also reports its SQL queries per request settled.

Reported: the time until the last request is settled, from the worker's first call to the
gateway (and from its start: a cluster's scheduler first runs ~30 s in), the ideal
(N x latency / concurrency) and the ratio, the most calls in progress at the simulator at
once (a WSGI middleware here around the simulator: aql/ is not changed for it), the calls
made, and each worker process's peak RSS (the kernel's high-water mark, VmHWM: what
getrusage's ru_maxrss reports) with how its RSS moved over the run. The run's SIMs, numbers,
requests and events are deleted afterwards.
"""

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from aql.fake import CONTROL_PREFIX, DESPATCH_PATH, USIM_PATH, Account, FakeAql, Faults, start_in_thread
from bench.env import ROOT, django_setup

FIRST_ICCID = 8944990000000000000  # issuer 99: the seed's SIMs are issuer 10
FIRST_NUMBER = 441990000000  # 01990: an area code the seed does not use
USERNAME, PASSWORD = "bench", "bench-simulator-password"
LATENCY = 0.05  # seconds the simulator takes to answer
CONCURRENCY = 4  # AQL_MAX_CONCURRENCY for the run
STALLED = 150  # seconds without a request settled (a cluster's first pass comes within ~60 s): give up
ACTIVATION_SERVICES = ("mo_voice", "mt_voice", "mo_sms", "mt_sms")


class Counting:
    """WSGI middleware: gateway calls in progress at once (the peak), how many in all, the first
    and the last. The simulator sleeps its latency inside the call, so a call counts from when
    it arrives to when it is answered."""

    def __init__(self, app: FakeAql) -> None:
        self.app, self.lock = app, threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.now = self.peak = self.calls = 0
            self.first: float | None = None
            self.last: float | None = None

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(CONTROL_PREFIX):
            return self.app(environ, start_response)
        with self.lock:
            self.now += 1
            self.calls += 1
            self.peak = max(self.peak, self.now)
            self.first = self.first or time.monotonic()
        try:
            return self.app(environ, start_response)
        finally:
            with self.lock:
                self.now -= 1
                self.last = time.monotonic()


@dataclass
class Simulator:
    """aql's simulator, served from a thread of this process behind the counter."""

    fake: FakeAql
    counter: Counting
    server: object
    base_url: str

    @classmethod
    def start(cls) -> "Simulator":
        # settle_after=0: a request is finished by its first checkstatus, so each costs one call
        fake = FakeAql(Account(username=USERNAME, password=PASSWORD), Faults(seed=14, settle_after=0))
        counter = Counting(fake)
        server, base_url = start_in_thread(counter)  # type: ignore[arg-type]
        return cls(fake, counter, server, base_url)

    def settings(self) -> dict[str, str]:
        """django_setup's arguments: every gateway call goes here."""
        return {"usim_url": self.base_url + USIM_PATH, "despatch_url": self.base_url + DESPATCH_PATH,
                "username": USERNAME, "password": PASSWORD}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- before and after ------------------------------------------------------------------------

def push_seeded_work_ahead() -> None:
    """The seed's requests and orders due within six hours (time has passed since it ran) go a
    day ahead, the stock counts as just looked at, and the pruning of the seed's old drift checks
    a day ahead too, so a worker pass sees nothing due but what the run makes. Leases and queued
    tasks a killed worker left are let go."""
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import OrmQ, Schedule

    from ops.heartbeat import heartbeat
    from orders.lifecycle import OPEN
    from orders.models import DespatchOrder
    from sims.models import GatewayRequest
    from sims.tasks import PRUNE_PASS

    now = timezone.now()
    soon, later = now + timedelta(hours=6), now + timedelta(days=1)
    requests = GatewayRequest.objects.filter(state__in=("pending", "unknown", "sending"), next_poll_at__lte=soon,
                                             sim__iccid__lt=str(FIRST_ICCID)).update(next_poll_at=later)
    orders = DespatchOrder.objects.filter(state__in=OPEN, next_check_at__lte=soon).update(next_check_at=later)
    heartbeat(name="stock")  # a stock snapshot as if just taken: else the first look takes one (a call to aql)
    # The seed's three years of drift checks are a backlog a running system never has (it prunes a
    # little every ten minutes): pruned while the run goes, they would share SQLite's write lock
    # with the worker for half a minute in ten (a run at a million SIMs: 1.61 x the ideal, 1.11 x without).
    Schedule.objects.filter(func=PRUNE_PASS).update(next_run=later)
    OrmQ.objects.all().delete()  # and tasks a stopped run's cluster had queued: they would start at once
    release_leases()
    clean_up()  # and a run's rows a broken run left, its events among them
    if requests or orders:
        print(f"(moved the next check of {requests:,} seeded requests and {orders:,} orders a day ahead)")


def release_leases() -> None:
    """Let go of the leases a stopped worker held, so the next run's worker need not wait them out."""
    from django.utils import timezone

    from common.models import Lease

    Lease.objects.update(until=timezone.now())


def ours():
    """The run's SIMs: their own ICCID range."""
    from sims.models import Sim

    return Sim.objects.filter(iccid__gte=str(FIRST_ICCID), iccid__lt=str(FIRST_ICCID + 10**9))


def clean_up() -> None:
    """Delete the run's rows (and any a broken run left), children first: the events it told
    integrators of too, else a later "nothing due" would find them waiting to be fanned out."""
    from common.models import OutboxEvent
    from sims.models import GatewayRequest, GeographicNumber, SimEvent

    OutboxEvent.objects.filter(payload__iccid__startswith=str(FIRST_ICCID)[:6]).delete()
    sims = ours()
    SimEvent.objects.filter(sim__in=sims).delete()
    GatewayRequest.objects.filter(sim__in=sims).delete()
    numbers = list(sims.exclude(number=None).values_list("number_id", flat=True))
    sims.delete()
    GeographicNumber.objects.filter(pk__in=numbers).delete()
    GeographicNumber.objects.filter(number__gte=str(FIRST_NUMBER), number__lt=str(FIRST_NUMBER + 10**7)).delete()


def prepare(simulator: Simulator, count: int) -> tuple[int, int]:
    """`count` active SIMs here and at aql, each with a suspend aql has accepted (and finished):
    pending in the journal, due now. Returns the requests' first and last id. Called after
    push_seeded_work_ahead, which has deleted what a broken run left."""
    from django.db import transaction
    from django.utils import timezone

    from aql.usim import UsimClient
    from sims.models import GatewayRequest, GeographicNumber, Sim

    iccids = [str(FIRST_ICCID + n) for n in range(count)]
    numbers = [str(FIRST_NUMBER + n) for n in range(count)]
    client = UsimClient(url=simulator.base_url + USIM_PATH, username=USERNAME, password=PASSWORD, timeout=10)
    aql_ids = []
    for iccid, number in zip(iccids, numbers, strict=True):
        simulator.fake.put_sim(iccid, state="active", geo_nos=number, services=ACTIVATION_SERVICES)
        aql_ids.append(client.suspend(iccid=iccid, geo_nos=number).request_id)
    with transaction.atomic():
        geo = GeographicNumber.objects.bulk_create([GeographicNumber(number=n) for n in numbers], batch_size=500)
        sims = Sim.objects.bulk_create(
            [Sim(iccid=i, iccid_reversed=i[::-1], state="active", number=g, **dict.fromkeys(ACTIVATION_SERVICES, True))
             for i, g in zip(iccids, geo, strict=True)], batch_size=500)
        now = timezone.now()
        requests = GatewayRequest.objects.bulk_create(
            [GatewayRequest(sim=s, command="suspend", params={"geo_nos": n}, actor_name="bench", state="pending",
                            state_before="active", aql_id=a, reply="status: 200", next_poll_at=now)
             for s, n, a in zip(sims, numbers, aql_ids, strict=True)], batch_size=500)
    if requests[0].pk is None:  # a database that does not return ids from a bulk insert
        ids = list(GatewayRequest.objects.filter(sim__in=ours()).values_list("pk", flat=True))
        return min(ids), max(ids)
    return requests[0].pk, requests[-1].pk


def pending(first: int, last: int) -> int:
    from sims.models import GatewayRequest

    return GatewayRequest.objects.filter(pk__gte=first, pk__lte=last, state="pending").count()


# --- memory of the worker's processes ---------------------------------------------------------

@dataclass
class Memory:
    """Each process of the worker's group: its RSS over time and its peak (VmHWM)."""

    rss: dict[int, list[tuple[float, float]]] = field(default_factory=dict)  # pid -> [(when, MiB)]
    peak: dict[int, float] = field(default_factory=dict)

    def sample(self, group: int) -> None:
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                stat = (proc / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[2]) != group:  # the process group, after the name
                    continue
                status = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines() if ":" in line)
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            if "VmRSS" not in status:  # a zombie: exited, not yet reaped
                continue
            pid = int(proc.name)
            self.rss.setdefault(pid, []).append((time.monotonic(), int(status["VmRSS"].split()[0]) / 1024))
            self.peak[pid] = int(status["VmHWM"].split()[0]) / 1024

    def report(self, since: float) -> str:
        """The peak, and the most any process grew from `since` (the worker's first call: started up)
        on, with how much of that came in the run's second half: caches that fill as threads start
        (each thread's SQLite connection keeps a page cache) grow early and stop; a leak goes on."""
        if not self.peak:
            return "no worker process seen"
        growth, minutes, late = 0.0, 0.0, 0.0
        for samples in self.rss.values():
            later = [(t, mib) for t, mib in samples if t >= since]
            if len(later) > 1 and later[-1][1] - later[0][1] >= growth:
                growth, minutes = later[-1][1] - later[0][1], (later[-1][0] - later[0][0]) / 60
                half = later[0][0] + (later[-1][0] - later[0][0]) / 2
                late = later[-1][1] - next(mib for t, mib in later if t >= half)
        rate = f" ({growth / minutes:+.2f} MiB/min)" if minutes else ""
        return (f"peak RSS {max(self.peak.values()):.0f} MiB (VmHWM, the largest of {len(self.peak)} process"
                f"{'es' * (len(self.peak) > 1)}); RSS grew by at most {growth:+.1f} MiB in a process while it "
                f"worked{rate}, {late:+.1f} MiB of it in the second half of its work")


# --- the run ----------------------------------------------------------------------------------

def start_worker(mode: str, simulator: Simulator, first: int, last: int, log: Path) -> subprocess.Popen:
    """The worker, in a process group of its own, configured for the run through its environment."""
    from django.db import connection

    env = {**os.environ, "AQL_USIM_URL": simulator.base_url + USIM_PATH,
           "AQL_DESPATCH_URL": simulator.base_url + DESPATCH_PATH, "AQL_USERNAME": USERNAME,
           "AQL_PASSWORD": PASSWORD, "AQL_MAX_CONCURRENCY": str(CONCURRENCY), "AQL_TIMEOUT": "10",
           "AQL_DRIFT_PER_HOUR": "0", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "mvnoadmin.settings"}
    connection.close()  # nothing of ours open while another process writes (SQLite)
    if mode == "cluster":
        command = [sys.executable, "manage.py", "qcluster"]
    else:
        command = [sys.executable, str(ROOT / "bench" / "measure.py"), "--worker-child", f"{first}:{last}"]
    with log.open("wb") as out:  # this run's log alone
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out if mode == "cluster" else subprocess.PIPE,  # noqa: S603
                                stderr=out, start_new_session=True)


def stop_worker(process: subprocess.Popen, mode: str) -> str:
    """Stop the worker's whole process group (politely, then not); a passes child's report, if any."""
    report = ""
    if mode == "passes":  # it stops by itself once the requests are settled, and reports
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=20)
        report = (out or b"").decode().strip()
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
    return report


def run(simulator: Simulator, *, count: int, mode: str) -> None:
    """The worker run: prepare, start the worker, wait until every request is settled, report, clean up."""
    ideal = count * LATENCY / CONCURRENCY
    print(f"\nWorker run ({mode}): {count:,} requests due at once, gateway latency {LATENCY * 1000:.0f} ms, "
          f"AQL_MAX_CONCURRENCY={CONCURRENCY}; ideal {ideal:.1f} s", flush=True)
    started = time.perf_counter()
    push_seeded_work_ahead()
    first, last = prepare(simulator, count)
    print(f"  prepared in {time.perf_counter() - started:.1f} s", flush=True)
    simulator.fake.faults.latency = LATENCY
    simulator.counter.reset()
    log = ROOT / "var" / f"bench-worker-{mode}.log"
    process = start_worker(mode, simulator, first, last, log)
    memory, left = Memory(), count
    began = time.monotonic()
    deadline = began + max(300.0, 5 * ideal) + (60 if mode == "cluster" else 0)
    moved = next_sample = began  # when the count last went down; when to look at memory next
    try:
        while time.monotonic() < deadline and time.monotonic() - moved < STALLED:
            if time.monotonic() >= next_sample:
                memory.sample(process.pid)
                next_sample += 2
            now_left = pending(first, last)
            if now_left < left:
                left, moved = now_left, time.monotonic()
            if not left or process.poll() is not None:
                break
            time.sleep(0.25)
        ended = time.monotonic()
        memory.sample(process.pid)
    finally:
        report = stop_worker(process, mode)
        simulator.fake.faults.latency = 0
        release_leases()
    counter = simulator.counter
    if left:
        print(f"  NOT FINISHED: {left:,} of {count:,} still pending after {ended - began:.0f} s; see {log}")
    took = (counter.last or ended) - (counter.first or began)
    print(f"  settled {count - left:,} in {took:.1f} s from the first call to aql "
          f"({ended - began:.1f} s from the worker's start); ratio to ideal {took / ideal:.2f}"
          + ("  << over 1.5" if took / ideal > 1.5 else ""))
    print(f"  gateway: {counter.calls:,} calls, at most {counter.peak} at once"
          + (f"  << over AQL_MAX_CONCURRENCY={CONCURRENCY}" if counter.peak > CONCURRENCY else ""))
    print(f"  memory: {memory.report(counter.first or began)}")
    if report:
        child_report = json.loads(report.splitlines()[-1])
        passes = child_report["passes"]
        print(f"  the pass process: {passes} pass{'es' * (passes != 1)}, {child_report['queries'] / max(count, 1):.1f} "
              f"SQL queries a request, ru_maxrss {child_report['maxrss_kib'] / 1024:.0f} MiB")
    clean_up()


def child(spec: str) -> None:
    """--worker-child FIRST:LAST: run polling passes one after another until those requests are settled."""
    from bench.env import NO_GATEWAY

    django_setup(usim_url=os.environ.get("AQL_USIM_URL", NO_GATEWAY), despatch_url=os.environ.get(
        "AQL_DESPATCH_URL", NO_GATEWAY), username=os.environ.get("AQL_USERNAME", ""),
        password=os.environ.get("AQL_PASSWORD", ""))
    from django.db.backends.signals import connection_created
    from django.utils.module_loading import import_string

    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    connection_created.connect(lambda sender, connection, **kwargs: connection.execute_wrappers.append(count),
                               weak=False)
    poll_pass = import_string("sims.tasks.poll_pass")
    first, last = (int(n) for n in spec.split(":"))
    passes = 0
    while pending(first, last):
        passes += 1
        if not poll_pass():
            time.sleep(0.1)  # backing off: nothing was due this instant
    print(json.dumps({"passes": passes, "queries": queries[0],
                      "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)
