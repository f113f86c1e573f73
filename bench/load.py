"""A load test: the staff site under gunicorn, over real HTTP, with a realistic mix of pages.

    .venv/bin/python bench/load.py                                   # var/bench.sqlite3 (make bench seeds it)
    DATABASE_URL=... .venv/bin/python bench/load.py --clients 1,8,32 --seconds 30

It starts gunicorn (deploy/gunicorn.conf.py, --workers processes, DEBUG off) on the seeded
database, signs a Supervisor in (with the second factor, as a real sign-in records it), then for
each number of clients runs two phases, each for --seconds: a bare view (`/healthz`, not signed
in: routing, the middleware and a JSON reply, no database) and the staff mix (MIX: the pages staff
use most, by weight, spread over a few hundred SIMs). Each client is a process of its own on a
keep-alive connection, asking as soon as it has its answer.

Printed for each phase: requests, errors, requests/s, the median, 95th and 99th percentile in ms,
and the web processes' own CPU per request (from /proc: their user and system time over the
phase), which gives the pages a core serves a second whatever the clients took of the machine.
The ratio of the mix to the bare view is the figure to compare between runs and machines.
"""

import argparse
import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.env import ROOT, database_url, django_setup

# (weight, what, path); {iccid} and {digits} are drawn from the sampled SIMs at each ask
MIX = [
    (10, "dashboard", "/"),
    (15, "SIM list", "/sims/"),
    (5, "SIM list, active", "/sims/?state=active"),
    (10, "SIM search, last digits", "/sims/?q={digits}"),
    (20, "SIM page", "/sims/{iccid}/"),
    (10, "SIM page, htmx redraw", "/sims/{iccid}/ HX"),
    (10, "journal", "/requests/"),
    (5, "numbers, free", "/numbers/?show=available"),
    (5, "orders", "/orders/"),
    (3, "stock", "/stock/"),
    (2, "reports, 30 days", "/reports/?range=30"),
    (3, "notifications", "/notifications/"),
    (10, "notification count, htmx poll", "/notifications/count/ HX"),
]


def setup(sims: int) -> tuple[str, list[str]]:
    """The Supervisor's session cookie and the ICCIDs of `sims` SIMs spread over the table."""
    django_setup()
    from django.conf import settings
    from django.db.models import Max, Min

    from bench.measure_samples import signed_in, user
    from sims.models import Sim

    client = signed_in(user("bench-supervisor", role="Supervisor"))
    ends = Sim.objects.aggregate(low=Min("pk"), high=Max("pk"))
    wanted = random.Random(1).sample(range(ends["low"], ends["high"] + 1), min(2 * sims, ends["high"] - ends["low"]))
    iccids = list(Sim.objects.filter(pk__in=wanted).values_list("iccid", flat=True)[:sims])
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}", iccids


def ask(args: tuple) -> tuple[list[float], int]:
    """One client: ask as soon as answered, for `seconds`; the latencies (ms) and the errors."""
    port, seconds, cookie, paths, seed = args
    rng, took, errors = random.Random(seed), [], 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        path = rng.choice(paths)
        headers = {"Host": "localhost"}
        if cookie:
            headers["Cookie"] = cookie
        if path.endswith(" HX"):
            path, headers["HX-Request"] = path[:-3], "true"
        start = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok, conn = False, http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        took.append((time.perf_counter() - start) * 1000)
        errors += not ok
    return took, errors


def cpu_seconds(master: int) -> float:
    """User and system time of gunicorn's worker processes so far."""
    total = 0.0
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    for pid in children:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def phase(port: int, master: int, clients: int, seconds: float, cookie: str, paths: list[str]) -> dict:
    before, start = cpu_seconds(master), time.perf_counter()
    with Pool(clients) as pool:
        results = pool.map(ask, [(port, seconds, cookie, paths, n) for n in range(clients)])
    wall, cpu = time.perf_counter() - start, cpu_seconds(master) - before
    took = sorted(t for latencies, _ in results for t in latencies)
    cuts = statistics.quantiles(took, n=100)
    return {"requests": len(took), "errors": sum(e for _, e in results), "rps": len(took) / wall,
            "p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "cpu_ms": cpu * 1000 / len(took)}


def expand(iccids: list[str]) -> list[str]:
    """The mix as a list to draw from, weights as repeats, each SIM path with its own SIM."""
    rng, paths = random.Random(1), []
    for weight, _, path in MIX:
        for _ in range(weight * 10):
            iccid = rng.choice(iccids)
            paths.append(path.format(iccid=iccid, digits=iccid[-6:]))
    return paths


def serve(port: int, workers: int, metrics: str) -> subprocess.Popen:
    env = dict(os.environ, WEB_BIND=f"127.0.0.1:{port}", WEB_WORKERS=str(workers), DEBUG="false",
               PROMETHEUS_MULTIPROC_DIR=metrics, LOG_LEVEL="WARNING")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py")],  # noqa: S603
                              env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz", headers={"Host": "localhost"})
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("gunicorn did not answer /healthz within 20 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="1,8", help="numbers of clients, comma-separated (default 1,8)")
    parser.add_argument("--seconds", type=float, default=20, help="each phase's length (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn's processes (default 2)")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    cookie, iccids = setup(300)
    paths = expand(iccids)
    from django.db import connection

    print(f"load test: {database_url()} ({connection.vendor}), gunicorn --workers {args.workers}, "
          f"{args.seconds:g} s a phase; load average {os.getloadavg()[0]:.1f}")
    print(f"{'phase':<28}{'clients':>8}{'requests':>10}{'errors':>8}{'req/s':>9}{'p50':>8}{'p95':>8}{'p99':>8}"
          f"{'cpu ms/req':>12}{'req/core-s':>12}")
    with tempfile.TemporaryDirectory() as metrics:
        server = serve(args.port, args.workers, metrics)
        try:
            for clients in [int(c) for c in args.clients.split(",")]:
                bare = phase(args.port, server.pid, clients, args.seconds, "", ["/healthz"])
                mix = phase(args.port, server.pid, clients, args.seconds, cookie, paths)
                for name, r in (("bare view (/healthz)", bare), ("staff mix", mix)):
                    print(f"{name:<28}{clients:>8}{r['requests']:>10,}{r['errors']:>8}{r['rps']:>9.1f}{r['p50']:>8.1f}"
                          f"{r['p95']:>8.1f}{r['p99']:>8.1f}{r['cpu_ms']:>12.2f}{1000 / r['cpu_ms']:>12.0f}")
                print(f"{'  mix / bare view':<28}{clients:>8}{'':>18}{mix['rps'] / bare['rps']:>9.3f}{'':>24}"
                      f"{mix['cpu_ms'] / bare['cpu_ms']:>12.1f}x")
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    print(f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
