"""The adoption benchmark: N ICCIDs (default 100,000) already in use at aql, adopted by the worker's
adoption lane against the simulator with a latency like aql's, timed against what the gateway allows.

The simulator runs in a process of its own (`manage.py aqlsim --estate N --latency L`), so this
process is the worker alone: it makes a throwaway SQLite database (`var/bench-adopt.sqlite3`, or the
one DATABASE_URL names), starts the adoption (`sims.services.adoption_start`), then runs the
follower's pipeline over the adoption lane only (`ops.pipeline.run`, AQL_MAX_CONCURRENCY calls at
once, real threads) until every ICCID is answered. Printed: the time it took against the ideal,
calls x latency / concurrency, and their ratio (issue 26 asks for 1.5 at most); the calls the
simulator counted; this process's peak RSS (VmHWM) and its RSS at each quarter of the way, which
stays flat when nothing grows with the ICCIDs done.

    .venv/bin/python bench/adopt.py [--iccids 100000] [--latency 0.05] [--concurrency 4]
"""

import argparse
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.env import ROOT, django_setup

USERNAME, PASSWORD = "bench", "bench-simulator-password"
SEED = 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_simulator(count: int, latency: float) -> tuple[subprocess.Popen, str]:
    """The simulator with an estate of `count` SIMs, in a process of its own; its base URL."""
    port = free_port()
    env = {**os.environ, "AQL_USERNAME": USERNAME, "AQL_PASSWORD": PASSWORD, "PYTHONUNBUFFERED": "1"}
    simulator = subprocess.Popen(  # noqa: S603
        [sys.executable, "manage.py", "aqlsim", "--port", str(port), "--estate", str(count), "--estate-seed",
         str(SEED), "--latency", str(latency)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    ready, _, _ = select.select([simulator.stdout], [], [], 60)
    if not ready:
        simulator.kill()
        raise SystemExit("the simulator did not start in 60 s")
    simulator.stdout.readline()
    return simulator, f"http://127.0.0.1:{port}"


def rss(field: str = "VmRSS") -> float:
    """This process's resident memory (or its peak, VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iccids", type=int, default=100_000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds aql takes to answer (default 0.05)")
    parser.add_argument("--concurrency", type=int, default=4, help="AQL_MAX_CONCURRENCY (default 4)")
    args = parser.parse_args()

    if "DATABASE_URL" not in os.environ:  # a throwaway database of its own
        database = ROOT / "var" / "bench-adopt.sqlite3"
        for old in database.parent.glob(database.name + "*"):
            old.unlink()
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.update(AQL_MAX_CONCURRENCY=str(args.concurrency), AQL_TIMEOUT="10", AQL_DRIFT_PER_HOUR="0")
    simulator, base = start_simulator(args.iccids, args.latency)
    try:
        run(args, base)
    finally:
        simulator.terminate()
        simulator.wait(timeout=10)


def run(args: argparse.Namespace, base: str) -> None:
    from aql.fake import USIM_PATH, Estate

    django_setup(usim_url=base + USIM_PATH, despatch_url=base + "/mobile/despatch_sim.php", username=USERNAME,
                 password=PASSWORD)
    from django.core.management import call_command

    from common import audit
    from ops import pipeline
    from sims import services
    from sims.models import AdoptionRow
    from sims.tasks import ADOPTIONS

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    adoption = services.adoption_start(iccids=Estate(count=args.iccids, seed=SEED).iccids(), actor=None,
                                       source="the benchmark")
    print(f"Adoption of {adoption.size:,} ICCIDs: rows written in {time.perf_counter() - started:.1f} s; "
          f"gateway latency {args.latency * 1000:.0f} ms, AQL_MAX_CONCURRENCY={args.concurrency}", flush=True)

    quarters: list[tuple[int, float]] = []
    done = threading.Event()

    def watch() -> None:  # RSS at each quarter of the way
        while not done.wait(1):
            answered = AdoptionRow.objects.filter(state=AdoptionRow.State.DONE).count()
            while len(quarters) < 4 and answered >= adoption.size * (len(quarters) + 1) / 4:
                quarters.append((answered, rss()))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    lane = pipeline.Lane("adoptions", 0, ADOPTIONS.take, ADOPTIONS.step)
    began = time.perf_counter()
    with audit.via(audit.Interface.WORKER):
        pipeline.run([lane], going=lambda: True, hold=None)
    took = time.perf_counter() - began
    done.set()
    watcher.join()
    quarters.append((adoption.size, rss()))

    with urllib.request.urlopen(base + "/_aqlsim/state", timeout=60) as reply:  # noqa: S310 (our simulator)
        calls = json.load(reply)["calls"]
    asked = calls.get("queryiccid", 0)
    ideal = asked * args.latency / args.concurrency
    left = AdoptionRow.objects.exclude(state=AdoptionRow.State.DONE).count()
    print(f"  answered {adoption.size - left:,} in {took:.1f} s; ideal (calls {asked:,} / concurrency "
          f"{args.concurrency} x latency {args.latency:g} s) {ideal:.1f} s; ratio {took / ideal:.2f}"
          + ("  << over 1.5" if took / ideal > 1.5 else ""))
    print(f"  calls at the simulator: {calls}")
    print(f"  memory: peak RSS {rss('VmHWM'):.0f} MiB; RSS at each quarter: "
          + ", ".join(f"{mib:.0f} MiB at {n:,}" for n, mib in quarters))


if __name__ == "__main__":
    main()
